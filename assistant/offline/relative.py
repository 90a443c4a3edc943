"""Relative asks: "anything cheaper than the carhartt?", "same but in L", "something longer than this one?".

The piece the ask is relative to (the anchor) is named ("the nirvana one", "the 501s") or in view ("this one",
"these", the one piece just shown), found as any reference is (`Turn.resolve`), else by its words in the stock.
The answer lists pieces on sale of the anchor's kind (a garment word in the message overrides it) with the
message's other filters ("in L", "under 50"), narrowed by the comparison: price against the anchor's price, size
by the size order or pit to pit (the waist for bottoms), length by `length` (the inseam for bottoms). Closest to
the anchor first; never the anchor itself. A question: nothing is held, ordered or offered.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from assistant import wording
from assistant.formatting import item_lines, money
from assistant.language.relative import RelativeAsk, read_relative
from assistant.offline.context import Turn
from assistant.references import matches
from assistant.results import Facts
from inventory.item_query import ItemQuery
from inventory.vocabulary import BOTTOMS, GARMENT_WORDS, SIZE_LABEL_ALIASES

# How the reply names a kind ("jackets", "tees", "dresses"): the plural of its category's own words, which narrow
# the search to nothing (`inventory.search.narrowing_words`).
PLURAL_KIND = {
    category: next(word for word in words if word.endswith("s") and not word.endswith("ss"))
    for category, families in GARMENT_WORDS.items()
    for words in [next(iter(families.values()))]
}
SIZE_ORDER = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
# Pieces read to pick the closest from: the newest this many that fit each query.
CANDIDATES = 24
SHOWN = 5
# Strictly more or less than the anchor: the filters compare with >= and <=.
STEP = 0.01


@dataclass(frozen=True)
class Comparison:
    """What fits (pieces matching any of `queries`), how far a piece is from the anchor (closest first) and
    the anchor's figure as the reply says it ("$120", '28"')."""

    queries: tuple[ItemQuery, ...]
    distance: Callable[[Facts], float]
    figure: str


def is_relative(turn: Turn) -> bool:
    return read_relative(turn.text) is not None


def relative(turn: Turn) -> str | None:
    """The pieces that fit a relative ask; None when it is not one after all (no piece to compare with, or
    "the same" with nothing to change)."""
    ask = read_relative(turn.text)
    if ask is None:
        return None
    anchors = _anchors(turn, ask)
    if isinstance(anchors, str) or anchors is None:
        return anchors
    base = _same_kind(turn.parse(ask.rest).without_words(), anchors)
    if ask.comparison == "same":
        if base == _same_kind(ItemQuery(), anchors):
            return None  # "same but …" that changes nothing we can search for
        comparison: Comparison | str = Comparison(queries=(base,), distance=_by_price_near(anchors), figure="")
    else:
        comparison = COMPARE[ask.comparison](ask, base, anchors)
    if isinstance(comparison, str):
        return comparison
    return _answer(turn, ask, base, anchors, comparison)


def _anchors(turn: Turn, ask: RelativeAsk) -> list[Facts] | str | None:
    """The pieces the ask is relative to; the question "which one?" when several fit and one is meant; None when
    no piece is in view or named."""
    reference = turn.resolve(ask.anchor)
    items, candidates = reference.items, reference.candidates
    if not (items or candidates) and ask.anchor:
        items = _by_words(turn, ask.anchor)
        if len(items) > 1 and not ask.anchor_is_plural:
            items, candidates = [], items
    if items:
        return items
    if candidates and (ask.anchor_is_plural or reference.everything):
        return candidates
    if candidates:
        return wording.which_of(item_lines(candidates))
    return None  # nothing named and nothing in view: not a relative ask we can answer


def _by_words(turn: Turn, text: str) -> list[Facts]:
    """Pieces on sale that every word of `text` fits ("the nasa one", "the trench")."""
    query = turn.parse(text)
    if not (query.words or query.has_filters()):
        return []
    found = turn.toolbox.search_items(query=query, limit=3)
    if found.relaxed:
        return []
    items = turn.toolbox.items([facts["sku"] for facts in found.items], full=True)
    return [facts for facts in items if matches(facts, query, every_word=True)]


