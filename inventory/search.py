"""Ranked search of the stock for structured filters: an `ItemQuery` (brand, kind of garment, size, waist,
colour, era, price and measurement filters, plus free words) → the best items on sale.

Reading a customer's words into an `ItemQuery` is the assistant's (`assistant.language.parse_search`);
the words both sides share are in `inventory.vocabulary`. The free words are matched and ranked with the
trigram indexes of inventory migration 0002 (the expressions below are `upper(column)`, exactly as indexed,
so the indexes are used) and misspellings still match by trigram word similarity.
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Case, Expression, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils import timezone

from inventory.item_query import ItemQuery
from inventory.models import Item
from inventory.vocabulary import (
    COLOUR_WORDS,
    FAMILY_FOR_WORD,
    GENERIC_KIND_WORDS,
    NAME_WORDS_FOR_FAMILY,
    SIZE_LABEL_ALIASES,
    categories_for_word,
)
from philia.db import STAND_IN_TIME, CompiledQuery

# --- Running a query ------------------------------------------------------------------------------


class WordSimilar(Func):
    """`'WORD' <% upper(column)`: the word is close to some word of the column (pg_trgm, GIN-indexable)."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _size_q(sizes: tuple[str, ...]) -> Q:
    """Labels that are the size, as a whole word: "L", "Large", "Men's L", "L/XL", "M/L"; never "XL" or the
    "L30" of "W32 L30". Plain comparisons of upper(size_label) (no regular expression): cheap per row."""
    labels: list[str] = []
    for size in sizes:
        labels.extend(SIZE_LABEL_ALIASES.get(size, (size, f"US {size}", f"UK {size}", f"EU {size}")))
    size_q = Q(size_upper__in=list(dict.fromkeys(labels)))
    for label in dict.fromkeys(labels):
        size_q |= (
            Q(size_upper__startswith=f"{label}/")
            | Q(size_upper__endswith=f"/{label}")
            | Q(size_upper__endswith=f" {label}")
        )
    return size_q


def _waist_regex(waist: int) -> str:
    # "32", "W32", "32W", "32x30", "32/30", "W32 L30" but not the length in "30x32" or "L32".
    return rf"(^|W ?){waist}($|[^0-9])|^{waist} ?W"


def _candidates(
    *, now: datetime | None, available_only: bool, upcoming_drops: bool = False, every_piece: bool = False
) -> QuerySet[Item]:
    """Items a customer could hold now, or (for "tell me about it") every item that is not hidden; never
    the pieces of a drop still to come — unless `upcoming_drops`: then only those (so a customer who
    describes one can be told when it drops). `every_piece`: the whole catalogue, whatever its state."""
    if every_piece:
        return Item.objects.all()
    if upcoming_drops:
        return Item.objects.not_yet_dropped(now=now).exclude(status__in=[Item.Status.HIDDEN, Item.Status.SOLD])
    if available_only:
        return Item.objects.free(now=now)
    return Item.objects.exclude(status=Item.Status.HIDDEN).exclude(Item.objects.not_yet_dropped_q(now=now))


def filtered(
    query: ItemQuery,
    *,
    now: datetime | None = None,
    available_only: bool = True,
    upcoming_drops: bool = False,
    every_piece: bool = False,
) -> QuerySet[Item]:
    """Items matching every filter of `query` (not its free words)."""
    queryset = _candidates(
        now=now, available_only=available_only, upcoming_drops=upcoming_drops, every_piece=every_piece
    )
    if query.brands:
        queryset = queryset.filter(brand__in=query.brands)
    if query.categories:
        queryset = queryset.filter(category__in=query.categories)
    if query.sizes:
        queryset = queryset.alias(size_upper=Upper("size_label")).filter(_size_q(query.sizes))
    if query.waist:
        queryset = queryset.filter(
            Q(size_label__iregex=_waist_regex(query.waist))
            | Q(measurements__waist__gte=query.waist - 0.5, measurements__waist__lte=query.waist + 1)
        )
    if query.colours:
        colour_q = Q()
        for colour in query.colours:
            for word in COLOUR_WORDS.get(colour, (colour,)):
                colour_q |= Q(colour__icontains=word) | Q(name__icontains=word)
        queryset = queryset.filter(colour_q)
    if query.eras:
        era_q = Q()
        for era in query.eras:
            century = "20" if era in ("00s", "10s") else "19"
            era_q |= Q(era__iexact=era) | Q(era__iexact=century + era) | Q(era__iexact=era.replace("s", "'s"))
        queryset = queryset.filter(era_q)
    if query.min_price is not None:
        queryset = queryset.filter(price__gte=query.min_price)
    if query.max_price is not None:
        queryset = queryset.filter(price__lte=query.max_price)
    for key, value in query.measurements_min:
        queryset = queryset.filter(**{f"measurements__{key}__gte": value})
    for key, value in query.measurements_max:
        queryset = queryset.filter(**{f"measurements__{key}__lte": value})
    return queryset


