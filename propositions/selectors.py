"""Reads: the pieces to propose in place of one a customer could not have (`similar_pieces`), and their sizes."""

from datetime import datetime

from django.db.models import Q

from conversations.models import Customer
from inventory.models import Item
from propositions.models import CustomerSizes
from propositions.scoring import Scored, Sizes, Target, score

# How many of the newest candidate pieces are scored: enough for a shop's one category, few enough to score fast.
CANDIDATES = 200
# Pieces scoring less than this are not proposed: nothing in common but being new.
MIN_CONFIDENCE = 0.25


def similar_pieces(*, target: Target, sizes: Sizes, now: datetime, limit: int = 3) -> list[Scored]:
    """Up to `limit` pieces on sale now (never held, sold, hidden or in a drop still to come, never the one wanted)
    that best stand in for `target`, best first. One query: the newest `CANDIDATES` free pieces of the same kind or
    brand (any piece when the target names neither), within its price limits; scored in Python."""
    candidates = Item.objects.free(now=now).exclude(pk__in=target.excluded_ids)
    same = Q(category__in=target.categories) if target.categories else Q()
    for brand in target.brands:
        same |= Q(brand__iexact=brand)
    if same:
        candidates = candidates.filter(same)
    if target.min_price is not None:
        candidates = candidates.filter(price__gte=target.min_price)
    if target.max_price is not None:
        candidates = candidates.filter(price__lte=target.max_price)
    scored = [
        score(item, target=target, sizes=sizes, now=now) for item in candidates.order_by("-created_at")[:CANDIDATES]
    ]
    ranked = sorted(scored, key=lambda found: (-found.confidence, -found.item.created_at.timestamp(), found.item.pk))
    return [found for found in ranked if found.confidence >= MIN_CONFIDENCE][:limit]


def known_sizes(*, customer: Customer) -> Sizes:
    """The sizes the customer is known to wear; empty when none are (one query)."""
    stored = CustomerSizes.objects.filter(customer=customer).first()
    if stored is None:
        return Sizes()
    return Sizes(labels=frozenset(stored.labels), waist=stored.waist, measurements=dict(stored.measurements))
