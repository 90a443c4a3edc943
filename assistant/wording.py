"""Everything the assistant says to customers, in the shop's voice: change the wording here, in one place.

Handlers decide *what* to say (which items, which facts); these constants and functions say it. Item
lines, prices and times come from `formatting` (`item_line`, `money`, `when`) already written.
"""

import re

from django.conf import settings

# --- the conversation itself ---

HANDOFF = "I've asked the owner to jump in: they'll reply here as soon as they can. I'll stay quiet until then."
STOP = "You're unsubscribed: the shop won't send you any more automatic messages. Send START to turn them back on."
START = "Welcome back! Automatic replies are on again. What are you looking for today?"
TEXT_ONLY = "I can only read text for now — what are you looking for?"
OTHER_CUSTOMERS = (
    "I can't share anything about other customers or act for them, sorry! I can help with your own holds and "
    "orders, or find you something: tell me a brand, size or budget."
)
STILL_HERE = "I'm here! What can I find for you? Tell me a brand, size or budget."
ASK_FOR_SOMETHING = "Anything I can find for you? Tell me a brand, size or budget."
LIKES_THE_ONE = "Glad you like it! Want me to hold it for you?"
LIKES_THEM = "Glad you like them! Say \"I'll take the first one\" (or the second…) and I'll hold it for you."
NO_PROBLEM = "No problem! Let me know if you're looking for anything else."
NOT_UNDERSTOOD = "I'm not sure I got that. "
DETAILS_PROMPT = '\nWant details on one? Say "the first one" or send the SKU.'
BACK_ON_SALE_LATER = "If they don't buy it, it's back on sale then: message me after that and I'll hold it for you."
# Never a real SKU: the memory reads the SKUs of the shop's last message as "the items just shown", so an
# example code there would make "I'll take it" hold a piece the customer never saw.
SKU_HINT = "its SKU (the code at the start of each listing)"
# The words of the shop's own messages that the assistant reads back ("want me to hold it?" → "yes").
OFFERED_TO_HOLD = "hold it for you"
JUST_RELEASED = "i've released"


def help_text() -> str:
    return (
        'I can find pieces for you (try "Nike jackets in L under $60" or "90s levis waist 32"), tell you about one '
        '(send its SKU), hold it for you ("I\'ll take it"), place your order ("buy") and check on it ("where is my '
        'order?"). Want a person? Just say "human".'
    )


def who_am_i() -> str:
    return f"I'm {settings.SHOP_NAME}'s assistant. " + help_text()


def greeting(hold_lines: str) -> str:
    text = settings.SHOP_GREETING
    if hold_lines:
        text += "\nYou're holding:\n" + hold_lines + '\nSay "buy" when you\'re ready to order.'
    return text


def acknowledgement(opener: str, hold_lines: str) -> str:
    """After thanks / ok / bye (`opener` is one of the THANKS_OPENERS)."""
    if hold_lines:
        return f"{opener} Just a reminder, you're holding:\n" + hold_lines + '\nSay "buy" whenever you\'re ready.'
    return f"{opener} Message me any time you're looking for something."


THANKS_OPENERS = {"no": "No problem!", "bye": "Bye for now!", "thanks": "You're welcome!", "ok": "👍"}

# --- shop questions ---

SIZING = (
    "Vintage sizes vary a lot, so the measurements are the best guide: compare the pit to pit and length "
    "with a piece that fits you well. Ask me for any item's measurements."
)
ASK_MY_SIZE = (
    "Tell me your size (S to XXL, a waist like 32, or a measurement like pit to pit 22) and what "
    "you're after, and I'll look."
)


def payment_faq(*, method: str | None = None, accepted: bool = False, link: str = "", ordered: bool = False) -> str:
    """ "venmo ok?", "how do I pay?": the shop's ways to pay (`PAYMENT_METHODS`, Stripe's link when the shop takes
    cards through Stripe, else the manual instructions), saying yes or no to the `method` asked about."""
    others = settings.PAYMENT_METHODS.strip().rstrip(".")
    parts = []
    if method:
        parts.append(f"Yes, {method} works!" if accepted else f"Sorry, we don't take {method}.")
    if settings.PAYMENT_PROVIDER == "stripe":
        if link:
            parts.append(f"Card, Apple Pay and Google Pay work through your secure payment link: {link}")
        else:
            parts.append("Card, Apple Pay and Google Pay work through the secure payment link I send when you order.")
        if others:
            parts.append(f"We also take {others} (put your order number in the note).")
    else:
        if others:
            parts.append(f"We take {others}; put your order number in the note.")
        if not (others and accepted):
            parts.append(settings.PAYMENT_INSTRUCTIONS)
    if not ordered:
        parts.append('Hold a piece first, then say "buy" and I\'ll place your order.')
    return " ".join(parts)