TEXT_COLUMNS = ("name", "brand", "description")
# A word found in more items than this is too common to rank them all: the newest ones are ranked.
CANDIDATE_LIMIT = 2000


def _having_words(words: Iterable[str], *, columns: tuple[str, ...] = TEXT_COLUMNS, every: bool) -> Q:
    """Items with every word (or any word) somewhere in `columns`; in the SKU too for code-like words.

    This is `id IN (<one SELECT per column and word, combined with UNION / INTERSECT>)`: each SELECT is a
    single `upper(column) LIKE` that its trigram index answers, where one big OR over the columns would make
    the planner scan the whole table."""
    words = [word for word in words if word]
    selects, params = [], []
    for word in words:
        pattern = "%" + word.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        word_columns = [*columns, "sku"] if any(ch.isdigit() for ch in word) or "-" in word else list(columns)
        selects.append(
            "("
            + " UNION ".join(f"SELECT id FROM inventory_item WHERE upper({column}) LIKE %s" for column in word_columns)
            + ")"
        )
        params.extend([pattern] * len(word_columns))
    if not selects:
        return Q()
    sql = (" INTERSECT " if every else " UNION ").join(selects)
    # The ids are read first (newest CANDIDATE_LIMIT of them) and handed back as a list: joined as a
    # subquery instead, the planner misjudges the other filters and scans the whole table for them.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({sql}) AS candidates ORDER BY id DESC LIMIT {CANDIDATE_LIMIT}", params)
        ids = [row[0] for row in cursor.fetchall()]
    # One array parameter, not thousands of placeholders (which cost more to build than the query takes).
    return Q(RawSQL('"inventory_item"."id" = ANY(%s)', [ids], output_field=BooleanField()))


def narrowing_words(query: ItemQuery) -> list[str]:
    """How items are named that are the specific kinds the query asks for ("windbreakers" → windbreaker,
    windcheater, shell; "hoody" → hoodie, hoody), for the categories the query names only that way: "jackets
    or windbreakers" is every jacket."""
    generic_categories = {
        category for word in query.kind_words if word in GENERIC_KIND_WORDS for category in categories_for_word(word)
    }
    words: list[str] = []
    for word in query.kind_words:
        if word in GENERIC_KIND_WORDS or set(categories_for_word(word)) & generic_categories:
            continue
        words.extend(NAME_WORDS_FOR_FAMILY.get(FAMILY_FOR_WORD.get(word, ""), (word,)))
    return list(dict.fromkeys(words))


def search_items(
    query: ItemQuery,
    *,
    limit: int = 5,
    now: datetime | None = None,
    available_only: bool = True,
    every_word: bool = False,
    upcoming_drops: bool = False,
) -> list[Item]:
    """The best `limit` items for `query`: an exact SKU first, then the items with all the free words (or,
    failing that, any; failing that, close spellings in the name), ranked by where the words are
    (name, then brand, then description), newest first on ties. With no free words, newest first.

    `every_word=True` is the plain contract of `selectors.search_available_items`: every item with all
    the free words somewhere, ranked, never the closest tier alone and never a looser match.

    Every text condition is `upper(column) LIKE` or `<%` on the trigram-indexed columns, and newest-first
    walks the created_at indexes, so a query over 50,000 items stays in single-digit milliseconds."""
    limit = max(0, min(limit, 50))
    now = now or timezone.now()
    if not (query.words or query.sku or query.measurements_min or query.measurements_max):
        # Filters alone ("nike jackets in L"), the commonest search: its SQL is compiled once per shape.
        return _by_filters_alone(query, now=now, limit=limit, where=(available_only, upcoming_drops))
    exact, queryset = _exact_and_candidates(
        query, now=now, available_only=available_only, upcoming_drops=upcoming_drops
    )
    if not query.words:
        return exact + list(queryset.order_by(*_order(query))[: limit - len(exact)])
    return _found_by_words(query, queryset, exact=exact, limit=limit, every_word=every_word)


