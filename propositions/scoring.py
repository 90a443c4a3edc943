"""The scorer: how well an available piece stands in for what a customer wanted, as a sum of explicit features.

Each feature gives a number between 0 and 1, times its hand-set weight; the weights add up to 1, so the score (the
proposition's `confidence`) is between 0 and 1 and `features` says how much each feature gave. Pure Python over rows
already read: no database. The weights are hand-set (`WEIGHTS`) until the nightly re-fit (`propositions.refit`)
adopts better ones learnt from outcomes; `propositions.weights.current_weights` gives the ones in use.
"""

import heapq
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, TypeVar

from inventory.item_query import ItemQuery
from inventory.models import Item
from inventory.vocabulary import SIZE_LABEL_ALIASES

WEIGHTS: dict[str, float] = {
    "category": 0.30,
    "size": 0.25,
    "price": 0.15,
    "brand": 0.15,
    "style": 0.10,  # the era, and words of the name shared with what was wanted
    "newness": 0.05,
}
# The features in the order their values and contributions are listed and added up.
FEATURES = tuple(WEIGHTS)
# A piece's price counts fully within this fraction of the wanted price, then less, to nothing at twice as far.
PRICE_BAND = 0.25
# A measurement fits within this many inches of the customer's.
MEASUREMENT_TOLERANCE = 1.0
# A piece put on sale today counts fully as new, one this many days old not at all.
NEW_FOR_DAYS = 60

_LETTER = {alias: size for size, aliases in SIZE_LABEL_ALIASES.items() for alias in aliases}
_WAIST = re.compile(r"(?:^|W ?)(\d{2})(?:$|[^0-9])")
_WORD = re.compile(r"[a-z0-9']+")
_PLAIN_WORDS = frozenset({"vintage", "the", "and", "with", "of", "a", "in"})
# Size labels and names repeat across a shop's stock: what they read as is kept per process, this many of each.
_TEXTS_KEPT = 4096


P = TypeVar("P", bound="Piece")
_Rest = tuple[float, float, float]  # a piece's price, style and newness
# What a piece's category, size and brand contribute, and its bound.
_Fixed = tuple[float, float, float, float]
# What ranking reads of every candidate: its category, size label and brand, and whether it was put on sale after the
# time of the ranking.
Facets = tuple[str, str, str, bool]
_NOT_YET = -1.0  # no fit is below 0