def hold_policy() -> str:
    return (
        f"I can hold a piece for you for {settings.HOLD_HOURS} hours, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a "
        'time. Just say "I\'ll take it" or send the SKU.'
    )


def own_holds(lines_until: list[str]) -> str:
    """ "how long do i have?" from someone holding pieces: each hold with its end."""
    return "\n".join(lines_until) + (
        f'\nSay "buy" before then to order. Holds last {settings.HOLD_HOURS} hours, up to '
        f"{settings.MAX_HOLDS_PER_CUSTOMER} pieces at a time."
    )


def authenticity(listed_as: str) -> str:
    return (
        listed_as + "Every listing says what the piece is, with its era, condition and flaws. For tag photos or "
        'anything else about authenticity, say "human" and the owner will reply here.'
    )


def listed_as(sku: str, name: str, described: str) -> str:
    return f"{sku} · {name} is listed as {described}. "


# --- browsing and search ---

SOLD_OUT = "Everything's sold out right now! New pieces drop all the time, so check back soon."
NOTHING_LIKE_THAT = "I couldn't find anything like that right now. "
UNGENDERED = "I don't sort pieces as men's or women's: the measurements are the best guide to fit."
ASK_SIZE_OR_KIND = (
    " Tell me a size (S to XXL, a dress size like 10, a waist like 32) or the kind of piece you're after and I'll look."
)
ANYTHING_ELSE = "Want to try something else?"


def just_dropped(lines: str) -> str:
    return "Here's what just dropped:\n" + lines + "\nAsk about any of them, or tell me a brand, size or budget."


def found(lines: str, *, described: str, note: str, cheapest: bool) -> str:
    lead = "Here's what I have, cheapest first:" if cheapest else "Here's what I have:"
    intro = f"{lead} {described}{note}:" if described else lead
    return intro + "\n" + lines + DETAILS_PROMPT


def closest(lines: str, *, described: str, note: str) -> str:
    return f"Here's the closest I have: {described}{note}:\n" + lines + DETAILS_PROMPT


def none_found(*, described: str, note: str, closest_lines: str) -> str:
    text = f"I don't have any {described} right now{note}."
    if closest_lines:
        text += " The closest I have:\n" + closest_lines
    return text + "\nNew pieces drop often, so check back soon!"


def more(described: str, lines: str) -> str:
    return "More: " + described + "\n" + lines


def no_more(described: str) -> str:
    return f"That's all I have for {described} right now. " + ANYTHING_ELSE


# --- item details ---


def photo_sent(line: str, page_url: str) -> str:
    return f"Here's {line}. All its photos: {page_url}"


def photo_page(line: str, page_url: str) -> str:
    return f"Photos of {line}: {page_url}"


def no_photos(line: str) -> str:
    return f'I don\'t have photos of {line} yet, sorry! The owner can take some for you: just say "human".'


WHICH_ONE = "Which piece do you mean? Send me " + SKU_HINT + " or tell me what you're looking for."


def which_of(lines: str) -> str:
    return "Which one do you mean?\n" + lines + '\nSend the SKU or say "the first one".'


def available() -> str:
    return f"\nAvailable! Say \"I'll take it\" and I'll hold it for you for {settings.HOLD_HOURS} hours."


def held_for_you(until: str) -> str:
    return f'\nIt\'s on hold for you until {until}. Say "buy" to order.'


def held_for_someone_else(until: str) -> str:
    return f"\nIt's on hold for another customer until {until}. {BACK_ON_SALE_LATER}"


BOUGHT_BY_YOU = "\nIt's yours: it's in your order. Ask \"where is my order?\" to see how it's going."
SOLD = "\nThis one has already sold, sorry!"


def similar(lines: str) -> str:
    return "\nSimilar pieces:\n" + lines