def _order(query: ItemQuery) -> tuple[str, ...]:
    # Without free words the filters already say it all: newest first (or cheapest), which walks the category
    # index and stops after `limit` rows instead of ranking them all.
    return ("price", "-created_at", "-pk") if query.cheapest else ("-created_at", "-pk")


def _exact_and_candidates(
    query: ItemQuery, *, now: datetime, available_only: bool, upcoming_drops: bool
) -> tuple[list[Item], QuerySet[Item]]:
    """The item with the query's exact SKU (if any), and the other items matching its filters: only the specific
    kinds it names when there are some."""
    exact: list[Item] = []
    if query.sku:
        exact = list(
            _candidates(now=now, available_only=available_only, upcoming_drops=upcoming_drops).filter(
                sku__iexact=query.sku
            )
        )
    queryset = filtered(query, now=now, available_only=available_only, upcoming_drops=upcoming_drops).exclude(
        pk__in=[item.pk for item in exact]
    )
    named = _named(query)
    if named is not None and queryset.filter(named).exists():
        queryset = queryset.filter(named)
    return exact, queryset


def _named(query: ItemQuery) -> Q | None:
    """ "windbreakers" means windbreakers when there are some, other jackets only when there are none: the
    condition that narrows to the specific kinds the query names, if it names some (by the name; a kind named by a
    phrase, by the name or the description)."""
    narrowing = narrowing_words(query)
    if not narrowing:
        return None
    # A kind named by a phrase ("band tee", "graphic tee") is often said only in the description.
    return _any_of(
        Q(name__icontains=word) | Q(description__icontains=word) if " " in word else Q(name__icontains=word)
        for word in narrowing
    )


# --- Searches by filters alone, compiled once per shape ----------------------------------------------------
# Building and compiling such a query is most of a search's CPU (several ms); the shape is the query with its
# brands and prices replaced by stand-ins (the rest of it — categories, sizes, colours, eras, a waist, garment
# words — has few values, each its own shape), and at most SHAPES_KEPT shapes are kept per process.
SHAPES_KEPT = 256
MIN_PRICE_STAND_IN, MAX_PRICE_STAND_IN = Decimal("-0.000101"), Decimal("-0.000202")


def _by_filters_alone(query: ItemQuery, *, now: datetime, limit: int, where: tuple[bool, bool]) -> list[Item]:
    """`search_items` for a query of filters alone: newest (or cheapest) first, only the specific kinds it names
    when there are some."""
    if limit <= 0:
        return []
    shape = replace(
        query,
        brands=tuple(f"\x00brand{number}" for number in range(len(query.brands))),
        min_price=None if query.min_price is None else MIN_PRICE_STAND_IN,
        max_price=None if query.max_price is None else MAX_PRICE_STAND_IN,
        notes=(),
    )
    values = _slots(shape, {f"brand{number}": brand for number, brand in enumerate(query.brands)}, query)
    if _named(query) is not None and _compiled(shape, where, limit, "named?").run(now=now, **values):
        return _compiled(shape, where, limit, "named").run(now=now, **values)
    return _compiled(shape, where, limit, "all").run(now=now, **values)


@lru_cache(maxsize=SHAPES_KEPT)
def _compiled(shape: ItemQuery, where: tuple[bool, bool], limit: int, part: str) -> CompiledQuery[Item]:
    """The query of `part` ("named?": one item named as the specific kinds, if any; "named": those; "all") for
    `shape`, whose runs take `now` and the shape's slots (brand0…, min_price, max_price)."""
    available_only, upcoming_drops = where
    named = _named(shape)

    def build(now: datetime, **_: object) -> QuerySet[Item]:
        queryset = filtered(shape, now=now, available_only=available_only, upcoming_drops=upcoming_drops)
        if part == "named?" and named is not None:
            return queryset.filter(named).only("pk").order_by()[:1]
        if part == "named" and named is not None:
            queryset = queryset.filter(named)
        return queryset.order_by(*_order(shape))[:limit]

    return CompiledQuery(build, now=STAND_IN_TIME, **_slots(shape, {brand[1:]: brand for brand in shape.brands}, shape))


def _slots(shape: ItemQuery, brands: dict[str, object], prices_of: ItemQuery) -> dict[str, object]:
    """A run's values of `shape`'s slots (`brands`, and the prices of `prices_of` where the shape has them)."""
    slots = dict(brands)
    if shape.min_price is not None:
        slots["min_price"] = prices_of.min_price
    if shape.max_price is not None:
        slots["max_price"] = prices_of.max_price
    return slots


