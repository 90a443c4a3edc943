"""Which pieces a customer means by a description ("the levi's trucker", "the black tee I'm holding"), read the same
way by both assistants: the offline one (`Turn.resolve`) and the AI's `find_piece` tool.

A description is looked for, in order, among the customer's own holds and the pieces of their orders, the pieces in
view (the shop's last listing), then the whole catalogue, held, sold and hidden pieces too, so the answer can say
truthfully what became of a piece. Words that name no piece ("never", "mind", "honestly", "around") are filler; the customer is asked which one
only when several pieces really fit.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from assistant import language
from assistant.results import Facts, NoPieceFits, PiecesFound
from assistant.tools import Toolbox
from inventory.item_query import ItemQuery
from inventory.search import narrowing_words
from inventory.selectors import known_brands

# What the AI is told of a piece it found: the short facts (`get_item` has the rest); of a hidden piece, only this.
PIECE_KEYS = ("sku", "name", "brand", "size", "price", "status", "held_until", "available_again_at", "drops_at")
HIDDEN_KEYS = ("name", "status")
MAX_LISTED = 5


@dataclass
class Reference:
    """The items a message points at, or the candidates when it is ambiguous."""

    items: list[Facts] = field(default_factory=list)
    candidates: list[Facts] = field(default_factory=list)
    unknown_skus: list[str] = field(default_factory=list)
    everything: bool = False


def pieces_meant(
    text: str,
    query: ItemQuery,
    *,
    in_view: list[Facts],
    own_holds: Callable[[], list[Facts]] | None = None,
    own_orders: Callable[[], list[Facts]] | None = None,
    catalogue: Callable[[ItemQuery], list[Facts]] | None = None,
) -> Reference | None:
    """Which pieces the description `query` (read from `text`) means: the customer's own holds first (`own_holds`,
    read only when given and needed: "never mind the sweatshirt" means the sweatshirt they hold), then the pieces of
    their orders (`own_orders`: "did the levi's ship?" means the pair they bought), then `in_view` (every naming word
    fitting, else any of them), then the whole catalogue (`catalogue(query)`, when given). None when `query` describes no
    piece or nothing fits."""
    if not describes(query):
        return None
    several = language.refers_to_several(text)
    for own in (own_holds, own_orders):
        mine = fitting(own(), query) if own is not None else []
        if mine:
            return one_or_which(mine, several=several)
    matching = fitting(in_view, query) or [facts for facts in in_view if matches(facts, query)]
    if matching:
        return one_or_which(matching, several=several)
    if catalogue is None:
        return None
    found = fitting(catalogue(query), query)
    if query.words and query.categories and not _named_by_words(found, query):
        # "the mickey mouse shirt" when the Mickey piece is a tee: its words, whatever the garment said.
        loose = query.without_kind()
        found = [facts for facts in fitting(catalogue(loose), loose) if _named_by_words([facts], loose)] or found
    return in_catalogue(found)


def _named_by_words(found: list[Facts], query: ItemQuery) -> bool:
    """Does a word of the description appear in one of these pieces' names?"""
    return any(word in facts["name"].lower() for facts in found for word in query.words)


def in_catalogue(found: list[Facts]) -> Reference | None:
    """The piece of the catalogue a description fits (held, sold or off sale: said so), or the ones to ask about
    when several do: which of them one could have, never an off-sale piece in a list."""
    if len(found) == 1:
        return Reference(items=found)
    on_sale = [facts for facts in found if facts["status"] in ("available", "held_by_you")]
    if len(on_sale) == 1:
        return Reference(items=on_sale)
    listed = on_sale or [facts for facts in found if facts["status"] != "hidden"]
    return Reference(candidates=listed[:MAX_LISTED]) if listed else None


def one_or_which(matching: list[Facts], *, several: bool) -> Reference:
    """The pieces meant when one fits or the customer means several ("both levi's"), else the ones to ask about."""
    if len(matching) == 1 or several:
        return Reference(items=matching)
    return Reference(candidates=matching)


