"""Interactions and propositions for the owner to read: both are written by the services where things happen, so
the admin only lists them."""

from django.contrib import admin
from django.http import HttpRequest

from propositions.models import Interaction, Proposition


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "kind", "item", "message")
    list_filter = ("kind",)
    search_fields = ("customer__username", "customer__tiktok_user_id", "item__sku")
    list_select_related = ("customer", "item")
    raw_id_fields = ("customer", "item", "message")


@admin.register(Proposition)
class PropositionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "item", "reason", "confidence", "outcome")
    list_filter = ("reason", "outcome")
    search_fields = ("customer__username", "customer__tiktok_user_id", "item__sku")
    list_select_related = ("customer", "item")
    raw_id_fields = ("customer", "item", "instead_of", "message")