def _found_by_words(
    query: ItemQuery, queryset: QuerySet[Item], *, exact: list[Item], limit: int, every_word: bool
) -> list[Item]:
    """`exact`, then the best of `queryset` for the query's free words, tier by tier."""
    words = tuple(word for word in (*query.words, *query.kind_words) if len(word) >= 3)
    found = list(exact)

    # Tiers, best first, each asked only while nothing is found: every word in the name; every word
    # anywhere (brand, description, a code in the SKU); any word in the name; any word anywhere; then
    # close spellings. Conditions on the name alone are single trigram-indexed LIKEs the planner handles
    # well; the others are resolved to ids first (see `_having_words`). A common word in descriptions
    # never makes the database rank thousands of rows when the names already answer.
    def excluding_found(queryset_: QuerySet[Item]) -> QuerySet[Item]:
        return queryset_.exclude(pk__in=[item.pk for item in found])

    def every_word_anywhere() -> list[Item]:
        return _ranked(
            excluding_found(queryset.filter(_having_words(query.words, every=True))), words, limit=limit - len(found)
        )

    if every_word:
        return found + every_word_anywhere()
    tiers: list[Callable[[], list[Item]]] = [
        lambda: list(
            excluding_found(queryset.filter(_all_of(Q(name__icontains=word) for word in query.words))).order_by(
                "-created_at", "-pk"
            )[: limit - len(found)]
        ),
        every_word_anywhere,
    ]
    if len(query.words) > 1:
        tiers += [
            lambda: _ranked(
                excluding_found(queryset.filter(_any_of(Q(name__icontains=word) for word in query.words))),
                words,
                limit=limit - len(found),
            ),
            lambda: _ranked(
                excluding_found(queryset.filter(_having_words(query.words, every=False))),
                words,
                limit=limit - len(found),
            ),
        ]
    for tier in tiers:
        found += tier()
        # A better tier's matches are not padded out with a worse tier's: fewer, closer answers.
        if len(found) > len(exact):
            return found
    long_words = [word for word in query.words if len(word) >= 4]
    if len(found) == len(exact) and long_words:
        # Nothing has the words as typed: look for close spellings ("windbraker") in names.
        close = queryset.filter(_any_of(Q(WordSimilar(Value(word.upper()), Upper("name"))) for word in long_words))
        found += _ranked(close, words, limit=limit - len(found), fuzzy=True)
    return found


def _ranked(queryset: QuerySet[Item], words: tuple[str, ...], *, limit: int, fuzzy: bool = False) -> list[Item]:
    """The best `limit` of `queryset` by where the words are: name 3, brand 2, description 1 (plus the
    trigram similarity of the name for close spellings), newest first on ties."""
    if limit <= 0:
        return []
    rank: Expression = Value(0.0, output_field=FloatField())
    for word in words:
        for column, weight in (("name", 3.0), ("brand", 2.0), ("description", 1.0)):
            rank = rank + Case(
                When(**{f"{column}__icontains": word}, then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        if fuzzy:
            rank = rank + TrigramWordSimilarity(word.upper(), Upper("name"))  # the string becomes a Value
    return list(queryset.annotate(rank=rank).order_by(F("rank").desc(), "-created_at", "-pk")[:limit])


def _all_of(conditions: Iterable[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


def _any_of(conditions: Iterable[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def pieces_described(query: ItemQuery, *, limit: int = 20) -> list[Item]:
    """The pieces a customer may mean by a description ("the levi's trucker", "the cortez"), whatever their state
    (held, sold, hidden, still to drop): those with the query's filters and, when it has free words, any of them in
    the name, brand or description; newest first. Which of them every word really fits is the caller's to judge
    (some words of a message are filler)."""
    queryset = filtered(query, every_piece=True).order_by("-created_at", "-pk")
    if query.words:
        found = list(queryset.filter(_having_words(query.words, every=False))[:limit])
        if found or not query.has_filters():
            return found
        # Every word was filler ("the carhartt if you'd do 100"): the filters alone.
    return list(queryset[:limit])


def search_items_or_filters(
    query: ItemQuery, *, limit: int = 5, now: datetime | None = None
) -> tuple[list[Item], bool]:
    """`search_items`, and if its free words find nothing, the filters alone: (items, whether relaxed)."""
    results = search_items(query, limit=limit, now=now)
    if not results and query.words and query.has_filters():
        return search_items(query.without_words(), limit=limit, now=now), True
    return results, False
