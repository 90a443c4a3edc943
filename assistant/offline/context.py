"""One customer message as the offline assistant reads it: its text, the items it names or points at."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings

from assistant import language
from assistant.language import find_skus, normalise, parse_search
from assistant.memory import Conversation, shown_lately
from assistant.results import Facts
from assistant.tools import Toolbox
from inventory.item_query import ItemQuery
from inventory.search import narrowing_words
from inventory.selectors import known_brands


@dataclass
class Reference:
    """The items a message points at, or the candidates when it is ambiguous."""

    items: list[Facts] = field(default_factory=list)
    candidates: list[Facts] = field(default_factory=list)
    unknown_skus: list[str] = field(default_factory=list)
    everything: bool = False


@dataclass(frozen=True)
class Mentioned:
    """The SKU-looking codes of the message: facts of the items that exist, and the codes that match nothing."""

    items: list[Facts]
    unknown_skus: list[str]


class Turn:
    """The message being answered, read once: `full_text` is normalised with shorthand spelled out,
    `text` is the same without a leading greeting (`greeted` says whether there was one)."""

    def __init__(self, conversation: Conversation, toolbox: Toolbox, *, brands: list[str] | None = None) -> None:
        self.conversation = conversation
        self.toolbox = toolbox
        self.full_text = language.spelled_out(normalise(conversation.text))
        self.greeted, self.text = language.without_greeting(self.full_text)
        self._shown: list[Facts] | None = None
        self._shown_lately: list[Facts] | None = None
        self._parsed: dict[str, ItemQuery] = {}
        self._brands = brands

    @property
    def brands(self) -> list[str]:
        """The stock's brands, read once (or given: a burst's bubbles share one read)."""
        if self._brands is None:
            self._brands = known_brands()
        return self._brands

    def parse(self, text: str | None = None) -> ItemQuery:
        """`parse_search`, once per text, with the stock's brands read once per message."""
        text = self.text if text is None else text
        if text not in self._parsed:
            self._parsed[text] = parse_search(text, brands=self.brands)
        return self._parsed[text]

    @cached_property
    def mentioned(self) -> Mentioned:
        """The items the message names by SKU (full facts, read once), and codes that match no item."""
        codes = find_skus(self.conversation.text)
        items = self.toolbox.items(codes, full=True) if codes else []
        found = {facts["sku"].upper() for facts in items}
        return Mentioned(
            items=items, unknown_skus=[code for code in codes if code not in found and code.count("-") >= 2]
        )

    @property
    def names_skus(self) -> bool:
        return bool(self.mentioned.items or self.mentioned.unknown_skus)

    def shown(self) -> list[Facts]:
        """The items of the shop's last messages ("the second one"), full facts, read once."""
        if self._shown is None:
            self._shown = self.toolbox.items(self.conversation.shown_skus[:10], full=True)
        return self._shown

    def shown_lately(self) -> list[Facts]:
        """The items of the shop's recent messages, the latest first ("the tee" of the listing before a hold), read
        once."""
        if self._shown_lately is None:
            self._shown_lately = self.toolbox.items(shown_lately(self.conversation.history)[:15], full=True)
        return self._shown_lately

    @cached_property
    def live_drop(self) -> list[Facts]:
        """The pieces of a drop being given away right now (full facts and `dropped_at`), read once."""
        return self.toolbox.live_drop()

    def resolve_to_hold(self, text: str) -> Reference:
        """`resolve` for a message that would hold a piece: while a drop is live, its pieces first."""
        reference = self.in_live_drop(text)
        return self.resolve(text, own_first=False) if reference is None else reference

    def in_live_drop(self, text: str, *, naming_only: bool = False) -> Reference | None:
        """Which pieces `text` means when it means a piece of a drop live right now, else None. Its SKUs, "the
        second one" and "it" are read as `resolve` reads them; a description is read against the drop's pieces and
        what the shop showed since the drop went live, never the whole stock; a message pointing at nothing
        ("mine!", "I'll take it") means the drop's pieces, unless the shop has shown some since (what it showed
        before is out of date). With `naming_only`, the message must name one piece (its SKU, "the second one", a
        description; or be ambiguous between some) and every word of it fit the piece."""
        live = self.live_drop
        if not live:
            return None
        dropped_at = min(datetime.fromisoformat(facts["dropped_at"]) for facts in live)
        shown_at = self.conversation.shown_at
        shown_since = self.shown() if shown_at is not None and shown_at >= dropped_at else []
        if self.names_skus or language.ordinal(text) is not None:
            reference = self.resolve(text)
        elif describes(query := self.parse(text)):
            in_view = {facts["sku"] for facts in shown_since}
            pool = shown_since + [facts for facts in live if facts["sku"] not in in_view]
            fits = names if naming_only else matches
            matching = [facts for facts in pool if fits(facts, query)]
            several = len(matching) > 1 and not language.refers_to_several(text)
            reference = Reference(candidates=matching) if several else Reference(items=matching)
        elif naming_only:
            return None
        elif shown_since or language.refers_to_everything(text):
            reference = self.resolve(text)
        elif len(live) > 1 and not language.refers_to_several(text):
            reference = Reference(candidates=live)
        else:
            reference = Reference(items=live)
        live_skus = {facts["sku"] for facts in live}
        meant = [facts for facts in reference.items or reference.candidates if facts["sku"] in live_skus]
        if not meant:
            return None
        if naming_only and (len(reference.items) > 1 or not any(names(facts, self.parse(text)) for facts in meant)):
            return None  # names several pieces, or says more than a name
        return reference

    def resolve(
        self, text: str, *, pool: list[Facts] | None = None, search_stock: bool = True, own_first: bool = True
    ) -> Reference:
        """Which items `text` means: SKUs; "the one I'm holding"; a description of the customer's own holds (unless
        not `own_first`: a hold is for something else); an ordinal or a description of the items just shown (or of
        `pool`), "both"/"them", "it" when one item is in view; else what the description fits in the whole
        catalogue (`search_stock`), asking which only when several pieces really fit."""
        if self.mentioned.items:
            return Reference(items=self.mentioned.items, unknown_skus=self.mentioned.unknown_skus)
        if self.mentioned.unknown_skus:
            return Reference(unknown_skus=self.mentioned.unknown_skus)
        in_view = self.shown() if pool is None else pool
        if language.refers_to_everything(text):
            return Reference(everything=True, candidates=in_view)
        position = language.ordinal(text)
        if position is not None and in_view:
            if -len(in_view) <= position < len(in_view):
                return Reference(items=[in_view[position]])
            return Reference(candidates=in_view)
        if pool is None and language.refers_to_the_other(text):
            in_view_skus = {facts["sku"] for facts in in_view}
            others = [facts for facts in self.shown_lately() if facts["sku"] not in in_view_skus]
            if others:
                return Reference(items=others[:1])
        query = self.parse(text)
        if pool is None and language.refers_to_own_holds(text):
            in_view = self.toolbox.holds(full=True)
        elif pool is None and describes(query) and own_first:
            # The customer's own pieces first: "never mind the sweatshirt" means the sweatshirt they hold.
            mine = fitting(self.toolbox.holds(full=True), query)
            if mine:
                return _one_or_which(mine, text)
        if describes(query):
            matching = fitting(in_view, query) or [facts for facts in in_view if matches(facts, query)]
            if matching:
                return _one_or_which(matching, text)
            if search_stock:
                # The whole catalogue, held, sold and hidden pieces too, so the answer can say truthfully what
                # became of the piece; words that name no piece ("honestly", "around") are filler.
                found = fitting(self.toolbox.pieces_described(query=query), query)
                if len(found) == 1:
                    return Reference(items=found)  # held, sold or off sale: said so
                # Several fit: which of those one could have (never an off-sale piece in a list).
                on_sale = [facts for facts in found if facts["status"] in ("available", "held_by_you")]
                if len(on_sale) == 1:
                    return Reference(items=on_sale)
                listed = on_sale or [facts for facts in found if facts["status"] != "hidden"]
                if listed:
                    return Reference(candidates=listed[:5])
        if language.refers_to_several(text) and in_view:
            return (
                Reference(items=in_view[: settings.MAX_HOLDS_PER_CUSTOMER])
                if len(in_view) > 1
                else Reference(items=in_view)
            )
        if len(in_view) == 1:
            return Reference(items=in_view)
        return Reference(candidates=in_view)

    def last_reply(self) -> str:
        """What the shop said last in this conversation, lower-cased ("" if nothing yet)."""
        last = next((m for m in reversed(self.conversation.history) if m.direction == "outbound"), None)
        return last.text.lower() if last is not None else ""