def _same_kind(wanted: ItemQuery, anchors: list[Facts]) -> ItemQuery:
    """The message's own filters, in the anchors' kind unless it names one ("tees cheaper than the nirvana");
    "in a 32" about bottoms is the waist."""
    if not wanted.categories:
        categories = tuple(dict.fromkeys(facts["category"] for facts in anchors if facts.get("category")))
        kinds = tuple(PLURAL_KIND[category] for category in categories if category in PLURAL_KIND)
        wanted = replace(wanted, categories=categories, kind_words=kinds)
    if set(wanted.categories) <= BOTTOMS and wanted.waist is None:
        waists = [size for size in wanted.sizes if size.isdigit() and 22 <= int(size) <= 48]
        if waists:
            wanted = replace(wanted, sizes=(), waist=int(waists[0]), notes=())
    return wanted


def _answer(turn: Turn, ask: RelativeAsk, base: ItemQuery, anchors: list[Facts], comparison: Comparison) -> str:
    found = _closest_first(turn, comparison.queries, anchors, comparison.distance)
    described = _described(ask, base, anchors, comparison.figure)
    if found:
        return wording.relative_found(item_lines(found[:SHOWN]), described=described)
    # Nothing fits: the same query without the comparison ("same but …": the anchors' kind alone), closest first.
    loosest = ItemQuery(categories=base.categories) if ask.comparison == "same" else base
    closest = _closest_first(turn, (loosest,), anchors, comparison.distance)
    return wording.relative_none(described=described, closest_lines=item_lines(closest[:3]))


def _closest_first(
    turn: Turn, queries: tuple[ItemQuery, ...], anchors: list[Facts], distance: Callable[[Facts], float]
) -> list[Facts]:
    """Pieces on sale fitting any of `queries`, the anchors left out, closest to them first (full facts)."""
    left_out = {facts["sku"] for facts in anchors}
    skus: list[str] = []
    for query in queries:
        for facts in turn.toolbox.search_items(query=query, limit=CANDIDATES).items:
            if facts["sku"] not in left_out and facts["sku"] not in skus:
                skus.append(facts["sku"])
    if not skus:
        return []
    return sorted(turn.toolbox.items(skus, full=True), key=distance)


def _described(ask: RelativeAsk, base: ItemQuery, anchors: list[Facts], figure: str) -> str:
    """ "jackets cheaper than the Carhartt Detroit Jacket ($120)", "sweatshirts in L"."""
    names = " and ".join(dict.fromkeys(facts["name"] for facts in anchors))
    if ask.comparison == "same":
        sizes = "/".join(dict.fromkeys(facts["size"] for facts in anchors if facts.get("size")))
        return base.describe() + wording.one_of_a_kind_in(names, sizes)
    return f"{base.describe()} {wording.COMPARED[ask.comparison]} the {names}" + (f" ({figure})" if figure else "")


# --- the comparisons ---


def _by_price_near(anchors: list[Facts]) -> Callable[[Facts], float]:
    reference = float(min(Decimal(facts["price"]) for facts in anchors))
    return lambda facts: abs(float(facts["price"]) - reference)


def _price(ask: RelativeAsk, base: ItemQuery, anchors: list[Facts]) -> Comparison:
    prices = [Decimal(facts["price"]) for facts in anchors]
    if ask.comparison == "cheaper":
        reference = min(prices)
        limit = reference - Decimal(str(STEP))
        query = replace(base, max_price=limit if base.max_price is None else min(limit, base.max_price))
    else:
        reference = max(prices)
        limit = reference + Decimal(str(STEP))
        query = replace(base, min_price=limit if base.min_price is None else max(limit, base.min_price))
    return Comparison(
        queries=(query,), distance=lambda facts: abs(float(facts["price"]) - float(reference)), figure=money(reference)
    )


def _length(ask: RelativeAsk, base: ItemQuery, anchors: list[Facts]) -> Comparison | str:
    key = "inseam" if _bottoms(base, anchors) else "length"
    values = [_measurement(facts, key) for facts in anchors]
    known = [value for value in values if value is not None]
    if len(known) < len(values):
        missing = next(facts for facts, value in zip(anchors, values, strict=True) if value is None)
        return wording.lacks_measurement(missing["name"], key, ask.comparison)
    return _beyond(ask, base, key, known)


