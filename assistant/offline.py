"""The offline assistant: answers every kind of customer message without any AI.

It reads the message with `intents` and `inventory.search.parse_search`, works out which items the
customer means (a SKU, "the second one", "that one", "the Levi's", the one item just shown), acts
through the `Toolbox` and writes the reply from the facts the tools return. The fast paths (SKU
mentions, a person, order status) are the part that runs before the AI too.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings

from assistant import language
from assistant.formatting import item_details, item_line, item_lines, money, when
from assistant.language import find_skus, normalise, parse_search
from assistant.memory import Conversation
from assistant.tools import Facts, Toolbox
from inventory.search import ItemQuery
from inventory.selectors import known_brands

HANDOFF_REPLY = "I've asked the owner to jump in: they'll reply here as soon as they can. I'll stay quiet until then."
STOP_REPLY = (
    "You're unsubscribed: the shop won't send you any more automatic messages. Send START to turn them back on."
)
START_REPLY = "Welcome back! Automatic replies are on again. What are you looking for today?"
OTHER_CUSTOMERS_REPLY = (
    "I can't share anything about other customers or act for them, sorry! I can help with your own holds and "
    "orders, or find you something: tell me a brand, size or budget."
)
DETAILS_PROMPT = '\nWant details on one? Say "the first one" or send the SKU.'
BACK_ON_SALE_LATER = "If they don't buy it, it's back on sale then: message me after that and I'll hold it for you."
# Never a real SKU: the memory reads the SKUs of the shop's last message as "the items just shown", so an
# example code there would make "I'll take it" hold a piece the customer never saw.
SKU_HINT = "its SKU (the code at the start of each listing)"


def help_text() -> str:
    return (
        'I can find pieces for you (try "Nike jackets in L under $60" or "90s levis waist 32"), tell you about one '
        '(send its SKU), hold it for you ("I\'ll take it"), place your order ("buy") and check on it ("where is my '
        'order?"). Want a person? Just say "human".'
    )


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


class OfflineAssistant:
    def __init__(self, conversation: Conversation, toolbox: Toolbox) -> None:
        self.conversation = conversation
        self.toolbox = toolbox
        self.text = language.spelled_out(normalise(conversation.text))
        self._shown: list[Facts] | None = None
        self._parsed: dict[str, ItemQuery] = {}

    # --- entry points ---

    def fast_path(self) -> str | None:
        """The deterministic answers that never need AI: a person, order status, SKU mentions."""
        text = self.text
        if language.wants_human(text):
            self.toolbox.hand_off_to_owner(reason=self.conversation.text[:200])
            return HANDOFF_REPLY
        if language.asks_order_status(text) and not find_skus(self.conversation.text):
            return self.order_status()
        if language.says_paid(text):
            return self.payment_claimed()
        if self.mentioned.items or self.mentioned.unknown_skus:
            return self.reply()
        return None

    def reply(self) -> str:
        greeted, text = language.without_greeting(self.text)
        if not text:
            return self.greeting()
        if language.wants_human(text):
            self.toolbox.hand_off_to_owner(reason=self.conversation.text[:200])
            return HANDOFF_REPLY
        if language.asks_order_status(text) and not self.mentioned.items:
            return self.order_status()
        if language.says_paid(text):
            return self.payment_claimed()
        if language.is_yes(text) and self._offered_to_hold(text):
            return self.hold("it")
        if language.is_thanks(text):
            return self.thanks(text)
        if language.asks_if_there(text):
            return "I'm here! What can I find for you? Tell me a brand, size or budget."
        if language.is_reaction(text):
            return self.reaction(text)
        if language.asks_if_bot(text):
            return f"I'm {settings.SHOP_NAME}'s assistant. " + help_text()
        if language.asks_hold_policy(text):
            return self.faq("holds")
        if language.asks_about_other_customers(text):
            return OTHER_CUSTOMERS_REPLY
        if language.asks_other_size(text):
            other_size = self.other_size(text)
            if other_size is not None:
                return other_size
        if language.wants_release(text):
            return self.release(text)
        if language.is_offer(text):
            return self.offer(text)
        if language.wants_buy(text):
            # Ordering marks pieces sold, so a maybe ("I might buy it later") is not an order: a hold if
            # asked for, else the piece's details and how to hold it.
            if not language.is_tentative(text):
                return self.buy(text)
            if not language.wants_hold(text):
                return self.details(text)
        if language.wants_hold(text):
            return self.hold(text)
        if language.is_soft_no(text):
            return self.soft_no()
        topic = language.faq_topic(text)
        if topic and not self.mentioned.items:
            query = self.parse(text)
            if (
                (query.brands or query.categories)
                and language.SEARCH_CUE.search(text)
                and not language.refers_definitely(text)
            ):
                # "any nike jackets? and how much is shipping": both questions get an answer. The left-over
                # words are the other question's ("shipping"), not the garment's.
                return self.search(query.without_words()) + "\n\n" + self.faq(topic)
            return self.faq(topic)
        if self.mentioned.items or self.mentioned.unknown_skus:
            return self.details(text)
        if language.ordinal(text) is not None and self.shown():
            return self.details(text)
        if language.points_at_one(text) and any(matches(facts, self.parse(text)) for facts in self.shown()):
            return self.details(text)  # "the nike one": one of the pieces just listed, not a new search
        query = self.parse(text)
        # "is the jacket still available?" is about an item; "jackets with pit to pit 22+?" is a search.
        if language.asks_details(text) and (language.refers_definitely(text) or not query.has_filters()):
            return self.details(text)
        if language.asks_about_my_size(text) and not query.has_filters():
            return (
                "Tell me your size (S to XXL, a waist like 32, or a measurement like pit to pit 22) and what "
                "you're after, and I'll look."
            )
        if language.mentions_gender(text):
            return self.ungendered_search(text)
        if language.wants_more(text):
            return self.more()
        if language.asks_browse(text):
            return self.browse(text)
        if query.has_filters() or query.cheapest or (query.words and language.SEARCH_CUE.search(text)):
            return self.search(query)
        if greeted:
            return self.greeting()
        return "I'm not sure I got that. " + help_text()

    # --- what the message points at ---

    @cached_property
    def brands(self) -> list[str]:
        return known_brands()

    def parse(self, text: str) -> ItemQuery:
        """`parse_search`, once per text, with the stock's brands read once per message."""
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

    def shown(self) -> list[Facts]:
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
                found = self.toolbox.search_items(query=query, limit=5)["items"]
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

    # --- replies ---

    def greeting(self) -> str:
        holds = self.toolbox.holds()
        text = settings.SHOP_GREETING
        if holds:
            text += "\nYou're holding:\n" + item_lines(holds) + '\nSay "buy" when you\'re ready to order.'
        return text

    def thanks(self, text: str) -> str:
        # "You're welcome" answers thanks only: an "ok" or a "bye" gets a plain acknowledgement.
        if language.bare(text).startswith(("no", "nah")):
            opener = "No problem!"
        elif language.says_bye(text):
            opener = "Bye for now!"
        elif language.says_thanks(text):
            opener = "You're welcome!"
        else:
            opener = "👍"
        holds = self.toolbox.holds()
        if holds:
            return (
                f"{opener} Just a reminder, you're holding:\n"
                + item_lines(holds)
                + '\nSay "buy" whenever you\'re ready.'
            )
        return f"{opener} Message me any time you're looking for something."

    def reaction(self, text: str) -> str:
        """ "🔥🔥" or "lol": a short answer that moves things on, never the full help text."""
        shown = [facts for facts in self.shown() if facts["status"] == "available"]
        if language.likes_it(text) and len(shown) == 1:
            return "Glad you like it! Want me to hold it for you?"
        if language.likes_it(text) and shown:
            return "Glad you like them! Say \"I'll take the first one\" (or the second…) and I'll hold it for you."
        return "Anything I can find for you? Tell me a brand, size or budget."

    def faq(self, topic: str) -> str:
        if topic == "location":
            return settings.SHIPPING_INSTRUCTIONS
        if topic == "holds":
            holds = self.toolbox.holds()
            if holds:
                # "how long do i have?" from someone holding pieces is about their own holds.
                return "\n".join(f"{item_line(facts)} until {when(facts['held_until'])}" for facts in holds) + (
                    f'\nSay "buy" before then to order. Holds last {settings.HOLD_HOURS} hours, up to '
                    f"{settings.MAX_HOLDS_PER_CUSTOMER} pieces at a time."
                )
            return (
                f"I can hold a piece for you for {settings.HOLD_HOURS} hours, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a "
                'time. Just say "I\'ll take it" or send the SKU.'
            )
        if topic == "authenticity":
            return self.authenticity()
        if topic == "returns":
            return settings.RETURNS_POLICY
        if topic == "shipping":
            return settings.SHIPPING_INSTRUCTIONS
        if topic == "payment":
            return settings.PAYMENT_INSTRUCTIONS + ' Hold a piece first, then say "buy" and I\'ll place your order.'
        return (
            "Vintage sizes vary a lot, so the measurements are the best guide: compare the pit to pit and length "
            "with a piece that fits you well. Ask me for any item's measurements."
        )

    def authenticity(self) -> str:
        """ "is it real?": what the listing says, never a promise the shop has not made; the owner answers the rest."""
        reference = self.resolve(self.text, search_stock=False)
        listed_as = ""
        if len(reference.items) == 1:
            facts = reference.items[0]
            described = ", ".join(
                part
                for part in (facts["brand"], facts.get("era", ""), f"condition {facts.get('condition', '')}")
                if part
            )
            listed_as = f"{facts['sku']} · {facts['name']} is listed as {described}. "
        return (
            listed_as + "Every listing says what the piece is, with its era, condition and flaws. For tag photos or "
            'anything else about authenticity, say "human" and the owner will reply here.'
        )

    def browse(self, text: str) -> str:
        query = self.parse(text)
        if query.has_filters() or query.words:
            return self.search(query)
        found = self.toolbox.search_items(query=ItemQuery(), limit=5)["items"]  # no words: newest first
        if not found:
            return "Everything's sold out right now! New pieces drop all the time, so check back soon."
        return (
            "Here's what just dropped:\n"
            + item_lines(found)
            + "\nAsk about any of them, or tell me a brand, size or budget."
        )

    def search(self, query: ItemQuery) -> str:
        result = self.toolbox.search_items(query=query, limit=5)
        items = result["items"]
        note = (" (" + "; ".join(query.notes) + ")") if query.notes else ""
        if items and not result.get("relaxed"):
            lead = "Here's what I have, cheapest first:" if query.cheapest else "Here's what I have:"
            intro = f"{lead} {query.describe()}{note}:" if query.has_filters() or query.words else lead
            return intro + "\n" + item_lines(items) + DETAILS_PROMPT
        if items:
            # The filters matched and the free words did not: these pieces are the filters', not "none of them".
            return (
                f"Here's the closest I have: {query.without_words().describe()}{note}:\n"
                + item_lines(items)
                + DETAILS_PROMPT
            )
        closest = self._closest(query)
        if not query.has_filters():
            # Words that matched nothing are not repeated back: they may not be about clothes at all.
            return "I couldn't find anything like that right now. " + help_text()
        text = f"I don't have any {query.without_words().describe()} right now{note}."
        if closest:
            text += " The closest I have:\n" + item_lines(closest)
        text += "\nNew pieces drop often, so check back soon!"
        return text

    def ungendered_search(self, text: str) -> str:
        """ "any womens jackets?": pieces are not sorted by gender, so search without it and say so."""
        intro = "I don't sort pieces as men's or women's: the measurements are the best guide to fit."
        query = self.parse(language.GENDER_WORD.sub(" ", text))
        if query.has_filters() or query.words:
            return intro + " " + self.search(query)
        return (
            intro + " Tell me a size (S to XXL, a dress size like 10, a waist like 32) or the kind of piece you're "
            "after and I'll look."
        )

    def _closest(self, query: ItemQuery) -> list[Facts]:
        """Loosen a query that found nothing: keep the kind of garment and brand, then the kind alone; never
        the price ("tees under $30" is never answered with a $75 tee)."""
        prices = {"min_price": query.min_price, "max_price": query.max_price}
        attempts = [
            ItemQuery(brands=query.brands, categories=query.categories, sizes=query.sizes, waist=query.waist, **prices),
            ItemQuery(brands=query.brands, categories=query.categories, **prices),
            ItemQuery(categories=query.categories, **prices),
        ]
        for attempt in attempts:
            if attempt.is_empty():
                continue
            items = self.toolbox.search_items(query=attempt, limit=3)["items"]
            if items:
                return items
        return []

    def details(self, text: str) -> str:
        reference = self.resolve(text)
        if reference.unknown_skus and not reference.items:
            return self.not_found(reference.unknown_skus)
        if reference.items:
            parts = [self.describe_one(facts) for facts in reference.items[:3]]
            if language.asks_for_photos(text):
                parts.append('I can only send text here, but the owner can send you photos: just say "human".')
            return "\n\n".join(parts)
        if reference.candidates:
            return (
                "Which one do you mean?\n" + item_lines(reference.candidates) + '\nSend the SKU or say "the first one".'
            )
        query = self.parse(text)
        if query.has_filters() or query.words:
            return self.search(query)
        return f"Which piece do you mean? Send me {SKU_HINT} or tell me what you're looking for."

    def _offered_to_hold(self, text: str) -> bool:
        """Did the shop's last message offer to hold the one item in view ("want me to hold it?"), or just
        release it and the customer clearly takes that back ("wait actually yes", not a plain "ok")?"""
        last = next((m for m in reversed(self.conversation.history) if m.direction == "outbound"), None)
        said = last.text.lower() if last is not None else ""
        taken_back = "i've released" in said and language.takes_back(text)
        return ("hold it for you" in said or taken_back) and len(self.shown()) == 1

    def other_size(self, text: str) -> str | None:
        """ "do you have it in M?" about the one piece in view: it is one of a kind, so the same kind in that size."""
        query = self.parse(text)
        if not (query.sizes or query.waist):
            return None
        reference = self.resolve(text, search_stock=False)
        if len(reference.items) != 1:
            return self.search(query) if reference.candidates else None
        facts = reference.items[0]
        if facts["size"] in query.sizes:
            return self.details(text)
        alternative = ItemQuery(categories=(facts["category"],), sizes=query.sizes, waist=query.waist)
        similar = [
            found
            for found in self.toolbox.search_items(query=alternative, limit=4)["items"]
            if found["sku"] != facts["sku"]
        ]
        text = f"Every piece here is one of a kind, so {facts['sku']} · {facts['name']} only comes in {facts['size']}."
        if similar:
            return (
                text
                + f" Here's what I have in {'/'.join(query.sizes) or f'waist {query.waist}'}:\n"
                + item_lines(similar[:3])
                + DETAILS_PROMPT
            )
        return text + f" I don't have any other {alternative.describe()} right now, but new pieces drop often!"

    def more(self) -> str:
        """ "show me more": the customer's last search again, past what was already shown."""
        seen: set[str] = set()
        for message in reversed(self.conversation.history):
            if message.direction != "inbound":
                seen.update(find_skus(message.text))  # everything listed since that search
                continue
            query = self.parse(language.without_greeting(normalise(message.text))[1])
            if query.is_empty():
                continue
            items = [
                item for item in self.toolbox.search_items(query=query, limit=15)["items"] if item["sku"] not in seen
            ]
            if not items:
                return f"That's all I have for {query.describe()} right now. Want to try something else?"
            return "More: " + query.describe() + "\n" + item_lines(items[:5])
        return self.browse("what's new")

    def describe_one(self, facts: Facts) -> str:
        text = item_details(facts)
        status = facts["status"]
        if status == "available":
            text += f"\nAvailable! Say \"I'll take it\" and I'll hold it for you for {settings.HOLD_HOURS} hours."
        elif status == "held_by_you":
            text += f'\nIt\'s on hold for you until {when(facts["held_until"])}. Say "buy" to order.'
        elif status == "held":
            text += (
                f"\nIt's on hold for another customer until {when(facts['available_again_at'])}. {BACK_ON_SALE_LATER}"
            )
        elif status == "bought_by_you":
            text += "\nIt's yours: it's in your order. Ask \"where is my order?\" to see how it's going."
        elif status == "sold":
            text += "\nThis one has already sold, sorry!" + self._similar(facts)
        return text

    def _similar(self, facts: Facts) -> str:
        # `facts` are the full facts (`resolve` reads them with full=True): the category is there already.
        if not facts.get("category"):
            return ""
        query = ItemQuery(categories=(facts["category"],))
        similar = [
            found for found in self.toolbox.search_items(query=query, limit=3)["items"] if found["sku"] != facts["sku"]
        ]
        return ("\nSimilar pieces:\n" + item_lines(similar)) if similar else ""

    def not_found(self, codes: list[str]) -> str:
        return (
            f"I couldn't find {', '.join(codes)} in the shop. Check the code, or tell me what you're looking for "
            "(brand, size, budget)."
        )

    def hold(self, text: str) -> str:
        reference = self.resolve(text)
        if reference.everything:
            return (
                f"I can hold specific pieces for you, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a time. Which ones would "
                "you like? Send the SKUs."
            )
        if not reference.items:
            if reference.unknown_skus:
                return self.not_found(reference.unknown_skus)
            if reference.candidates:
                return (
                    "Which one should I hold?\n"
                    + item_lines(reference.candidates)
                    + '\nSend the SKU or say "the first one".'
                )
            return f"Which piece would you like me to hold? Send {SKU_HINT} or tell me what you're looking for."
        replies = [self._hold_one(facts) for facts in reference.items[: settings.MAX_HOLDS_PER_CUSTOMER]]
        held = any(reply.startswith(("Done", "It's already")) for reply in replies)
        text = "\n\n".join(replies)
        if held and language.asks_longer_hold(self.text):
            text += (
                f"\n\nHolds last {settings.HOLD_HOURS} hours at most, so I can't promise longer: message me before it "
                "runs out and I'll extend it."
            )
        if held:
            text += "\n\nWhen you're ready, say \"buy\" and I'll place your order. " + settings.PAYMENT_INSTRUCTIONS
        return text

    def _hold_one(self, facts: Facts) -> str:
        result = self.toolbox.hold_item(sku=facts["sku"])
        if not result["ok"]:
            return self._hold_refused(result, facts)
        if result.get("extended"):
            line = item_line({**result["item"], "status": ""})
            return f"It's already on hold for you: {line}. I've extended the hold until {when(result['held_until'])}."
        return held_text(result)

    def _hold_refused(self, result: Facts, facts: Facts) -> str:
        error = result["error"]
        if error == "held_by_someone_else":
            return (
                f"Sorry, {item_line({**result['item'], 'status': ''})} is on hold for another customer until "
                f"{when(result['available_again_at'])}. {BACK_ON_SALE_LATER}"
            )
        if error == "bought_by_you":
            return (
                f"{facts['sku']} · {facts['name']} is already yours: it's in your order. "
                'Ask "where is my order?" any time to see how it\'s going.'
            )
        if error == "sold":
            return f"Sorry, {facts['sku']} · {facts['name']} has already sold." + self._similar(facts)
        if error == "hold_limit":
            return (
                f"You're already holding {len(result['holds'])} pieces, the most at once:\n"
                + item_lines(result["holds"])
                + '\nSay "buy" to order them, or "cancel the hold on" + SKU to free one up.'
            )
        if error == "not_found":
            return self.not_found([result.get("sku", facts["sku"])])
        return f"I couldn't hold {facts['sku']}: {result.get('message', 'something went wrong')}"

    def release(self, text: str) -> str:
        holds = self.toolbox.holds()
        if not holds:
            return "You don't have anything on hold right now. Anything else I can help with?"
        if self.mentioned.unknown_skus and not self.mentioned.items:
            return self.not_found(self.mentioned.unknown_skus)
        if self.mentioned.items:
            targets = self.mentioned.items
        elif (
            language.refers_to_several(text)
            or language.refers_to_everything(text)
            or "holds" in text
            or len(holds) == 1
        ):
            targets = holds
        else:
            reference = self.resolve(text, pool=holds, search_stock=False)
            if not reference.items:
                return (
                    "Which hold should I cancel?\n"
                    + item_lines(holds)
                    + '\nSend the SKU, or say "cancel all my holds".'
                )
            targets = reference.items
        return self._release_all(targets)

    def _release_all(self, targets: list[Facts]) -> str:
        released, refused = [], []
        for facts in targets:
            result = self.toolbox.release_hold(sku=facts["sku"])
            (released if result["ok"] else refused).append(facts)
        text = ""
        if released:
            text = "No problem, I've released " + ", ".join(f"{f['sku']} · {f['name']}" for f in released) + ". "
            text += ("They're" if len(released) > 1 else "It's") + " back on sale."
        if refused:
            text += ("\n" if text else "") + ", ".join(f["sku"] for f in refused) + " wasn't on hold for you."
        return text.strip()

    def soft_no(self) -> str:
        in_view_held = [facts for facts in self.shown() if facts["status"] == "held_by_you"]
        if in_view_held:
            return self._release_all(in_view_held)
        return "No problem! Let me know if you're looking for anything else."

    def buy(self, text: str) -> str:
        if self.mentioned.unknown_skus and not self.mentioned.items:
            return self.not_found(self.mentioned.unknown_skus)
        holds = self.toolbox.holds()
        wanted: list[Facts] = []
        if (
            self.mentioned.items
            or language.ordinal(text) is not None
            or (language.refers_to_it(text) and not holds)
            or (self.parse(text).brands or self.parse(text).categories)
        ):
            reference = self.resolve(text)
            if reference.candidates and not reference.items and not holds:
                return "Which one would you like to buy?\n" + item_lines(reference.candidates) + "\nSend the SKU."
            wanted = [facts for facts in reference.items if facts["status"] not in ("held_by_you", "bought_by_you")]
        refusals = []
        for facts in wanted[: settings.MAX_HOLDS_PER_CUSTOMER]:
            result = self.toolbox.hold_item(sku=facts["sku"])
            if not result["ok"]:
                refusals.append(self._hold_refused(result, facts))
        if wanted:
            holds = self.toolbox.holds()  # with what was just held
        if not holds:
            pending = [
                order for order in self.toolbox.order_status()["orders"] if order["status"] == "awaiting payment"
            ]
            if refusals:
                return "\n\n".join(refusals)
            if pending:
                order = pending[0]
                return (
                    f"Your order #{order['order_number']} ({money(order['total'])}) is waiting for payment. "
                    + settings.PAYMENT_INSTRUCTIONS
                    + f" Please put #{order['order_number']} in the note."
                )
            return (
                "You're not holding anything yet. Find a piece you like, say \"I'll take it\" (or send its SKU) and "
                'then "buy". ' + settings.PAYMENT_INSTRUCTIONS
            )
        result = self.toolbox.place_order()
        prefix = ("\n\n".join(refusals) + "\n\n") if refusals else ""
        if not result["ok"]:
            if result["error"] == "hold_lost":
                return (
                    prefix
                    + f"Your hold on {result['sku']} ran out just now, so nothing was ordered. Want me to try again?"
                )
            return prefix + "I couldn't place the order: " + result["message"]
        return prefix + order_placed_text(result["order"]) + "\n" + settings.SHIPPING_INSTRUCTIONS

    def order_status(self) -> str:
        orders = self.toolbox.order_status()["orders"][:3]
        if not orders:
            holds = self.toolbox.holds()
            if holds:
                return (
                    "You don't have an order yet, but you're holding:\n"
                    + item_lines(holds)
                    + '\nSay "buy" to turn them into an order.'
                )
            return "I can't find any orders for you yet. Once you buy something, you can ask me about it here."
        lines = []
        for order in orders:
            count = len(order["items"])
            line = f"Order #{order['order_number']} · {count} item{'s' if count != 1 else ''} · {money(order['total'])} · {order['status']}"
            if order.get("tracking_number"):
                line += f" (tracking number {order['tracking_number']})"
            lines.append(line)
        text = "\n".join(lines)
        if any(order["status"] == "awaiting payment" for order in orders):
            text += "\n" + settings.PAYMENT_INSTRUCTIONS
        elif any(order["status"].startswith("paid") for order in orders):
            text += "\n" + settings.SHIPPING_INSTRUCTIONS
        return text

    def payment_claimed(self) -> str:
        """ "paid!": thanks, and what happens next. Only staff mark an order paid, so nothing changes here."""
        orders = self.toolbox.order_status()["orders"]
        pending = [order for order in orders if order["status"] == "awaiting payment"]
        if pending:
            numbers = ", ".join(f"#{order['order_number']} ({money(order['total'])})" for order in pending)
            return (
                f"Thank you! The owner checks payments by hand and will confirm order {numbers} here as soon as it "
                "shows up. " + settings.SHIPPING_INSTRUCTIONS
            )
        if orders:
            return "Thank you! " + self.order_status()
        if self.toolbox.holds():
            return (
                'Thank you! I can\'t see an order for you yet: say "buy" to turn your holds into an order, and the owner '
                "will match your payment to it."
            )
        return (
            "Thank you! I can't see an order for you yet, so I've nothing to match it to. If you'd like the owner to "
            'look into it, just say "human".'
        )

    def offer(self, text: str) -> str:
        amount = language.offer_amount(text)
        pool = None
        if not self.mentioned.items and not self.shown():
            pool = self.toolbox.holds()
        reference = self.resolve(text, pool=pool, search_stock=True)
        if reference.unknown_skus and not reference.items:
            return self.not_found(reference.unknown_skus)
        if not reference.items:
            # Only pieces one could still buy: an offer on a sold or someone else's piece goes nowhere.
            open_candidates = [
                facts for facts in reference.candidates if facts["status"] in ("available", "held_by_you")
            ]
            if open_candidates:
                return (
                    "Which piece is your offer for?\n"
                    + item_lines(open_candidates)
                    + '\nSend the SKU and your offer, like "SKU $40".'
                )
            return f'Which piece is your offer for? Send {SKU_HINT} and your offer, like "SKU $40".'
        facts = reference.items[0]
        price = Decimal(facts["price"])
        line = item_line({**facts, "status": ""})
        if amount is None:
            return (
                f"Prices are set by the owner and I can't change them: {line}. If you'd like to make an offer, tell me "
                "the amount and I'll pass it on."
            )
        if amount >= price:
            return f"Good news: {line}, so no offer needed! Want me to hold it for you?"
        result = self.toolbox.make_offer(sku=facts["sku"], amount=amount)
        if not result["ok"]:
            if result["error"] == "not_available":
                return f"Sorry, {facts['sku']} isn't available for offers right now."
            return "I couldn't pass that offer on: " + result["message"]
        return (
            f"Thanks! I've passed your offer of {money(amount)} for {facts['sku']} · {facts['name']} on to the owner, "
            f"who decides on offers and will reply here. Until then the price is {money(price)}, and I can hold it for "
            "you at that price if you like."
        )


