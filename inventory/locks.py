"""The one place that builds row-lock querysets for items.

Always ordered by primary key, so two transactions that lock several items never deadlock.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from inventory.models import Item


def lock_items(*, ids: Iterable[int] | None = None, skus: Iterable[str] | None = None) -> QuerySet[Item]:
    """Items by id or SKU, locked `FOR NO KEY UPDATE` in primary-key order. Call inside `transaction.atomic`."""
    queryset = Item.objects.all()
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    if skus is not None:
        queryset = queryset.filter(sku__in=list(skus))
    return queryset.select_for_update(no_key=True).order_by("pk")
