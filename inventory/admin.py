"""Staff's view of the stock. Holds and status change only through `inventory.services`."""

from datetime import UTC, datetime
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.fields import Field
from django.forms import ChoiceField
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from inventory import services
from inventory.models import MEASUREMENT_ORDER, Drop, DropClaim, DropItem, Item, WaitlistEntry
from inventory.selectors import waitlist_place
from orders.models import OrderItem
from philia.admin_actions import apply_service, customer_link
from philia.errors import DomainError

# The statuses a new item may start in; held and sold only come from a hold or an order.
NEW_ITEM_STATUSES = [
    (Item.Status.AVAILABLE, Item.Status.AVAILABLE.label),
    (Item.Status.HIDDEN, Item.Status.HIDDEN.label),
]


def inches(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0.1"), max_digits=5, decimal_places=2)


class ItemForm(forms.ModelForm):
    """The measurements as a box per measurement, in inches, instead of JSON to type by hand."""

    pit_to_pit = inches("pit to pit")
    chest = inches("chest")
    shoulders = inches("shoulders")
    length = inches("length")
    sleeve = inches("sleeve")
    waist = inches("waist")
    hips = inches("hips")
    inseam = inches("inseam")
    rise = inches("rise")
    leg_opening = inches("leg opening")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.measurements if isinstance(self.instance.measurements, dict) else {}
        for name in self.boxes():
            self.initial.setdefault(name, stored.get(name))

    def boxes(self) -> list[str]:
        return [name for name in MEASUREMENT_ORDER if name in self.fields]

    def clean(self) -> dict:
        cleaned = super().clean()
        # Keys without a box (an import may add others) are kept as they were.
        stored = self.instance.measurements if isinstance(self.instance.measurements, dict) else {}
        measurements = {name: value for name, value in stored.items() if name not in self.boxes()}
        for name in self.boxes():
            value = cleaned.get(name)
            if value is not None:
                measurements[name] = int(value) if value == value.to_integral_value() else float(value)
        self.instance.measurements = measurements
        return cleaned


class WaitlistInline(admin.TabularInline):
    """Who waits for this piece, first in line first (they join by asking for it while it is held)."""

    model = WaitlistEntry
    fields = readonly_fields = ("place", "customer_link", "queued_at", "told_available_at")
    extra = 0
    can_delete = True
    verbose_name = "customer waiting"
    verbose_name_plural = "waitlist"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WaitlistEntry]:
        return super().get_queryset(request).select_related("customer").order_by("queued_at", "id")

    @admin.display(description="#")
    def place(self, entry: WaitlistEntry) -> int:
        return waitlist_place(entry=entry)

    @admin.display(description="customer")
    def customer_link(self, entry: WaitlistEntry) -> str:
        return customer_link(entry.customer)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    form = ItemForm
    list_display = ("sku", "name", "brand", "size_label", "price", "status", "who", "waiting", "measurements_text")
    list_filter = ("status", "brand", "size_label", "category", "condition")
    search_fields = ("sku", "name", "brand")
    list_select_related = ("held_by",)
    ordering = ("sku",)
    actions = ("release_holds", "extend_holds", "take_out_of_drop", "hide_items", "unhide_items")
    inlines = [WaitlistInline]
    fieldsets = (
        (None, {"fields": ("sku", "name", "brand", "category", "colour", "era", "size_label", "price", "condition")}),
        ("Description", {"fields": ("description", "image_url")}),
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
        ("On sale", {"fields": ("status", "who", "hold_extended_at", "hold_reminded_at", "drops_at")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        active_lines = OrderItem.objects.filter(is_active=True).select_related("order__customer")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("order_lines", active_lines, to_attr="active_lines"))
            .annotate(waiting_count=Count("waitlist", distinct=True))
        )

    @admin.display(description="waiting", ordering="waiting_count")
    def waiting(self, item: Item) -> int:
        return getattr(item, "waiting_count", 0)

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
            "measurements_text",
            "created_at",
            "updated_at",
        )
        return ("status", *readonly) if obj is not None else readonly

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: object) -> object:
        if db_field.name == "image_url":
            kwargs["assume_scheme"] = "https"  # a pasted "cdn.example.com/x.jpg" means https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: Field, request: HttpRequest, **kwargs: object) -> ChoiceField:
        if db_field.name == "status":
            kwargs["choices"] = NEW_ITEM_STATUSES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.action(description="Release hold (put back on sale)")
    def release_holds(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self, request, queryset, lambda item: services.release_hold(sku=item.sku), done="Released {count} hold(s)."
        )

    @admin.action(description="Extend hold (once per hold, by HOLD_HOURS)")
    def extend_holds(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self, request, queryset, lambda item: services.extend_hold(sku=item.sku), done="Extended {count} hold(s)."
        )

    @admin.action(description="Take out of its upcoming drop (on sale at once)")
    def take_out_of_drop(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self,
            request,
            queryset,
            lambda item: services.remove_from_drop(item=item),
            done="Took {count} item(s) out of their drop.",
        )

    @admin.action(description="Hide from the shop")
    def hide_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self, request, queryset, lambda item: services.hide_item(sku=item.sku), done="Hid {count} item(s)."
        )

    @admin.action(description="Put hidden items back on sale")
    def unhide_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self,
            request,
            queryset,
            lambda item: services.unhide_item(sku=item.sku),
            done="Put {count} item(s) on sale.",
        )


# --- Drops ----------------------------------------------------------------------------------------


class DropForm(forms.ModelForm):
    """A new drop: its name, time and pieces, scheduled through `services.schedule_drop` (same rules as the
    `schedule_drop` command)."""

    skus = forms.CharField(
        label="SKUs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The pieces in the drop, separated by spaces, commas or new lines.",
    )

    class Meta:
        model = Drop
        fields = ("name", "drops_at")

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["sku_list"] = [sku for sku in cleaned.get("skus", "").replace(",", " ").split() if sku]
        if cleaned.get("drops_at") and cleaned["sku_list"]:
            try:
                services.check_drop(drops_at=cleaned["drops_at"], skus=cleaned["sku_list"])
            except DomainError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


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
    def pieces(self, drop: Drop) -> int:
        return drop.piece_count

    @admin.display(description="claims", ordering="claim_count")
    def claimed(self, drop: Drop) -> int:
        return drop.claim_count

    @admin.display(description="settled")
    def settled(self, drop: Drop) -> str:
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
        "drop_item",
        "customer",
        "message",
        "tiktok_message_id",
        "written_at_ms",
        "tiktok_time",
        "received_at",
        "outcome",
        "waitlist_place",
        "created_at",
    )

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
