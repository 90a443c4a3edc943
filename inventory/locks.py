"""The one place that builds row-lock querysets for items.

Always ordered by primary key, so two transactions that lock several items never deadlock.
"""

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from inventory.models import Item


def lock_items(*, ids: Iterable[int] | None = None, skus: Iterable[str] | None = None) -> QuerySet[Item]:
    """Items by id or SKU, locked `FOR NO KEY UPDATE` in primary-key order. Call inside `transaction.atomic`.

    SKUs match case-insensitively and without surrounding spaces, like `selectors.get_item`: customers type
    "vnt-nike-wb-001" as often as "VNT-NIKE-WB-001" (the `item_sku_unique_ci` constraint keeps it one row).
    """
    queryset = Item.objects.all()
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    if skus is not None:
        matches = [Q(sku__iexact=sku.strip()) for sku in skus]
        queryset = queryset.filter(reduce(or_, matches)) if matches else queryset.none()
    return queryset.select_for_update(no_key=True).order_by("pk")