def not_found(codes: list[str]) -> str:
    return (
        f"I couldn't find {', '.join(codes)} in the shop. Check the code, or tell me what you're looking for "
        "(brand, size, budget)."
    )


def one_of_a_kind(sku: str, name: str, size: str) -> str:
    return f"Every piece here is one of a kind, so {sku} · {name} only comes in {size}."


def other_sizes(size: str, lines: str) -> str:
    return f" Here's what I have in {size}:\n" + lines + DETAILS_PROMPT


def no_other_sizes(described: str) -> str:
    return f" I don't have any other {described} right now, but new pieces drop often!"


# --- holds ---


def hold_which_of_everything() -> str:
    return (
        f"I can hold specific pieces for you, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a time. Which ones would "
        "you like? Send the SKUs."
    )


def hold_which_of(lines: str) -> str:
    return "Which one should I hold?\n" + lines + '\nSend the SKU or say "the first one".'


def claim_which_of(lines: str) -> str:
    """A claim in a live drop that could mean several pieces: nothing is claimed until they say which."""
    return "Which one do you want?\n" + lines + '\nSend the SKU or say "the first one" — the first to write gets it.'


HOLD_WHICH = "Which piece would you like me to hold? Send " + SKU_HINT + " or tell me what you're looking for."


def held(line: str, until: str, hours: object) -> str:
    return f"Done! {line} is on hold for you until {until} ({hours} hours)."


def hold_extended(line: str, until: str) -> str:
    return f"It's already on hold for you: {line}. I've extended the hold until {until}."


def no_longer_holds() -> str:
    return (
        f"\n\nHolds last {settings.HOLD_HOURS} hours at most, so I can't promise longer: message me before it "
        "runs out and I'll extend it."
    )


def when_ready_to_buy() -> str:
    return "When you're ready, say \"buy\" and I'll place your order. " + settings.PAYMENT_INSTRUCTIONS


def held_by_someone_else(line: str, until: str) -> str:
    return f"Sorry, {line} is on hold for another customer until {until}. {BACK_ON_SALE_LATER}"


def already_yours(sku: str, name: str) -> str:
    return (
        f"{sku} · {name} is already yours: it's in your order. "
        'Ask "where is my order?" any time to see how it\'s going.'
    )


def already_sold(sku: str, name: str) -> str:
    return f"Sorry, {sku} · {name} has already sold."


def hold_limit(count: int, lines: str) -> str:
    return (
        f"You're already holding {count} pieces, the most at once:\n"
        + lines
        + '\nSay "buy" to order them, or "cancel the hold on" + SKU to free one up.'
    )


def could_not_hold(sku: str, why: str) -> str:
    return f"I couldn't hold {sku}: {why}"


NOTHING_HELD = "You don't have anything on hold right now. Anything else I can help with?"


def release_which(lines: str) -> str:
    return "Which hold should I cancel?\n" + lines + '\nSend the SKU, or say "cancel all my holds".'


def released(names: list[str]) -> str:
    return (
        "No problem, I've released "
        + ", ".join(names)
        + ". "
        + ("They're" if len(names) > 1 else "It's")
        + " back on sale."
    )


def not_held_by_you(skus: list[str]) -> str:
    return ", ".join(skus) + " wasn't on hold for you."


def released_one(sku: str, name: str) -> str:
    return f"I've released {sku} · {name}: it's back on sale."


# --- orders and payment ---


def buy_which(lines: str) -> str:
    return "Which one would you like to buy?\n" + lines + "\nSend the SKU."


def order_waiting_for_payment(number: int, total: str, link: str = "") -> str:
    if settings.PAYMENT_PROVIDER == "stripe":
        return f"Your order #{number} ({total}) is waiting for payment. " + payment_link_hint(link)
    return (
        f"Your order #{number} ({total}) is waiting for payment. "
        + settings.PAYMENT_INSTRUCTIONS
        + f" Please put #{number} in the note."
    )


def payment_link_hint(link: str) -> str:
    """With Stripe: how to pay an unpaid order, its open link or how to get a fresh one."""
    if link:
        return f"Pay securely here: {link}"
    return 'Say "send me the link" and I\'ll send you a fresh payment link.'


