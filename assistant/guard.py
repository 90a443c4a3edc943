"""Checks on what the AI wrote before a customer sees it.

A reply passes only if every SKU it names exists, every price it quotes is the database's price for
the item it is next to, by SKU or by name (or this customer's own accepted or countered offer price for it; a
piece they hold at an accepted offer only at that price), or an order total the tools just returned where it
is not given as a piece's price; it does not grant a discount (words of a deal only with the price the offer
rules made, never a percentage off), does not mention another customer and does not repeat its instructions.
Anything else is replaced by the offline assistant's answer.
"""

import re
from decimal import Decimal, InvalidOperation

from assistant.formatting import MAX_REPLY_CHARS
from assistant.language import find_skus
from conversations.models import Customer
from inventory.selectors import current_holds, visible_items_with_skus
from orders.models import Order
from orders.offers import held_at_offer_prices, standing_offer_prices

PRICE = re.compile(
    r"\$\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
    r"|\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*(?:dollars?|bucks|usd)\b",
    re.IGNORECASE,
)
SEGMENT_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Item names shorter than this are too common as words to tie a price to an item.
MIN_NAME = 6
ABOUT_AN_ORDER = re.compile(r"\b(?:orders?|total|altogether|in all|comes? to)\b|#\s?\d", re.IGNORECASE)
PERCENT_OFF = re.compile(r"\d+ ?% ?(?:off|discount)", re.IGNORECASE)
GRANTS_DISCOUNT = re.compile(
    r"\b(\d+ ?% ?off|discount(?:ed)? (?:price|to|of|for you)|(?:give|offer|grant) (?:you )?(?:a |an |the )?(?:\d+ ?% )?discount"
    r"|(?:i|we)(?:'ll| will| can| could| would)(?: happily| gladly)? (?:do|take|accept|let (?:it|you have it|this|that) go for|sell (?:it |this |that )?(?:to you )?for"
    r"|give (?:it to )?you (?:it )?for) (?:it |this |that )?(?:for |at )?\$?\d"
    r"|accept(?:ed)? your offer|offer (?:is |has been )?accepted|it'?s a deal|deal!|you'?ve got a deal|agreed|it'?s yours for|special price"
    r"|price (?:is )?(?:now|reduced|lowered|changed)|(?:reduced|lowered|dropped|changed) the price|price drop|on the house|free of charge|for free)",
    re.IGNORECASE,
)
# "I can't give discounts" says no; remove such phrases before looking for a yes.
DECLINES_DISCOUNT = re.compile(
    r"\b(?:can'?t|cannot|can not|don'?t|do not|won'?t|unable to|not able to|never|no|not)(?:\s+[\w']+){0,3}?\s+discounts?\b",
    re.IGNORECASE,
)
TALKS_ABOUT_OTHERS = re.compile(
    r"\b((?:last|previous|other|another) (?:customer|buyer|person)'?s? (?:bought|ordered|purchased|name|address|order|said|asked|holds?)"
    r"|other customers? (?:bought|ordered|purchased|are|have)|someone else (?:bought|ordered)|(?:his|her|their) (?:address|order|username))",
    re.IGNORECASE,
)
CLAIMS_A_HOLD = re.compile(
    r"(\bon hold for you\b|\b(?:i'?ve|i have|i just|i|done|all set|got it|ok(?:ay)?)\b[^.!?\n]{0,40}?\b(?:held|reserved|put aside|set aside|saved)\b"
    r"|\b(?:held|reserved|saved) (?:it|that|this|them|the \w+) for\b)",
    re.IGNORECASE,
)
TALKS_ABOUT_INSTRUCTIONS = re.compile(
    r"\b(system prompt|my (?:instructions|prompt|rules are|guidelines)|i (?:was|am|have been) (?:instructed|told|programmed) to"
    r"|developer (?:message|instructions)|here (?:are|is) my (?:instructions|prompt|rules)|tool (?:schema|definitions?)|function definitions?)\b",
    re.IGNORECASE,
)


def prices_in(text: str) -> list[Decimal]:
    amounts = []
    for match in PRICE.finditer(text):
        whole, cents = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        try:
            amounts.append(Decimal(whole.replace(",", "") + "." + (cents or "0")))
        except InvalidOperation:
            continue
    return amounts


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def repeats_instructions(reply: str, instructions: str, *, span: int = 8) -> bool:
    """True when the reply contains any run of `span` consecutive words of the instructions."""
    source = _words(instructions)
    runs = {" ".join(source[i : i + span]) for i in range(len(source) - span + 1)}
    words = _words(reply)
    return any(" ".join(words[i : i + span]) in runs for i in range(len(words) - span + 1))