def _size(ask: RelativeAsk, base: ItemQuery, anchors: list[Facts]) -> Comparison | str:
    """Bottoms by the waist; the rest by the size order (XS < S < M < L < XL < XXL) or the pit to pit."""
    if ask.waist or _bottoms(base, anchors):
        waists = [_waist(facts) for facts in anchors]
        if None in waists:
            missing = next(facts for facts, waist in zip(anchors, waists, strict=True) if waist is None)
            return wording.lacks_measurement(missing["name"], "waist", ask.comparison)
        return _beyond(ask, base, "waist", [waist for waist in waists if waist is not None])
    bigger = ask.comparison == "bigger"
    ranks = [_size_rank(facts.get("size", "")) for facts in anchors]
    widths = [_measurement(facts, "pit_to_pit") for facts in anchors]
    queries: list[ItemQuery] = []
    if None not in ranks:
        rank = (max if bigger else min)(rank for rank in ranks if rank is not None)
        sizes = SIZE_ORDER[rank + 1 :] if bigger else SIZE_ORDER[:rank]
        if base.sizes:
            sizes = tuple(size for size in base.sizes if size in sizes)
        if sizes:
            queries.append(replace(base, sizes=sizes))
    if None not in widths:
        queries.append(_beyond(ask, base, "pit_to_pit", [width for width in widths if width is not None]).queries[0])
    if None in ranks and None in widths:
        return wording.lacks_measurement(anchors[0]["name"], "size", ask.comparison)
    known = [width for width in widths if width is not None]
    reference = (max if bigger else min)(known) if known else None
    figure = "/".join(dict.fromkeys(facts["size"] for facts in anchors if facts.get("size")))
    if reference is not None:
        figure += f', {reference:g}" pit to pit'

    def distance(facts: Facts) -> float:
        width = _measurement(facts, "pit_to_pit")
        return abs(width - reference) if width is not None and reference is not None else 100.0

    return Comparison(queries=tuple(queries), distance=distance, figure=figure)


def _beyond(ask: RelativeAsk, base: ItemQuery, key: str, values: list[float]) -> Comparison:
    """Pieces whose `key` measurement is beyond every anchor's: more for longer/bigger, less for shorter/smaller."""
    more = ask.comparison in ("longer", "bigger")
    reference = max(values) if more else min(values)
    if more:
        query = replace(base, measurements_min=(*base.measurements_min, (key, reference + STEP)))
    else:
        query = replace(base, measurements_max=(*base.measurements_max, (key, reference - STEP)))

    def distance(facts: Facts) -> float:
        value = _measurement(facts, key)
        return abs(value - reference) if value is not None else 100.0

    return Comparison(queries=(query,), distance=distance, figure=f'{reference:g}" {key.replace("_", " ")}')


COMPARE: dict[str, Callable[[RelativeAsk, ItemQuery, list[Facts]], Comparison | str]] = {
    "cheaper": _price,
    "dearer": _price,
    "longer": _length,
    "shorter": _length,
    "bigger": _size,
    "smaller": _size,
}


# --- a piece's figures ---


def _bottoms(base: ItemQuery, anchors: list[Facts]) -> bool:
    categories = set(base.categories) or {str(facts.get("category", "")) for facts in anchors}
    return bool(categories) and categories <= BOTTOMS


def _measurement(facts: Facts, key: str) -> float | None:
    value = (facts.get("measurements") or {}).get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _waist(facts: Facts) -> float | None:
    """The waist measured, else the one on the label ("W32 L30")."""
    measured = _measurement(facts, "waist")
    if measured is not None:
        return measured
    label = re.search(r"(?:^|W ?)(\d{2})(?:$|[^0-9])", facts.get("size", "").upper())
    return float(label.group(1)) if label else None


def _size_rank(label: str) -> int | None:
    """Where a size label stands in the size order ("L" → 4, "Large" → 4), None for "W32 L30" or "UK 8"."""
    label = label.upper().strip()
    for size, aliases in SIZE_LABEL_ALIASES.items():
        if label in aliases or label.removeprefix("MEN'S ").removeprefix("WOMEN'S ") in aliases:
            return SIZE_ORDER.index(size)
    return None