def payment_link_again(number: int, total: str, link: str) -> str:
    return f"Here's your payment link for order #{number} ({total}): {link}\nYour order number is #{number}."


def fresh_payment_link_coming(number: int, total: str) -> str:
    return f"A fresh payment link for order #{number} ({total}) is on its way: it'll be here in a moment."


def could_not_send_link(why: str) -> str:
    return "I couldn't get your payment link: " + why


NO_ORDER_TO_PAY = "You have no order waiting for payment, so there's no payment link to send."


def nothing_to_buy() -> str:
    return (
        "You're not holding anything yet. Find a piece you like, say \"I'll take it\" (or send its SKU) and "
        'then "buy". ' + settings.PAYMENT_INSTRUCTIONS
    )


def hold_ran_out(sku: str) -> str:
    return f"Your hold on {sku} ran out just now, so nothing was ordered. Want me to try again?"


def could_not_order(why: str) -> str:
    return "I couldn't place the order: " + why


def order_cancelled(number: int, skus: str) -> str:
    return f"Done: order #{number} is cancelled and {skus} went back on sale. Nothing to pay."


def order_too_far_to_cancel(number: int, status: str) -> str:
    why = "it has already shipped" if status == "shipped" else "it is already paid"
    return (
        f"I can't cancel order #{number}: {why}. The owner handles changes to paid orders: "
        'say "human" and they\'ll get back to you.'
    )


NO_ORDER_TO_CANCEL = "You have no order waiting for payment, so there is nothing to cancel."
NO_ORDER_TO_CANCEL_BUT_HOLDS = (
    'You have no order to cancel, only pieces on hold: say "cancel my hold" if you want to let them go.'
)


def could_not_cancel(why: str) -> str:
    return "I couldn't cancel the order: " + why


ORDER_PLACED = re.compile(r"\byour order #\d+ is in:", re.IGNORECASE)


def placed_an_order(said: str) -> bool:
    """Is this what the shop says when it places an order (see `order_placed`)?"""
    return bool(ORDER_PLACED.search(said))


def order_placed(number: int, lines: str, total: str) -> str:
    if settings.PAYMENT_PROVIDER == "stripe":
        return (
            f"Your order #{number} is in:\n{lines}\nTotal: {total}\n"
            f"Your secure payment link (card, Apple Pay or Google Pay) comes in a moment; #{number} is your reference."
        )
    return (
        f"Your order #{number} is in:\n{lines}\nTotal: {total}\n"
        + settings.PAYMENT_INSTRUCTIONS
        + f" Please put #{number} in the note."
    )


def no_order_but_holds(lines: str) -> str:
    return "You don't have an order yet, but you're holding:\n" + lines + '\nSay "buy" to turn them into an order.'


NO_ORDERS = "I can't find any orders for you yet. Once you buy something, you can ask me about it here."


def order_line(number: int, count: int, total: str, status: str, tracking_number: str = "") -> str:
    line = f"Order #{number} · {count} item{'s' if count != 1 else ''} · {total} · {status}"
    if tracking_number:
        line += f" (tracking number {tracking_number})"
    return line


def payment_will_be_confirmed(numbers: str) -> str:
    if settings.PAYMENT_PROVIDER == "stripe":
        return (
            f"Thank you! A payment through the link confirms order {numbers} by itself: you'll get a thank-you here "
            "as soon as it lands. If you paid another way, the owner will check and confirm it here. "
            + settings.SHIPPING_INSTRUCTIONS
        )
    return (
        f"Thank you! The owner checks payments by hand and will confirm order {numbers} here as soon as it "
        "shows up. " + settings.SHIPPING_INSTRUCTIONS
    )


THANK_YOU = "Thank you! "
PAID_BUT_ONLY_HOLDS = (
    'Thank you! I can\'t see an order for you yet: say "buy" to turn your holds into an order, and the owner '
    "will match your payment to it."
)
PAID_BUT_NOTHING = (
    "Thank you! I can't see an order for you yet, so I've nothing to match it to. If you'd like the owner to "
    'look into it, just say "human".'
)

# --- offers ---


def offer_which_of(lines: str) -> str:
    return "Which piece is your offer for?\n" + lines + '\nSend the SKU and your offer, like "SKU $40".'


OFFER_WHICH = "Which piece is your offer for? Send " + SKU_HINT + ' and your offer, like "SKU $40".'


