"""Reads: the pieces to propose in place of one a customer could not have (`similar_pieces`; `scored_candidates` and
`rank` when many customers lost the same piece), and their sizes."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from conversations.models import Customer
from inventory.models import Item
from inventory.selectors import drop_items_unsettled
from propositions.models import CustomerSizes
from propositions.scoring import PieceSize, Scored, Sizes, Target, feature_values, piece_size_fit, weigh
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


@dataclass
class Candidates:
    """The pieces that may stand in for `target`, read and scored once, then ranked for any number of customers by
    their sizes (`rank`): size is the one feature that depends on the customer, and it is 0 or 1, so each piece has
    at most two scores, each worked out once."""

    target: Target
    pieces: list[Item]
    sizes: list[PieceSize]
    values: list[dict[str, float]]  # each piece's feature values but its size
    weights: dict[str, float]
    scores: dict[tuple[int, float], Scored] = field(default_factory=dict)

    def scored(self, index: int, size: float) -> Scored:
        found = self.scores.get((index, size))
        if found is None:
            found = weigh(self.pieces[index], {**self.values[index], "size": size}, self.weights)
            self.scores[(index, size)] = found
        return found


def similar_pieces(
    *, target: Target, sizes: Sizes, now: datetime, limit: int = 3, kept_back: QuerySet[Any] | None = None
) -> list[Scored]:
    """Up to `limit` pieces on sale now (never held, sold, hidden, in a drop still to come or being settled, never the
    one wanted nor one `kept_back`) that best stand in for `target`, best first: the `candidates`, read in one query,
    scored in Python with the weights in use (`current_weights`: kept per process, no query on most calls)."""
    return rank(scored_candidates(target=target, now=now, kept_back=kept_back), sizes=sizes, limit=limit)


def scored_candidates(*, target: Target, now: datetime, kept_back: QuerySet[Any] | None = None) -> Candidates:
    """The `candidates` for `target`, read in one query, with every feature but size worked out."""
    pieces = list(candidates(target=target, now=now, kept_back=kept_back))
    return Candidates(
        target=target,
        pieces=pieces,
        sizes=[PieceSize.of(item) for item in pieces],
        values=[feature_values(item, target=target, sizes=Sizes(), now=now) for item in pieces],
        weights=dict(current_weights()),
    )


def rank(candidates: Candidates, *, sizes: Sizes, limit: int = 3) -> list[Scored]:
    """The best `limit` of the candidates for a customer of `sizes` scoring at least `MIN_CONFIDENCE`, best first
    (newest first on a tie). No query."""
    scored = [
        candidates.scored(index, piece_size_fit(piece, target=candidates.target, sizes=sizes))
        for index, piece in enumerate(candidates.sizes)
    ]
    ranked = sorted(
        (found for found in scored if found.confidence >= MIN_CONFIDENCE),
        key=lambda found: (-found.confidence, -found.item.created_at.timestamp(), found.item.pk),
    )
    return ranked[:limit]


def candidates(*, target: Target, now: datetime, kept_back: QuerySet[Any] | None = None) -> QuerySet[Item]:
    """The newest `CANDIDATES` free pieces of the target's kind or brand (any piece when it names neither), within
    its price limits, the wanted piece left out, and so are pieces whose drop is being settled (claimed, not settled:
    nobody can hold them) and the ids `kept_back` (a subquery: pieces lined up for a live stream)."""
    found = Item.objects.free(now=now).exclude(pk__in=target.excluded_ids)
    found = found.exclude(pk__in=drop_items_unsettled().values("item_id"))
    if kept_back is not None:
        found = found.exclude(pk__in=kept_back)
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
    return Sizes() if stored is None else _sizes(stored)


def sizes_of(*, customer_ids: Sequence[str]) -> dict[str, Sizes]:
    """The sizes each of these customers is known to wear, in one query; those with none known are left out."""
    return {stored.customer_id: _sizes(stored) for stored in CustomerSizes.objects.filter(customer_id__in=customer_ids)}


def _sizes(stored: CustomerSizes) -> Sizes:
    return Sizes(labels=frozenset(stored.labels), waist=stored.waist, measurements=dict(stored.measurements))