def held_text(result: Facts) -> str:
    """What a successful hold_item result tells the customer."""
    line = item_line({**result["item"], "status": ""})
    return f"Done! {line} is on hold for you until {when(result['held_until'])} ({result['hold_hours']} hours)."


def order_placed_text(order: Facts) -> str:
    """The order a successful place_order made, and how to pay for it."""
    lines = "\n".join(f"{line['sku']} · {line['name']} · {money(line['price'])}" for line in order["items"])
    return (
        f"Your order #{order['order_number']} is in:\n{lines}\nTotal: {money(order['total'])}\n"
        + settings.PAYMENT_INSTRUCTIONS
        + f" Please put #{order['order_number']} in the note."
    )


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


def summarize_actions(offline: OfflineAssistant, actions: list[tuple[str, Facts]]) -> str:
    """A plain account of what was done this turn, for when the AI's own words cannot be used."""
    parts: list[str] = []
    for tool, result in actions:
        if tool == "hand_off_to_owner" and result.get("ok"):
            return HANDOFF_REPLY
        if not result.get("ok"):
            continue
        if tool == "hold_item":
            parts.append(held_text(result))
        elif tool == "release_hold":
            parts.append(f"I've released {result['item']['sku']} · {result['item']['name']}: it's back on sale.")
        elif tool == "place_order":
            parts.append(order_placed_text(result["order"]))
        elif tool == "make_offer":
            offer = result["offer"]
            parts.append(
                f"I've passed your offer of {money(offer['amount'])} for {offer['sku']} on to the owner, who decides on "
                f"offers and will reply here. Until then the price is {money(result['item']['price'])}."
            )
    if any(tool == "hold_item" and result.get("ok") for tool, result in actions) and not any(
        tool == "place_order" and result.get("ok") for tool, result in actions
    ):
        parts.append("When you're ready, say \"buy\" and I'll place your order. " + settings.PAYMENT_INSTRUCTIONS)
    return "\n\n".join(parts) if parts else offline.reply()
