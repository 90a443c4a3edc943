"""Staff's view of the stock. Holds and status change only through `inventory.services`, and so do photos."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.fields import Field
from django.db.models.functions import Coalesce
from django.forms import ChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from inventory import services
from inventory.models import MEASUREMENT_ORDER, Drop, DropClaim, DropItem, Item, ItemPhoto, WaitlistEntry
from inventory.photos import normalise_photo
from inventory.resources import ItemResource
from inventory.selectors import waitlist_line
from orders.models import OrderItem
from philia.admin_actions import BackToPageAfterAction, apply_service, customer_link
from philia.errors import DomainError

MAX_PHOTOS_AT_ONCE = 12
PHOTO_INPUT_ATTRS = {"accept": "image/*"}  # the phone offers its camera and its library

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


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one file box (pick them all at once from the phone's library), each normalised."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={**PHOTO_INPUT_ATTRS, "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_PHOTOS_AT_ONCE:
            raise ValidationError(f"At most {MAX_PHOTOS_AT_ONCE} photos at once; add more on the item's page.")
        errors, photos = [], []
        for file in files:
            try:
                photos.append(normalise_photo(super().clean(file, initial)))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return photos


class ItemAddForm(ItemForm):
    """The short way in, made for a phone: photos first, the SKU made up when left empty."""

    photos = MultiplePhotoField(required=False, help_text="Take them now or pick them from your library.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].required = False
        self.fields["sku"].help_text = "Leave empty to get one from the brand and category, e.g. VNT-NIKE-JKT-001."


class ItemPhotoForm(forms.ModelForm):
    """A photo row on the item's page: a new picture (normalised in `clean`), or an existing one to move."""

    upload = forms.FileField(
        label="photo", required=False, widget=forms.ClearableFileInput(attrs=PHOTO_INPUT_ATTRS), help_text=""
    )

    class Meta:
        model = ItemPhoto
        fields = ("position",)

    def clean_upload(self) -> object:
        upload = self.cleaned_data.get("upload")
        return normalise_photo(upload) if upload else None

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            self.instance.pk is None
            and self.has_changed()
            and not cleaned.get("upload")
            and "upload" not in self.errors
        ):
            raise ValidationError({"upload": "Choose a photo (or leave the row empty)."})
        return cleaned


class ItemPhotoFormSet(forms.BaseInlineFormSet):
    """A post without the photo rows' management form (a script, or a page saved before photos existed) means
    "no change to the photos" instead of refusing the whole item: rows are only ever added or deleted when sent."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        super().__init__(data, *args, **kwargs)


class ItemPhotoInline(admin.TabularInline):
    model = ItemPhoto
    form = ItemPhotoForm
    formset = ItemPhotoFormSet
    fields = ("preview", "upload", "position")
    readonly_fields = ("preview",)
    extra = 1
    verbose_name = "photo"
    verbose_name_plural = "photos (the first is the main one; phone camera or library)"

    @admin.display(description="")
    def preview(self, photo: ItemPhoto) -> str:
        return thumbnail_tag(photo, size=120) if photo.pk else ""


def thumbnail_tag(photo: ItemPhoto, *, size: int) -> str:
    return format_html(
        '<a href="{}"><img src="{}" alt="" loading="lazy" style="max-width:{}px;max-height:{}px;'
        'object-fit:cover;border-radius:4px"></a>',
        photo.image.url,
        photo.thumbnail.url,
        size,
        size,
    )


@admin.register(Item)
class ItemAdmin(BackToPageAfterAction, ImportExportModelAdmin):
    form = ItemForm
    add_form = ItemAddForm
    inlines = (ItemPhotoInline,)
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

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Item | None = None,
    ) -> HttpResponse:
        # "Save and add another" is for the add page (a pile of new stock); on a piece's own page it only confuses.
        context["show_save_and_add_another"] = add
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_inlines(self, request: HttpRequest, obj: Item | None = None) -> Any:
        # The add page takes its photos in its own box at the top; rows to reorder come once the item exists.
        return self.inlines if obj is not None else ()

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

    def delete_model(self, request: HttpRequest, obj: Item) -> None:
        files = services.photo_files_of(items=[obj])
        super().delete_model(request, obj)
        services.delete_files_after_commit(files)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        files = services.photo_files_of(items=queryset)
        super().delete_queryset(request, queryset)
        services.delete_files_after_commit(files)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not ItemPhoto:
            super().save_formset(request, form, formset, change)
            return
        item = form.instance
        # What formset.save() would have noted, for the admin's history ("Added photo ...").
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for photo_form in formset.forms:
            photo = photo_form.instance
            if photo_form in formset.deleted_forms:
                if photo.pk is not None:
                    services.remove_photo(photo=photo)
                    formset.deleted_objects.append(photo)
                continue
            if not photo_form.has_changed():
                continue
            upload = photo_form.cleaned_data.get("upload")
            position = photo_form.cleaned_data.get("position")
            if photo.pk is None:  # a new row keeps its default position: after the photos already there
                placed = position if "position" in photo_form.changed_data else None
                formset.new_objects.append(services.add_photo(item=item, photo=upload, position=placed))
                continue
            if upload is not None:
                services.replace_photo(photo=photo, new=upload)
            if "position" in photo_form.changed_data:
                services.move_photo(photo=photo, position=position or 0)
            formset.changed_objects.append((photo, photo_form.changed_data))

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

    @admin.display(description="photo")
    def thumbnail(self, item: Item) -> str:
        photos = getattr(item, "ordered_photos", None)
        if photos:
            return thumbnail_tag(photos[0], size=48)
        if item.image_url:
            return format_html(
                '<img src="{}" alt="" loading="lazy" style="max-width:48px;max-height:48px">', item.image_url
            )
        return "—"

    @admin.display(description="photos")
    def photo_strip(self, item: Item) -> str:
        photos = getattr(item, "ordered_photos", None)
        if photos is None:
            photos = list(item.photos.order_by("position", "pk"))
        if not photos:
            return "No photos yet: add them below."
        return format_html_join(" ", "{}", ((thumbnail_tag(photo, size=160),) for photo in photos))

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
