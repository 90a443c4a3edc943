"""Reads: the pieces to propose in place of one a customer could not have (`similar_pieces`), and their sizes."""

from datetime import datetime

from django.db.models import Q, QuerySet

from conversations.models import Customer
from inventory.models import Item
from propositions.models import CustomerSizes
from propositions.scoring import Scored, Sizes, Target, score
from propositions.weights import current_weights

# How many of the newest candidate pieces are scored: a few weeks of a one-person shop's one category, and few enough
# to read and score in a few milliseconds (bench/propositions.py).
CANDIDATES = 100
# What scoring and the facts of the pieces proposed read: the rest of a row (its description) is left in the database.
CANDIDATE_FIELDS = (
    *("sku", "name", "brand", "category", "size_label", "measurements", "price", "era", "created_at"),
    *("status", "held_by", "held_until", "drops_at"),
)
# Pieces scoring less than this are not proposed: nothing in common but being new.
MIN_CONFIDENCE = 0.25


def similar_pieces(*, target: Target, sizes: Sizes, now: datetime, limit: int = 3) -> list[Scored]:
    """Up to `limit` pieces on sale now (never held, sold, hidden or in a drop still to come, never the one wanted)
    that best stand in for `target`, best first: the `candidates`, read in one query, scored in Python with the
    weights in use (`current_weights`: kept per process, no query on most calls)."""
    weights = current_weights()
    scored = [
        score(item, target=target, sizes=sizes, now=now, weights=weights) for item in candidates(target=target, now=now)
    ]
    ranked = sorted(scored, key=lambda found: (-found.confidence, -found.item.created_at.timestamp(), found.item.pk))
    return [found for found in ranked if found.confidence >= MIN_CONFIDENCE][:limit]


def candidates(*, target: Target, now: datetime) -> QuerySet[Item]:
    """The newest `CANDIDATES` free pieces of the target's kind or brand (any piece when it names neither), within
    its price limits, the wanted piece left out."""
    found = Item.objects.free(now=now).exclude(pk__in=target.excluded_ids)
    same = Q(category__in=target.categories) if target.categories else Q()
    for brand in target.brands:
        same |= Q(brand__iexact=brand)
    if same:
        found = found.filter(same)
    if target.min_price is not None:
        found = found.filter(price__gte=target.min_price)
    if target.max_price is not None:
        found = found.filter(price__lte=target.max_price)
    return found.only(*CANDIDATE_FIELDS).order_by("-created_at")[:CANDIDATES]


def known_sizes(*, customer: Customer) -> Sizes:
    """The sizes the customer is known to wear; empty when none are (one query)."""
    stored = CustomerSizes.objects.filter(customer=customer).first()
    if stored is None:
        return Sizes()
    return Sizes(labels=frozenset(stored.labels), waist=stored.waist, measurements=dict(stored.measurements))