def _one_or_which(matching: list[Facts], text: str) -> Reference:
    if len(matching) == 1 or language.refers_to_several(text):
        return Reference(items=matching)
    return Reference(candidates=matching)


def _naming_text(facts: Facts) -> str:
    return f"{facts['name']} {facts.get('brand', '')} {facts.get('colour', '')} {facts['sku']}".lower()


def fitting(pool: list[Facts], query: ItemQuery) -> list[Facts]:
    """The pieces of `pool` a description fits: its brands, kinds, colours and eras, and every one of its words that
    names a piece of the pool (in a name, brand or colour; or in some pieces' descriptions, not all). The other
    words ("never", "mind", "honestly", "around") are filler. Nothing when nothing of the description is left."""
    described = [facts.get("description", "").lower() for facts in pool]

    def names_something(word: str) -> bool:
        if any(word in _naming_text(facts) for facts in pool):
            return True
        in_descriptions = sum(word in description for description in described)
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


def names(facts: dict[str, Any], query: ItemQuery) -> bool:
    """Does the message name this piece and say nothing else: each of its words fits the piece, and it asks for
    no size but the piece's, no price and no measurement ("the varsity jacket!!", not "the varsity jacket is ugly")?"""
    return (
        matches(facts, query, every_word=True)
        and (not query.sizes or facts.get("size") in query.sizes)
        and query.waist is None
        and query.min_price is None
        and query.max_price is None
        and not (query.measurements_min or query.measurements_max or query.cheapest)
    )


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
