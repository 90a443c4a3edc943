"""Staff's view of the stock. Holds and status change only through `inventory.services`."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.db.models.fields import Field
from django.forms import ChoiceField
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from inventory import services
from inventory.models import MEASUREMENT_ORDER, Item
from orders.models import OrderItem
from philia.admin_actions import BackToPageAfterAction, apply_service, customer_link

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


@admin.register(Item)
class ItemAdmin(BackToPageAfterAction, admin.ModelAdmin):
    form = ItemForm
    list_display = ("sku", "name", "price_with_currency", "status", "size_label", "brand", "who", "measurements_text")
    list_filter = ("status", "brand", "size_label", "category", "condition")
    search_fields = ("sku", "name", "brand")
    list_select_related = ("held_by",)
    ordering = ("sku",)
    actions = ("release_holds", "hide_items", "unhide_items")
    confirm_actions = {"release_holds": "Release {count} hold(s)? The items go back on sale for anyone."}
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
        ("On sale", {"fields": ("status", "who")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        active_lines = OrderItem.objects.filter(is_active=True).select_related("order__customer")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("order_lines", active_lines, to_attr="active_lines"))
        )

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
        readonly = ("held_by", "held_until", "who", "measurements_text", "created_at", "updated_at")
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
