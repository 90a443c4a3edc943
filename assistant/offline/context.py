"""One customer message as the offline assistant reads it: its text, the items it names or points at."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from django.conf import settings

from assistant import language, wording
from assistant.language import find_skus, normalise, parse_search
from assistant.memory import Conversation, shown_lately
from assistant.references import Reference, describes, matches, pieces_meant
from assistant.results import Facts
from assistant.tools import Toolbox
from inventory.item_query import ItemQuery
from inventory.selectors import known_brands


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

    def resolve_each(self, clauses: list[str], *, to_hold: bool = False) -> Reference | None:
        """The pieces of several asks that each name one ("hold the carhartt and the stussy tee", "how much r the
        docs and the cortez"), each once; None unless there are several and every one names exactly one piece.
        `to_hold`: read as `resolve_to_hold` reads them."""
        if len(clauses) < 2:
            return None
        each = [self.resolve_to_hold(clause) if to_hold else self.resolve(clause) for clause in clauses]
        if not all(len(one.items) == 1 for one in each):
            return None
        return Reference(items=list({one.items[0]["sku"]: one.items[0] for one in each}.values()))

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
        """Which items `text` means: SKUs; "the one I'm holding"; a description of the customer's own holds, then of
        the pieces they ordered (unless not `own_first`: a hold is for something else); an ordinal or a description of the items just shown (or of
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
        own_first = own_first and pool is None
        if pool is None and language.refers_to_own_holds(text):
            in_view, own_first = self.toolbox.holds(full=True), False
        reference = pieces_meant(
            text,
            query,
            in_view=in_view,
            own_holds=partial(self.toolbox.holds, full=True) if own_first else None,
            own_orders=partial(self.toolbox.bought, full=True) if own_first else None,
            catalogue=(lambda query: self.toolbox.pieces_described(query=query)) if search_stock else None,
        )
        if reference is not None:
            return reference
        if language.refers_to_several(text) and in_view:
            return (
                Reference(items=in_view[: settings.MAX_HOLDS_PER_CUSTOMER])
                if len(in_view) > 1
                else Reference(items=in_view)
            )
        if len(in_view) == 1 or (pool is None and self._one_piece_and_its_propositions()):
            return Reference(items=in_view[:1])
        return Reference(candidates=in_view)

    def _one_piece_and_its_propositions(self) -> bool:
        """The last reply was about one piece, with others proposed in its place: "hold it" means that piece."""
        about, proposed, _ = self.last_reply().partition(wording.SIMILAR_PIECES.lower())
        return bool(proposed) and len(find_skus(about)) == 1

    def last_reply(self) -> str:
        """What the shop said last in this conversation, lower-cased ("" if nothing yet)."""
        last = next((m for m in reversed(self.conversation.history) if m.direction == "outbound"), None)
        return last.text.lower() if last is not None else ""


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