class Piece(Protocol):
    """What scoring reads of a piece: an `Item`, or a candidate row read as plain values
    (`propositions.selectors`)."""

    @property
    def category(self) -> str: ...
    @property
    def brand(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def era(self) -> str: ...
    @property
    def size_label(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def ordered_measurements(self) -> Mapping[str, int | float]: ...


@dataclass(frozen=True)
class Target:
    """What the customer wanted: the piece they could not have, or the search that found nothing."""

    categories: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()  # upper case
    sizes: frozenset[str] = frozenset()  # letter sizes, "M"
    waist: int | None = None
    price: Decimal | None = None
    eras: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    excluded_ids: frozenset[int] = frozenset()
    # A search's price limits hold: "tees under $30" is never answered with a $75 tee.
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    @classmethod
    def of_item(cls, item: Item) -> "Target":
        return cls(
            categories=frozenset({item.category}),
            brands=frozenset({item.brand.upper()} if item.brand else ()),
            sizes=letter_sizes(item.size_label),
            waist=waist_of(item.size_label),
            price=Decimal(item.price),
            eras=frozenset({item.era.lower()} if item.era else ()),
            words=name_words(item.name) - name_words(item.brand),
            excluded_ids=frozenset({item.pk}),
        )

    @classmethod
    def of_query(cls, query: ItemQuery) -> "Target":
        prices = [price for price in (query.min_price, query.max_price) if price is not None]
        return cls(
            categories=frozenset(query.categories),
            brands=frozenset(brand.upper() for brand in query.brands),
            sizes=frozenset(query.sizes),
            waist=query.waist,
            price=sum(prices, Decimal(0)) / len(prices) if prices else None,
            eras=frozenset(era.lower() for era in query.eras),
            words=frozenset(word.lower() for word in query.words) - _PLAIN_WORDS,
            min_price=query.min_price,
            max_price=query.max_price,
        )


@dataclass(frozen=True)
class Sizes:
    """The sizes a customer is known to wear (`CustomerSizes`); empty when none are known."""

    labels: frozenset[str] = frozenset()
    waist: int | None = None
    measurements: Mapping[str, float] = field(default_factory=dict)

    def key(self) -> tuple[frozenset[str], int | None, tuple[tuple[str, float], ...]]:
        """The same for the same sizes: customers who wear the same get the same pieces, ranked once."""
        return self.labels, self.waist, tuple(sorted(self.measurements.items()))


@dataclass(frozen=True)
class Scored:
    item: Item
    confidence: float
    features: dict[str, float]


def feature_values(item: Piece, *, target: Target, sizes: Sizes, now: datetime) -> dict[str, float]:
    """Each feature's value for `item`, 0 to 1, before its weight."""
    return Scorer(target=target, sizes=sizes, now=now).values(item)


def score(item: Item, *, target: Target, sizes: Sizes, now: datetime, weights: Mapping[str, float] = WEIGHTS) -> Scored:
    """`item` against what was wanted, for a customer of `sizes`: each feature's contribution and their sum. The
    weights are the hand-set `WEIGHTS` unless given (`propositions.weights.current_weights`: the adopted ones)."""
    values = feature_values(item, target=target, sizes=sizes, now=now)
    return weigh(item, values, weights)


def weigh(item: Item, values: Mapping[str, float], weights: Mapping[str, float]) -> Scored:
    confidence, features = weighed(values, weights)
    return Scored(item=item, confidence=confidence, features=features)


def weighed(values: Mapping[str, float], weights: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """The confidence and each feature's contribution, from the features' values and their weights."""
    features = {name: round(weights[name] * value, 4) for name, value in values.items()}
    return _confidence(features.values()), features


def _confidence(contributions: Iterable[float]) -> float:
    """The contributions added up in their order (as the ranking's `Scorer._add` adds them: not `sum`, whose float
    addition changed in Python 3.12), at most 1, rounded."""
    total = 0.0
    for contribution in contributions:
        total += contribution
    return round(min(1.0, total), 4)


def _weighed_sum(weights: Sequence[float], values: Sequence[float]) -> float:
    """`weighed`'s confidence from the weights and values in `FEATURES` order."""
    return _confidence([round(weight * value, 4) for weight, value in zip(weights, values, strict=True)])


def _fixed(fit: tuple[float, float, float], in_order: Sequence[float]) -> _Fixed:
    """What a piece whose category, size and brand fit as `fit` says gets for them, and its bound: with price, style
    and newness at their most."""
    category, size, brand = fit
    bound = _weighed_sum(in_order, (category, size, 1, brand, 1, 1))
    return round(in_order[0] * category, 4), round(in_order[1] * size, 4), round(in_order[3] * brand, 4), bound


def _highest_bound_first(bounded: tuple[float, int, object]) -> tuple[float, int]:
    return -bounded[0], bounded[1]


def size_fit(item: Piece, *, target: Target, sizes: Sizes) -> float:
    """1 when the piece is in a size the customer wears: their known sizes and measurements when there are any,
    else the size of what they wanted (no size known and none wanted: 0, nothing to go by)."""
    return Scorer(target=target, sizes=sizes).size(item)


class Scorer:
    """The features of pieces against one target, for one customer, at one time: what depends on those alone is
    worked out once, and a hundred candidates are ranked (`most_confident`) without scoring in full those that could
    not be among the best."""

    def __init__(
        self, *, target: Target, sizes: Sizes, now: datetime | None = None, known: dict[int, _Rest] | None = None
    ) -> None:
        self.target, self.sizes, self.now = target, sizes, now
        self._labels = sizes.labels or target.sizes
        self._waist = sizes.waist if sizes.labels or sizes.waist or sizes.measurements else target.waist
        # Each piece's price, style and newness (by its `id`: the pieces are the caller's, alive while it ranks them),
        # which no customer's sizes change: shared by this scorer's `for_sizes`, worked out once for all of them.
        self._known: dict[int, _Rest] = {} if known is None else known

    def for_sizes(self, sizes: Sizes) -> "Scorer":
        """This scorer for a customer of `sizes` (the same target and time), sharing what it has worked out."""
        return Scorer(target=self.target, sizes=sizes, now=self.now, known=self._known)

    def values(self, item: Piece) -> dict[str, float]:
        """Each feature's value for `item` (`feature_values`)."""
        return dict(zip(FEATURES, self._values(item), strict=True))

    def most_confident(
        self,
        facets: Sequence[Facets],
        piece: Callable[[int], P],
        weights: Mapping[str, float],
        *,
        limit: int,
        floor: float,
    ) -> list[tuple[P, float]]:
        """The pieces that may be among the `limit` most confident with a confidence of at least `floor`, each with its
        confidence (`weighed`'s). `facets` gives each piece's category, size label and brand and whether it was put
        on sale after `now`; `piece(position)` the piece itself, asked for only when it is scored in full. A piece
        is scored in full only when its bound — what its category, size and brand give, with price, style and
        newness at their most, never below its confidence — reaches the `limit`-th best confidence so far: the
        pieces are scored the highest bound first, and once a bound falls short, so do all the rest. What a
        category, size label and brand give is worked out once for all the pieces that share them."""
        if limit <= 0:
            return []
        in_order = [weights[name] for name in FEATURES]
        # Only with no weight below 0 is more of a feature never less confidence; a piece put on sale after `now` is
        # newer than new (its newness above 1): neither has a bound, and each is scored in full first.
        prune = self.now is not None and all(weight >= 0 for weight in in_order)
        fits: dict[tuple[float, float, float], _Fixed] = {}  # by the category's, the size's and the brand's fit
        label_fits: dict[str, float | None] = {}
        brand_fits: dict[str, float] = {}
        best: list[float] = []  # the `limit` best confidences so far, the least first (a heap)
        found: list[tuple[P, float]] = []
        bounded: list[tuple[float, int, _Fixed]] = []
        for position, (category, size_label, brand, after_now) in enumerate(facets):
            size = label_fits.get(size_label, _NOT_YET)
            if size == _NOT_YET:
                size = label_fits[size_label] = self._label_size(size_label)
            if size is None:  # only the piece's measurements can tell
                size = self._measured_size(piece(position))
            brand_fit = brand_fits.get(brand)
            if brand_fit is None:
                brand_fit = brand_fits[brand] = self._brand(brand)
            fit = (self._category(category), size, brand_fit)
            fixed = fits.get(fit)
            if fixed is None:
                fixed = fits[fit] = _fixed(fit, in_order)
            if prune and not after_now:
                bounded.append((fixed[3], position, fixed))
            else:
                self._add(found, best, piece(position), fixed, in_order, limit=limit, floor=floor)
        bounded.sort(key=_highest_bound_first)
        for bound, position, fixed in bounded:
            if bound < (best[0] if len(best) >= limit else floor):
                break
            self._add(found, best, piece(position), fixed, in_order, limit=limit, floor=floor)
        return found

    def _add(
        self,
        found: list[tuple[P, float]],
        best: list[float],
        item: P,
        fixed: _Fixed,
        in_order: Sequence[float],
        *,
        limit: int,
        floor: float,
    ) -> None:
        """Score `item` in full (what its category, size and brand contribute `fixed`); keep it when it reaches
        `floor`. The sum of the rounded contributions in `FEATURES` order, as `weighed` adds them."""
        price, style, newness = self._rest(item)
        category, size, brand, _ = fixed
        rest = (round(in_order[2] * price, 4), round(in_order[4] * style, 4), round(in_order[5] * newness, 4))
        confidence = _confidence((category, size, rest[0], brand, rest[1], rest[2]))
        if confidence >= floor:
            found.append((item, confidence))
            (heapq.heappush if len(best) < limit else heapq.heappushpop)(best, confidence)

    def _values(self, item: Piece) -> tuple[float, ...]:
        price, style, newness = self._rest(item)
        return (self._category(item.category), self.size(item), price, self._brand(item.brand), style, newness)

    def _rest(self, item: Piece) -> _Rest:
        rest = self._known.get(id(item))
        if rest is None:
            rest = self._known[id(item)] = (self._price(item), style_fit(item, target=self.target), self.newness(item))
        return rest

    def _category(self, category: str) -> float:
        return 1.0 if category in self.target.categories else 0.0

    def _brand(self, brand: str) -> float:
        return 1.0 if brand and brand.upper() in self.target.brands else 0.0

    def _price(self, item: Piece) -> float:
        return price_fit(Decimal(item.price), self.target.price)

    def size(self, item: Piece) -> float:
        fit = self._label_size(item.size_label)
        return fit if fit is not None else self._measured_size(item)

    def _label_size(self, size_label: str) -> float | None:
        """1 when the size label is one the customer wears, 0 when it is not and there are no measurements to go
        by, None when the piece's measurements must tell."""
        if letter_sizes(size_label) & self._labels:
            return 1.0
        if self._waist is not None and waist_of(size_label) == self._waist:
            return 1.0
        return None if self.sizes.measurements else 0.0  # nothing to measure against: the piece's own are not read

    def _measured_size(self, item: Piece) -> float:
        measured = item.ordered_measurements
        close = [
            abs(measured[name] - wanted) <= MEASUREMENT_TOLERANCE
            for name, wanted in self.sizes.measurements.items()
            if name in measured
        ]
        return 1.0 if close and all(close) else 0.0

    def newness(self, item: Piece) -> float:
        if self.now is None:
            raise ValueError("newness needs the time (Scorer(now=...))")
        return max(0.0, 1 - (self.now - item.created_at).total_seconds() / (NEW_FOR_DAYS * 86400))


def price_fit(price: Decimal, wanted: Decimal | None) -> float:
    if wanted is None or wanted <= 0:
        return 0.0
    off = abs(float(price - wanted)) / float(wanted)
    if off <= PRICE_BAND:
        return 1.0
    return max(0.0, 1 - (off - PRICE_BAND) / PRICE_BAND)


def style_fit(item: Piece, *, target: Target) -> float:
    """Half for the same era, half for the share of the wanted words the piece's name has."""
    era = 0.5 if item.era and item.era.lower() in target.eras else 0.0
    if not target.words:
        return era
    shared = len(target.words & name_words(item.name)) / len(target.words)
    return era + 0.5 * shared


@lru_cache(maxsize=_TEXTS_KEPT)
def letter_sizes(label: str) -> frozenset[str]:
    """The letter sizes a size label names: "Men's L" → {L}, "L/XL" → {L, XL}, "W32 L30" → none."""
    if _WAIST.search(label.upper()) and "W" in label.upper():
        return frozenset()
    tokens = re.split(r"[/ ,]+", label.upper().replace("MEN'S", "").replace("WOMEN'S", ""))
    return frozenset(_LETTER[token] for token in tokens if token in _LETTER)


@lru_cache(maxsize=_TEXTS_KEPT)
def waist_of(label: str) -> int | None:
    """The waist a bottom's size label names: "32", "W32 L30", "32x30"."""
    found = _WAIST.search(label.upper())
    return int(found.group(1)) if found else None


@lru_cache(maxsize=_TEXTS_KEPT)
def name_words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower())) - _PLAIN_WORDS