def price_is_set(line: str) -> str:
    return (
        f"Prices are set by the owner and I can't change them: {line}. If you'd like to make an offer, tell me "
        "the amount."
    )


def no_offer_needed(line: str) -> str:
    return f"Good news: {line}, so no offer needed! Want me to hold it for you?"


def not_open_for_offers(sku: str) -> str:
    return f"Sorry, {sku} isn't available for offers right now."


def could_not_pass_offer(why: str) -> str:
    return "I couldn't pass that offer on: " + why


def offer_passed_on(amount: str, sku: str, name: str, price: str) -> str:
    return (
        f"Thanks! I've passed your offer of {amount} for {sku} · {name} on to the owner, "
        f"who decides on offers and will reply here. Until then the price is {price}, and I can hold it for "
        "you at that price if you like."
    )


# The words the "yes" to a counter-offer is recognised by (the owner's counter notice says them too).
COUNTER_YES = 'say "yes" to have it held'


def offer_accepted(sku: str, name: str, price: str, until: str) -> str:
    return (
        f"Your offer works! {sku} · {name} is on hold for you at {price} until {until}. "
        'Say "buy" when you\'re ready to order.'
    )


def offer_countered(offered: str, sku: str, name: str, counter: str) -> str:
    return (
        f"Thanks for the offer! {offered} is a bit low for {sku} · {name}, but the shop can do {counter}. "
        'Say "yes" to have it held for you at that price.'
    )


def offer_declined(sku: str, price: str) -> str:
    return f"Sorry, the shop can't go that low on {sku}: the price stays {price}. I can hold it for you at that price."


def offer_not_dropped_yet(sku: str, when: str) -> str:
    return f"{sku} is in a drop that starts {when}: offers open once it has dropped."


def offer_briefly(sku: str, price: str) -> str:
    return f"{sku} is on hold for you at {price}."


def counter_briefly(sku: str, counter: str) -> str:
    return f'The shop can do {counter} for {sku}: say "yes" to have it held for you at that price.'


def offer_passed_on_briefly(amount: str, sku: str, price: str) -> str:
    return (
        f"I've passed your offer of {amount} for {sku} on to the owner, who decides on "
        f"offers and will reply here. Until then the price is {price}."
    )


# --- holds that run themselves, waitlists, drops (sent unprompted or when a drop settles) ---


def hold_reminder(line: str, until: str) -> str:
    return f"Just a reminder: {line} is on hold for you until {until}. " + when_ready_to_buy()


def waitlist_held_for_you(line: str, until: str) -> str:
    return f"Good news: {line} is free again, and it's on hold for you until {until}. " + when_ready_to_buy()


def waitlist_free_again(line: str) -> str:
    return f"Good news: {line} you were waiting for is free again! Say \"I'll take it\" and I'll hold it for you."


def drop_won(line: str, until: str) -> str:
    return f"You got it! {line} is yours: it's on hold for you until {until}. " + when_ready_to_buy()


def drop_lost(line: str, place: int) -> str:
    return (
        f"So close! Someone wrote a moment before you for {line}. You're #{place} in line: "
        "I'll message you if it frees up."
    )


def drop_too_early(line: str, place: int) -> str:
    return f"Your message came in before {line} dropped, so it didn't count. You're #{place} in line: " + (
        "I'll message you if it frees up."
    )


def joined_waitlist(line: str, place: int, until: str) -> str:
    return (
        f"Sorry, {line} is on hold for another customer until {until}. You're #{place} in line: "
        "I'll message you if it frees up."
    )


def already_in_line(line: str, place: int) -> str:
    return f"You're already in line for {line}: you're #{place}. I'll message you if it frees up."


def drops_later(line: str, until: str) -> str:
    return f"{line} drops {until}: message me then to claim it — the first to write gets it."


def places_in_line(lines: list[str]) -> str:
    return "Here's where you are:\n" + "\n".join(lines) + "\nI'll message you as soon as one frees up."


def place_line(line: str, place: int) -> str:
    return f"#{place} for {line}"


NOT_IN_ANY_LINE = "You're not waiting for anything right now. Want me to find you something?"


def left_lines(skus: list[str]) -> str:
    return "Done, I've taken you off the list for " + ", ".join(skus) + "."