def find_piece(toolbox: Toolbox, *, description: str, shown_skus: Sequence[str] = ()) -> PiecesFound | NoPieceFits:
    """The AI's `find_piece`: the pieces `description` means, read as the offline assistant reads it, against this
    customer's holds, the pieces `shown_skus` (the shop's last listing) and the whole catalogue. Each piece with its
    status as this customer sees it; a hidden piece by its name and status alone. Reads only."""
    text = language.spelled_out(language.normalise(description))
    own = language.refers_to_own_holds(text)  # "the tee I'm holding": among the holds
    if own:
        in_view = toolbox.holds(full=True)
    else:
        in_view = toolbox.items(list(shown_skus[:10]), full=True) if shown_skus else []
    codes = language.find_skus(description)
    if codes:  # hidden and unknown SKUs fit nothing
        reference: Reference | None = Reference(items=toolbox.items(codes, full=True))
    else:
        query = language.parse_search(text, brands=known_brands())
        reference = pieces_meant(
            text,
            query,
            in_view=in_view,
            own_holds=None if own else partial(toolbox.holds, full=True),
            own_orders=None if own else partial(toolbox.bought, full=True),
            catalogue=lambda query: toolbox.pieces_described(query=query),
        )
    if reference is None and own and in_view:
        # "the one I'm holding" names no piece: the hold, or the holds to ask about.
        reference = one_or_which(in_view, several=language.refers_to_several(text))
    if reference is None or not (reference.items or reference.candidates):
        return NoPieceFits()
    toolbox.note_asked(reference.items)
    return PiecesFound(
        pieces=[told(facts) for facts in reference.items],
        candidates=[told(facts) for facts in reference.candidates],
    )


def told(facts: Facts) -> Facts:
    """A piece as the AI is told it: its short facts, or only its name and status when it is hidden."""
    keys = HIDDEN_KEYS if facts["status"] == "hidden" else PIECE_KEYS
    return {key: facts[key] for key in keys if key in facts}


def naming_text(facts: Facts) -> str:
    return f"{facts['name']} {facts.get('brand', '')} {facts.get('colour', '')} {facts['sku']}".lower()


def fitting(pool: list[Facts], query: ItemQuery) -> list[Facts]:
    """The pieces of `pool` a description fits: its brands, kinds, colours and eras, and every one of its words that
    names a piece of the pool (in a name, brand or colour; or in some pieces' descriptions, not all). The other
    words ("never", "mind", "honestly", "around") are filler. Nothing when nothing of the description is left."""
    described = [facts.get("description", "").lower() for facts in pool]

    def names_something(word: str) -> bool:
        if any(word in naming_text(facts) for facts in pool):
            return True
        starts_a_word = re.compile(rf"\b{re.escape(word)}")  # "rest" is not in "restored"
        in_descriptions = sum(starts_a_word.search(description) is not None for description in described)
        return len(word) >= 4 and 0 < in_descriptions < len(pool)

    words = tuple(word for word in query.words if names_something(word))
    narrowed = replace(query, words=words)
    if not (words or query.brands or query.categories or query.colours or query.eras):
        return []
    found = [facts for facts in pool if matches(facts, narrowed, every_word=True)]
    # "the hoodie" among sweatshirts and a hoodie: the piece named that way, when there is one.
    kinds = narrowing_words(query)
    named = [facts for facts in found if any(kind in facts["name"].lower() for kind in kinds)]
    return named or found


def describes(query: ItemQuery) -> bool:
    """Does the message describe a piece ("the levi's", "the black jacket", "the varsity one")?"""
    return bool(query.brands or query.categories or query.colours or query.words or query.eras)


def matches(facts: dict[str, Any], query: ItemQuery, *, every_word: bool = False) -> bool:
    """Does an item fit a customer's description of it ("the levi's", "the black jacket")? Free words are
    loose (any of them will do) unless `every_word`."""
    name = facts["name"].lower()
    if query.brands and facts.get("brand") not in query.brands:
        return False
    if (
        query.categories
        and facts.get("category") not in query.categories
        and not any(word in name for word in query.kind_words)
    ):
        return False
    colour = (facts.get("colour", "") + " " + name).lower()
    if query.colours and not any(c in colour or (c == "grey" and "gray" in colour) for c in query.colours):
        return False
    if query.eras and facts.get("era", "").lower() not in query.eras:
        return False
    text = f"{name} {facts.get('brand', '')} {facts.get('description', '')} {facts['sku']}".lower()
    found = [word in text for word in query.words]
    if query.words and not (all(found) if every_word else any(found)):
        return False
    return True
