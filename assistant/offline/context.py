"""One customer message as the offline assistant reads it: its text, the items it names or points at."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings

from assistant import language
from assistant.language import find_skus, normalise, parse_search
from assistant.memory import Conversation
from assistant.results import Facts
from assistant.tools import Toolbox
from inventory.search import ItemQuery
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

    def __init__(self, conversation: Conversation, toolbox: Toolbox) -> None:
        self.conversation = conversation
        self.toolbox = toolbox
        self.full_text = language.spelled_out(normalise(conversation.text))
        self.greeted, self.text = language.without_greeting(self.full_text)
        self._shown: list[Facts] | None = None
        self._parsed: dict[str, ItemQuery] = {}

    @cached_property
    def brands(self) -> list[str]:
        return known_brands()

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

    def resolve(self, text: str, *, pool: list[Facts] | None = None, search_stock: bool = True) -> Reference:
        """Which items `text` means: SKUs, an ordinal or a description of the items just shown (or of
        `pool`), "both"/"them", "it" when one item is in view; else a unique match in the stock."""
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
        query = self.parse(text)
        described = bool(query.brands or query.categories or query.colours or query.words or query.eras)
        if described:
            matching = [facts for facts in in_view if matches(facts, query)]
            if len(matching) == 1:
                return Reference(items=matching)
            if len(matching) > 1:
                return Reference(items=matching) if language.refers_to_several(text) else Reference(candidates=matching)
            # Free words alone ("the cute one") are too loose to pick an item from the whole stock.
            if search_stock and (query.brands or query.categories):
                found = self.toolbox.search_items(query=query, limit=5).items
                found = self.toolbox.items([facts["sku"] for facts in found], full=True)
                if len(found) == 1:
                    return Reference(items=found)
                return Reference(candidates=found)
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


def matches(facts: dict[str, Any], query: ItemQuery) -> bool:
    """Does an item fit a customer's description of it ("the levi's", "the black jacket")?"""
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
    if query.words and not any(word in text for word in query.words):
        return False
    return True
