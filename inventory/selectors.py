"""Reads of the stock."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import ItemNotFound
from inventory.models import Item

SEARCH_FIELDS = ("name", "brand", "description", "sku", "colour", "era", "category")


def available_q(*, now: datetime | None = None) -> Q:
    """Items a customer could hold now: available, or held with the hold run out."""
    return Q(status=Item.Status.AVAILABLE) | Q(status=Item.Status.RESERVED, held_until__lte=now or timezone.now())


def get_item(sku: str) -> Item:
    item = Item.objects.filter(sku__iexact=sku.strip()).select_related("held_by").first()
    if item is None:
        raise ItemNotFound(sku)
    return item


def current_holds(*, customer: Customer, now: datetime | None = None) -> QuerySet[Item]:
    return Item.objects.filter(
        held_by=customer, status=Item.Status.RESERVED, held_until__gt=now or timezone.now()
    ).order_by("held_until", "pk")


def search_available_items(
    query: str, *, size: str | None = None, max_price: Decimal | None = None, limit: int = 5
) -> list[Item]:
    """Items on sale whose name, brand, description or SKU match every word of `query` (case-insensitive).

    An exact SKU comes first, then the newest items.
    """
    queryset = Item.objects.filter(available_q())
    for word in query.split():
        word_matches = Q()
        for field in SEARCH_FIELDS:
            word_matches |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(word_matches)
    if size:
        queryset = queryset.filter(size_label__iexact=size.strip())
    if max_price is not None:
        queryset = queryset.filter(price__lte=max_price)
    results = list(queryset.order_by("-created_at", "-pk")[: max(limit, 0)])
    exact = [item for item in results if item.sku.lower() == query.strip().lower()]
    return exact + [item for item in results if item not in exact]
