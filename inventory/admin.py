"""Staff's view of the stock. Holds and status change only through `inventory.services`."""

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.fields import Field
from django.forms import ChoiceField
from django.http import HttpRequest

from inventory import services
from inventory.models import Item
from philia.admin_actions import apply_service

# The statuses a new item may start in; held and sold only come from a hold or an order.
NEW_ITEM_STATUSES = [(Item.Status.AVAILABLE, Item.Status.AVAILABLE.label), (Item.Status.HIDDEN, Item.Status.HIDDEN.label)]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "brand", "size_label", "price", "status", "held_by", "held_until", "measurements_text")
    list_filter = ("status", "brand", "size_label", "category", "condition")
    search_fields = ("sku", "name", "brand")
    list_select_related = ("held_by",)
    ordering = ("sku",)
    actions = ("release_holds", "hide_items", "unhide_items")
    fieldsets = (
        (None, {"fields": ("sku", "name", "brand", "category", "colour", "era", "size_label", "price", "condition")}),
        ("Description", {"fields": ("description", "image_url")}),
        ("Measurements (inches)", {"fields": ("measurements", "measurements_text")}),
        ("On sale", {"fields": ("status", "held_by", "held_until")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="measurements")
    def measurements_text(self, item: Item) -> str:
        return item.measurements_text or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Item | None = None) -> tuple[str, ...]:
        # Holds change only through the services (the actions below), so their rules hold here too.
        readonly = ("held_by", "held_until", "measurements_text", "created_at", "updated_at")
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
        apply_service(self, request, queryset, lambda item: services.hide_item(sku=item.sku), done="Hid {count} item(s).")

    @admin.action(description="Put hidden items back on sale")
    def unhide_items(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        apply_service(
            self, request, queryset, lambda item: services.unhide_item(sku=item.sku), done="Put {count} item(s) on sale."
        )