def problem_with(
    reply: str,
    *,
    customer: Customer,
    allowed_amounts: set[Decimal],
    known_prices: set[Decimal],
    instructions: str,
    prices_by_name: dict[str, Decimal] | None = None,
) -> str | None:
    """Why the reply must not be sent, or None when it may."""
    if not reply.strip():
        return "empty reply"
    if len(reply) > MAX_REPLY_CHARS:
        return "reply too long"
    # Prices the offer rules produced for this customer (never another's), each allowed next to its own piece.
    offers = standing_offer_prices(customer=customer)
    offer_prices = set().union(*offers.values())
    problem = _price_problem(
        reply,
        customer=customer,
        offers=offers,
        allowed_amounts=allowed_amounts,
        known_prices=known_prices,
        prices_by_name=prices_by_name,
    )
    if problem is not None:
        return problem
    # Words of a deal are true only when the rules made one, and the reply says its price (checked above against
    # its piece); a percentage off is never one of them.
    grants = GRANTS_DISCOUNT.search(DECLINES_DISCOUNT.sub(" ", reply))
    if grants and (PERCENT_OFF.search(reply) or not offer_prices.intersection(prices_in(reply))):
        return "sounds like it grants a discount"
    if TALKS_ABOUT_OTHERS.search(reply):
        return "talks about another customer"
    problem = _someone_elses_problem(reply, customer=customer)
    if problem is not None:
        return problem
    if CLAIMS_A_HOLD.search(reply) and not current_holds(customer=customer).exists():
        return "says something is on hold when nothing is"
    if TALKS_ABOUT_INSTRUCTIONS.search(reply) or repeats_instructions(reply, instructions):
        return "talks about its instructions"
    return None


def _price_problem(
    reply: str,
    *,
    customer: Customer,
    offers: dict[str, set[Decimal]],
    allowed_amounts: set[Decimal],
    known_prices: set[Decimal],
    prices_by_name: dict[str, Decimal] | None,
) -> str | None:
    """A SKU the shop does not have, or a price next to a piece that is not one of its prices for this customer
    (a piece they hold at an agreed price costs them that price, not the listed one)."""
    skus = find_skus(reply)
    agreed = held_at_offer_prices(customer=customer)
    offer_prices = set().union(*offers.values())
    items = {item.sku.upper(): item for item in visible_items_with_skus([*skus, *offers])}
    unknown = [sku for sku in skus if sku not in items and sku.count("-") >= 2]
    if unknown:
        return f"names unknown SKU {unknown[0]}"
    allowed = {sku: {agreed.get(sku, item.price), *offers.get(sku, set())} for sku, item in items.items()}
    # An item named without its SKU ("the Nike windbreaker is $45") is held to its own prices too.
    by_name = {name.lower(): {price} for name, price in (prices_by_name or {}).items()}
    by_name.update(
        {items[sku].name.lower(): allowed[sku] for sku in offers if sku in items and len(items[sku].name) >= MIN_NAME}
    )
    reply_prices = set().union(*(allowed[sku] for sku in skus if sku in allowed))
    for segment in SEGMENT_END.split(reply):
        segment_skus = [sku for sku in find_skus(segment) if sku in allowed]
        named = set().union(*(prices for name, prices in by_name.items() if name in segment.lower()))
        # Order totals the tools returned may be quoted, but not as a piece's price ("A is $78 for you").
        about_an_order = not (segment_skus or named) or ABOUT_AN_ORDER.search(segment)
        amounts = [a for a in prices_in(segment) if not (about_an_order and a in allowed_amounts)]
        if len(segment_skus) > 1 and len(amounts) == len(segment_skus):
            # As many prices as SKUs ("A is $45 and B is $30", "A and B, $45 and $30"): they pair up in order,
            # so two right prices swapped between two items are caught.
            for sku, amount in zip(segment_skus, amounts, strict=True):
                if amount not in allowed[sku]:
                    return f"quotes {amount:.2f} for {sku}"
            continue
        for amount in amounts:
            if segment_skus:
                if amount not in set().union(*(allowed[sku] for sku in segment_skus)):
                    return f"quotes {amount} next to {', '.join(segment_skus)}"
            elif named:
                if amount not in named:
                    return (
                        f"quotes {amount} next to an item that costs {', '.join(str(price) for price in sorted(named))}"
                    )
            elif amount not in known_prices and amount not in reply_prices and amount not in offer_prices:
                return f"quotes a price {amount} the database did not give"
    return None


def _someone_elses_problem(reply: str, *, customer: Customer) -> str | None:
    """Another customer's handle or username, or an order number that is not this customer's."""
    handles = {handle.lower().rstrip(".") for handle in re.findall(r"@([A-Za-z0-9_.]{2,})", reply)}
    tokens = {token.strip(".") for token in re.findall(r"[A-Za-z0-9_.]{4,}", reply)} | handles
    own = (customer.username or "").lower()
    others = Customer.objects.filter(username__in=tokens | {t.lower() for t in tokens}).exclude(pk=customer.pk)
    if handles - {own} or others.exclude(username="").exists():
        return "mentions another customer"
    order_numbers = {int(number) for number in re.findall(r"#\s?(\d{1,9})\b", reply)}
    if order_numbers - set(Order.objects.filter(customer=customer, pk__in=order_numbers).values_list("pk", flat=True)):
        return "names an order that is not this customer's"
    return None
