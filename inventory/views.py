"""The shop's public pages: one per item (`/p/<SKU>/`, the link sent when a photo cannot be) and the shop's
front page (`/`, the admin's "View site"). Plain HTML for a phone's browser; nothing about any customer."""

from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from inventory import selectors
from inventory.exceptions import ItemNotFound


def money(value: Decimal) -> str:
    """$45 for whole dollars, $45.50 otherwise (as the assistant writes prices)."""
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


@require_safe
def item_page(request: HttpRequest, sku: str) -> HttpResponse:
    try:
        item = selectors.public_item(sku)
    except ItemNotFound:
        return render(request, "inventory/not_found.html", {"shop_name": settings.SHOP_NAME, "sku": sku}, status=404)
    availability = selectors.public_availability(item)
    context = {
        "shop_name": settings.SHOP_NAME,
        "item": item,
        "photos": item.ordered_photos,
        "price": money(item.price),
        "availability": availability,
        "state": "upcoming-drop" if availability.startswith("drops ") else slugify(availability),
    }
    return cached_briefly(render(request, "inventory/item_page.html", context))


@require_safe
def shop_page(request: HttpRequest) -> HttpResponse:
    items = [(item, money(item.price)) for item in selectors.items_on_sale()]
    return cached_briefly(
        render(request, "inventory/shop_page.html", {"shop_name": settings.SHOP_NAME, "items": items})
    )


def cached_briefly(response: HttpResponse) -> HttpResponse:
    # Public and the same for everyone, so browsers and a proxy or CDN in front may keep it a little while:
    # a TikTok video can send many people to one item at once. A held or sold state shows up within max-age.
    patch_cache_control(response, public=True, max_age=settings.ITEM_PAGE_MAX_AGE)
    return response
