"""Staff's view of the stock. Holds and status change only through `inventory.services`, and so do photos."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.fields import Field
from django.db.models.functions import Coalesce
from django.forms import TypedChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from inventory import services
from inventory.forms import NEW_ITEM_STATUSES, DropForm, ItemAddForm, ItemForm
from inventory.models import Drop, DropClaim, DropItem, Item, ItemPhoto, WaitlistEntry
from inventory.photo_admin import ItemPhotosAdmin
from inventory.resources import ItemResource
from inventory.selectors import waitlist_line
from orders.models import OrderItem
from philia.admin_actions import BackToPageAfterAction, apply_service, customer_link, service_action
from philia.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class DropCounts(TypedDict):  # what `DropAdmin.get_queryset` counts on each drop
        piece_count: int
        claim_count: int


@admin.register(Item)
class ItemAdmin(ItemPhotosAdmin, BackToPageAfterAction, ImportExportModelAdmin):
    form = ItemForm
    add_form = ItemAddForm
    change_form_template = "admin/inventory/item/change_form.html"
    resource_classes = (ItemResource,)
    formats = (CSV,)
    list_display = (
        "sku", "thumbnail", "name", "price_with_currency", "status", "size_label", "brand", "who", "waiting",
        "measurements_text",
    )  # fmt: skip
    list_display_links = ("sku", "thumbnail")
    list_filter = ("status", "brand", "size_label", "category", "condition")
    search_fields = ("sku", "name", "brand")
    list_select_related = ("held_by",)
    ordering = ("sku",)
    actions = ("release_holds", "extend_holds", "take_out_of_drop", "hide_items", "unhide_items", "duplicate_items")
    confirm_actions = {"release_holds": "Release {count} hold(s)? The items go back on sale for anyone."}
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "sku",
                    "name",
                    "brand",
                    "category",
                    "colour",
                    "era",
                    "size_label",
                    "price",
                    "offer_floor",
                    "condition",
                )
            },
        ),
        ("Photos", {"fields": ("photo_strip", "image_url")}),
        ("Description", {"fields": ("description",)}),
        (
            "Measurements (inches; leave empty what does not apply)",
            {
                "fields": (
                    ("pit_to_pit", "chest", "shoulders"),
                    ("length", "sleeve"),
                    ("waist", "hips", "inseam"),
                    ("rise", "leg_opening"),
                    "measurements_text",
                )
            },
        ),
        (
            "On sale",
            {"fields": ("status", "who", "hold_extended_at", "hold_reminded_at", "drops_at", "waiting_customers")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"fields": ("photos", "name", "brand", "category", "size_label", "price", "condition", "sku")}),
        (
            "Measurements (optional, inches)",
            {
                "classes": ("collapse",),
                "fields": (
                    ("pit_to_pit", "chest", "shoulders"),
                    ("length", "sleeve"),
                    ("waist", "hips", "inseam"),
                    ("rise", "leg_opening"),
                ),
            },
        ),
        ("More (optional)", {"classes": ("collapse",), "fields": ("description", "colour", "era", "status")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        active_lines = OrderItem.objects.filter(is_active=True).select_related("order__customer")
        waiting = (
            WaitlistEntry.objects.filter(item=OuterRef("pk"))
            .order_by()
            .values("item")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("order_lines", active_lines, to_attr="active_lines"),
                Prefetch("photos", ItemPhoto.objects.order_by("position", "pk"), to_attr="ordered_photos"),
            )
            # A subquery, not a join + GROUP BY: actions lock rows of this queryset, and FOR UPDATE refuses GROUP BY.
            .annotate(waiting_count=Coalesce(Subquery(waiting), 0))
        )

    @admin.display(description="waitlist")
    def waiting_customers(self, item: Item) -> str:
        """Who waits for this piece, first in line first (they join by asking for it while it is held)."""
        line = list(waitlist_line(item_id=item.pk)) if item.pk else []
        if not line:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "#{} {} since {}",
            (
                (place, customer_link(entry.customer), f"{timezone.localtime(entry.queued_at):%d %b %H:%M:%S}")
                for place, entry in enumerate(line, start=1)
            ),
        )

    @admin.display(description="waiting", ordering="waiting_count")
    def waiting(self, item: Item) -> int:
        return getattr(item, "waiting_count", 0)

    def get_fieldsets(self, request: HttpRequest, obj: Item | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj: Item | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def fill_change_page(self, context: dict, obj: Item | None, *, add: bool) -> None:
        # "Save and add another" is for the add page (a pile of new stock); on a piece's own page it only confuses.
        context["show_save_and_add_another"] = add

    def save_model(self, request: HttpRequest, obj: Item, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: getattr(obj, name) for name in services.DESCRIPTIVE_FIELDS}
        # The form already checked every field and normalised the photos; the service generates the SKU.
        created = services.add_item(
            fields={**fields, "status": obj.status}, photos=form.cleaned_data.get("photos") or ()
        )
        obj.pk, obj.sku, obj.created_at, obj.updated_at = (
            created.pk,
            created.sku,
            created.created_at,
            created.updated_at,
        )
        obj._state.adding = False

    def get_urls(self) -> list[URLPattern]:
        duplicate = path(
            "<path:object_id>/duplicate/",
            self.admin_site.admin_view(self.duplicate_view),
            name="inventory_item_duplicate",
        )
        return [duplicate, *super().get_urls()]

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: a new item like this one (no photos, no hold), then its page to photograph and adjust it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        item = get_object_or_404(Item, pk=object_id)
        try:
            copy = services.duplicate_item(sku=item.sku)
        except (DomainError, ValidationError) as error:
            self.message_user(request, f"{item}: {error}", level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:inventory_item_change", args=[quote(item.pk)]))
        self.message_user(
            request, f"Added {copy.sku} as a copy of {item.sku}, without photos: add its own.", level=messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:inventory_item_change", args=[quote(copy.pk)]))

    @admin.display(description="held by / sold to")
    def who(self, item: Item) -> str:
        """Who has the piece, linking to them and to the order, so a held or sold item is one click from its buyer."""
        if item.status == Item.Status.RESERVED and item.held_by is not None:
            until = timezone.localtime(item.held_until) if item.held_until else None
            return format_html("{} until {}", customer_link(item.held_by), f"{until:%d %b %H:%M}" if until else "?")
        lines = getattr(item, "active_lines", None)  # prefetched on the list; the item's page asks once
        if lines is None:
            lines = item.order_lines.filter(is_active=True).select_related("order__customer")
        for line in lines:
            order_url = reverse("admin:orders_order_change", args=[line.order.pk])
            return format_html('{} · <a href="{}">{}</a>', customer_link(line.order.customer), order_url, line.order)
        return ""

    @admin.display(description="price", ordering="price")
    def price_with_currency(self, item: Item) -> str:
        return f"${item.price}"

    @admin.display(description="measurements")
    def measurements_text(self, item: Item) -> str:
        return item.measurements_text or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Item | None = None) -> tuple[str, ...]:
        # Holds change only through the services (the actions below), so their rules hold here too.
        readonly = (
            "held_by",
            "held_until",
            "who",
            "hold_extended_at",
            "hold_reminded_at",
            "drops_at",
            "waiting_customers",
            "measurements_text",
            "photo_strip",
            "created_at",
            "updated_at",
        )
        return ("status", *readonly) if obj is not None else readonly

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> forms.Field | None:
        if db_field.name == "image_url":
            kwargs["assume_scheme"] = "https"  # a pasted "cdn.example.com/x.jpg" means https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_choice_field(
        self, db_field: Field, request: HttpRequest, **kwargs: Any
    ) -> TypedChoiceField | None:
        if db_field.name == "status":
            kwargs["choices"] = NEW_ITEM_STATUSES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    release_holds = service_action(
        lambda item: services.release_hold(sku=item.sku),
        description="Release hold (put back on sale)",
        done="Released {count} hold(s).",
    )
    extend_holds = service_action(
        lambda item: services.extend_hold(sku=item.sku),
        description="Extend hold (once per hold, by HOLD_HOURS)",
        done="Extended {count} hold(s).",
    )
    take_out_of_drop = service_action(
        lambda item: services.remove_from_drop(item=item),
        description="Take out of its upcoming drop (on sale at once)",
        done="Took {count} item(s) out of their drop.",
    )
    hide_items = service_action(
        lambda item: services.hide_item(sku=item.sku), description="Hide from the shop", done="Hid {count} item(s)."
    )
    unhide_items = service_action(
        lambda item: services.unhide_item(sku=item.sku),
        description="Put hidden items back on sale",
        done="Put {count} item(s) on sale.",
    )

    @admin.action(description="Duplicate as new items (no photos, on sale)")
    def duplicate_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> HttpResponse | None:
        copies: list[Item] = []

        def duplicate(item: Item) -> None:
            copies.append(services.duplicate_item(sku=item.sku))

        apply_service(self, request, queryset, duplicate, done="Added {count} copy(ies), without photos.")
        if len(copies) == 1:
            return HttpResponseRedirect(reverse("admin:inventory_item_change", args=[quote(copies[0].pk)]))
        return None


# --- Drops ----------------------------------------------------------------------------------------


class DropItemInline(admin.TabularInline):
    """The drop's pieces (take one out with the item list's "Take out of its upcoming drop")."""

    model = DropItem
    can_delete = False
    fields = readonly_fields = ("item", "first_claim_at", "settled_at", "winner_link", "claims_count")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[DropItem]:
        return super().get_queryset(request).select_related("item", "winner").annotate(claim_count=Count("claims"))

    @admin.display(description="winner")
    def winner_link(self, drop_item: DropItem) -> str:
        return customer_link(drop_item.winner) if drop_item.winner else "—"

    @admin.display(description="claims")
    def claims_count(self, drop_item: DropItem) -> int:
        return getattr(drop_item, "claim_count", 0)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Drop)
class DropAdmin(admin.ModelAdmin):
    list_display = ("name", "drops_at", "pieces", "claimed", "settled")
    ordering = ("-drops_at",)
    inlines = [DropItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Drop]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                piece_count=Count("drop_items", distinct=True),
                claim_count=Count("drop_items__claims", distinct=True),
            )
        )

    @admin.display(description="pieces", ordering="piece_count")
    def pieces(self, drop: "WithAnnotations[Drop, DropCounts]") -> int:
        return drop.piece_count

    @admin.display(description="claims", ordering="claim_count")
    def claimed(self, drop: "WithAnnotations[Drop, DropCounts]") -> int:
        return drop.claim_count

    @admin.display(description="settled")
    def settled(self, drop: "WithAnnotations[Drop, DropCounts]") -> str:
        done = drop.drop_items.filter(settled_at__isnull=False).count()
        return f"{done} of {drop.piece_count}"

    def get_form(self, request: HttpRequest, obj: Drop | None = None, change: bool = False, **kwargs: object) -> type:
        if obj is None:
            kwargs["form"] = DropForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Drop | None = None) -> tuple[str, ...]:
        return ("name", "drops_at", "skus") if obj is None else ("name", "drops_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Drop | None = None) -> tuple[str, ...]:
        # The time is part of what customers were told; a drop is rescheduled by making a new one.
        return () if obj is None else ("drops_at",)

    def get_inlines(self, request: HttpRequest, obj: Drop | None) -> list:
        return self.inlines if obj is not None else []

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> Drop:
        if change:
            return super().save_form(request, form, change)
        return form.instance

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        if change:  # a new drop's pieces were saved by `schedule_drop`
            super().save_related(request, form, formsets, change)

    def save_model(self, request: HttpRequest, obj: Drop, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        drop = services.schedule_drop(
            drops_at=form.cleaned_data["drops_at"], skus=form.cleaned_data["sku_list"], name=form.cleaned_data["name"]
        )
        obj.pk, obj.name, obj.created_at = drop.pk, drop.name, drop.created_at

    def has_delete_permission(self, request: HttpRequest, obj: Drop | None = None) -> bool:
        # A drop that has started is the record of who got what.
        return super().has_delete_permission(request, obj) and (obj is None or obj.drops_at > timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Drop]) -> None:
        for drop in queryset:
            self.delete_model(request, drop)

    def delete_model(self, request: HttpRequest, obj: Drop) -> None:
        for drop_item in obj.drop_items.select_related("item"):
            services.remove_from_drop(item=drop_item.item)
        obj.delete()


@admin.register(DropClaim)
class DropClaimAdmin(admin.ModelAdmin):
    """Who claimed what and when, by TikTok's own time, and what came of it."""

    list_display = ("drop_item", "customer_link", "tiktok_time", "received_at", "outcome", "waitlist_place")
    list_filter = ("outcome", "drop_item__drop")
    list_select_related = ("drop_item__item", "drop_item__drop", "customer")
    ordering = ("drop_item", "written_at_ms", "tiktok_message_id")
    readonly_fields = (
        "drop_item", "customer", "message", "tiktok_message_id", "written_at_ms", "tiktok_time", "received_at",
        "outcome", "waitlist_place", "created_at",
    )  # fmt: skip

    @admin.display(description="customer")
    def customer_link(self, claim: DropClaim) -> str:
        return customer_link(claim.customer)

    @admin.display(description="written at (TikTok time)", ordering="written_at_ms")
    def tiktok_time(self, claim: DropClaim) -> str:
        moment = timezone.localtime(datetime.fromtimestamp(claim.written_at_ms / 1000, tz=UTC))
        return f"{moment:%Y-%m-%d %H:%M:%S}.{claim.written_at_ms % 1000:03d} {moment.tzname()}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DropClaim | None = None) -> bool:
        return False
