"""Browsing and search: "got any nike jackets in L?", "what's new", "show me more", "any womens?", "anything in a
34?" after a search."""

from dataclasses import replace

from assistant import language, wording
from assistant.formatting import item_line, item_lines, when
from assistant.language import find_skus, normalise
from assistant.offline import smalltalk
from assistant.offline.context import Turn
from assistant.results import Facts, SearchResults, SimilarPieces
from inventory.item_query import ItemQuery
from inventory.vocabulary import BOTTOMS


def search(turn: Turn, query: ItemQuery | None = None) -> str:
    query = turn.parse() if query is None else query
    result = turn.toolbox.search_items(query=query, limit=5)
    if not result.upcoming_drops:
        return _answer(turn, query, result)
    coming = "\n".join(
        wording.drops_later(item_line({**facts, "status": ""}), when(facts["drops_at"]))
        for facts in result.upcoming_drops
    )
    if not result.items:
        return coming
    return _answer(turn, query, result) + "\n\n" + coming


def _answer(turn: Turn, query: ItemQuery, result: SearchResults) -> str:
    items = result.items
    note = (" (" + "; ".join(query.notes) + ")") if query.notes else ""
    if items and not result.relaxed:
        described = query.describe() if query.has_filters() or query.words else ""
        return wording.found(item_lines(items), described=described, note=note, cheapest=query.cheapest)
    if items:
        # The filters matched and the free words did not: these pieces are the filters', not "none of them".
        return wording.closest(item_lines(items), described=query.without_words().describe(), note=note)
    if not query.has_filters():
        # Words that matched nothing are not repeated back: they may not be about clothes at all.
        return wording.NOTHING_LIKE_THAT + wording.help_text()
    closest = _closest(turn, query) or _proposed(turn, query)
    return wording.none_found(
        described=query.without_words().describe(), note=note, closest_lines=item_lines(closest) if closest else ""
    )


def _last_search(turn: Turn) -> ItemQuery | None:
    """What the customer's previous message searched for, if it was a search with filters."""
    # The history is what came before this turn: its last inbound message is the customer's previous one.
    earlier = next((m for m in reversed(turn.conversation.history) if m.direction == "inbound"), None)
    if earlier is None:
        return None
    query = turn.parse(language.spelled_out(normalise(earlier.text or "")))
    return query if query.has_filters() else None


def asks_in_another_size(turn: Turn) -> bool:
    """ "anything in a 34?", "what about in M" right after a search: the same search in that size."""
    return language.size_asked_alone(turn.text) is not None and _last_search(turn) is not None


def search_in_another_size(turn: Turn) -> str | None:
    size, last = language.size_asked_alone(turn.text), _last_search(turn)
    if size is None or last is None:
        return None
    if size.isdigit() and set(last.categories) & BOTTOMS:
        query = replace(last, sizes=(), waist=int(size))
    else:
        query = replace(last, sizes=(size.upper(),), waist=None)
    return search(turn, query)


def search_and_faq(turn: Turn, topic: str) -> str:
    """ "any nike jackets? and how much is shipping": both questions get an answer. The left-over words
    are the other question's ("shipping"), not the garment's."""
    return search(turn, turn.parse().without_words()) + "\n\n" + smalltalk.faq(turn, topic)


def browse(turn: Turn) -> str:
    query = turn.parse()
    if query.has_filters() or query.words:
        return search(turn, query)
    return newest(turn)


def newest(turn: Turn) -> str:
    found = turn.toolbox.search_items(query=ItemQuery(), limit=5).items  # no words: newest first
    if not found:
        return wording.SOLD_OUT
    return wording.just_dropped(item_lines(found))


def ungendered_search(turn: Turn) -> str:
    """ "any womens jackets?": pieces are not sorted by gender, so search without it and say so."""
    query = turn.parse(language.GENDER_WORD.sub(" ", turn.text))
    if query.has_filters() or query.words:
        return wording.UNGENDERED + " " + search(turn, query)
    return wording.UNGENDERED + wording.ASK_SIZE_OR_KIND


def more(turn: Turn) -> str:
    """ "show me more": the customer's last search again, past what was already shown."""
    seen: set[str] = set()
    for message in reversed(turn.conversation.history):
        if message.direction != "inbound":
            seen.update(find_skus(message.text))  # everything listed since that search
            continue
        query = turn.parse(language.without_greeting(normalise(message.text))[1])
        if query.is_empty():
            continue
        items = [item for item in turn.toolbox.search_items(query=query, limit=15).items if item["sku"] not in seen]
        if not items:
            return wording.no_more(query.describe())
        return wording.more(query.describe(), item_lines(items[:5]))
    return newest(turn)


def _proposed(turn: Turn, query: ItemQuery) -> list[Facts]:
    """When even the loosened searches find nothing: the pieces the scorer proposes for what was asked (same kind or
    brand, within its price), stored as propositions."""
    result = turn.toolbox.similar_pieces(query=query)
    return result.pieces if isinstance(result, SimilarPieces) else []


def _closest(turn: Turn, query: ItemQuery) -> list[Facts]:
    """Loosen a query that found nothing: keep the kind of garment and brand, then the kind alone; never
    the price ("tees under $30" is never answered with a $75 tee)."""
    low, high = query.min_price, query.max_price
    attempts = [
        ItemQuery(
            brands=query.brands,
            categories=query.categories,
            sizes=query.sizes,
            waist=query.waist,
            min_price=low,
            max_price=high,
        ),
        ItemQuery(brands=query.brands, categories=query.categories, min_price=low, max_price=high),
        ItemQuery(categories=query.categories, min_price=low, max_price=high),
    ]
    for attempt in attempts:
        if attempt.is_empty():
            continue
        items = turn.toolbox.search_items(query=attempt, limit=3).items
        if items:
            return items
    return []
