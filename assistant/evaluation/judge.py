"""Judging a case: what its `expect` says against the database and the reply.

The shop's state is read twice, just before the case's messages and just after (`Snapshot`): what the customer
holds, the orders and offers they have, the lines they wait in, and every piece's status and holder. `judge`
returns one plain sentence per expectation that does not hold; none means the case passed.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from assistant.evaluation.cases import Expect
from conversations.models import Customer
from inventory.models import Item, WaitlistEntry
from orders.models import Offer, Order, OrderItem


@dataclass(frozen=True)
class OfferSeen:
    sku: str
    amount: Decimal
    status: str
    counter: Decimal | None


@dataclass(frozen=True)
class Snapshot:
    holds: frozenset[str]
    pieces: dict[str, tuple[str, str | None]]  # SKU -> (status, holder's id)
    orders: dict[int, tuple[str, tuple[str, ...]]]  # the customer's: id -> (status, SKUs)
    offers: dict[int, OfferSeen]  # the customer's, by id
    waiting: frozenset[str]
    handed_off: bool
    opted_out: bool

    def shop_state(self) -> tuple[object, ...]:
        """What a question must leave as it was: pieces, orders, offers, lines."""
        return (self.pieces, self.orders, self.offers, self.waiting)


def snapshot(customer: Customer) -> Snapshot:
    now = timezone.now()
    customer.refresh_from_db()
    lines: dict[int, list[str]] = {}
    for order_id, sku in OrderItem.objects.filter(order__customer=customer).values_list("order_id", "item__sku"):
        lines.setdefault(order_id, []).append(sku)
    orders = {
        order_id: (status, tuple(sorted(lines.get(order_id, []))))
        for order_id, status in Order.objects.filter(customer=customer).values_list("pk", "status")
    }
    offers = {
        offer.pk: OfferSeen(offer.item.sku, offer.amount, offer.status, offer.counter_amount)
        for offer in Offer.objects.filter(customer=customer).select_related("item")
    }
    return Snapshot(
        holds=frozenset(Item.objects.held(now=now).filter(held_by=customer).values_list("sku", flat=True)),
        pieces={sku: (status, holder) for sku, status, holder in Item.objects.values_list("sku", "status", "held_by")},
        orders=orders,
        offers=offers,
        waiting=frozenset(WaitlistEntry.objects.filter(customer=customer).values_list("item__sku", flat=True)),
        handed_off=customer.handoff_requested_at is not None,
        opted_out=customer.opted_out_at is not None,
    )


def listed_skus(reply: str, skus: set[str]) -> list[str]:
    """The catalogue's SKUs the reply names, in the order they first appear."""
    if not skus or not reply:
        return []
    alternatives = "|".join(re.escape(sku) for sku in sorted(skus, key=len, reverse=True))
    found = re.findall(rf"(?<![A-Za-z0-9-])({alternatives})(?![A-Za-z0-9-])", reply, flags=re.IGNORECASE)
    return list(dict.fromkeys(sku.upper() for sku in found))


def _names(skus: Iterable[str]) -> str:
    return ", ".join(sorted(skus)) or "nothing"


Check = Callable[[Expect, Snapshot, Snapshot], str | None]


def _held(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    if expect.held is not None and after.holds != set(expect.held):
        return f"holds {_names(after.holds)}; expected exactly {_names(expect.held)}"
    missing = [sku for sku in expect.held_includes if sku not in after.holds]
    if missing:
        return f"does not hold {_names(missing)} (holds {_names(after.holds)})"
    wrongly = [sku for sku in expect.not_held if sku in after.holds]
    return f"holds {_names(wrongly)}, which it must not" if wrongly else None


def _released(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    for sku in expect.released:
        if sku not in before.holds:
            return f"{sku} was not held before the messages, so it cannot be released by them"
        if sku in after.holds or after.pieces[sku][0] != Item.Status.AVAILABLE:
            return f"{sku} was not released (its status is {after.pieces[sku][0]})"
    return None


def _ordered(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    if expect.ordered is None:
        return None
    new = {sku for order_id, (_, skus) in after.orders.items() if order_id not in before.orders for sku in skus}
    if new != set(expect.ordered):
        return f"ordered {_names(new)}; expected {_names(expect.ordered)}"
    return None


def _offer(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    wanted = expect.offer
    if wanted is None:
        return None
    made = [offer for offer_id, offer in after.offers.items() if offer_id not in before.offers]
    made += [offer for offer_id, offer in after.offers.items() if before.offers.get(offer_id, offer) != offer]
    fitting = [offer for offer in made if offer.sku == wanted.sku and offer.amount == wanted.amount]
    if not fitting:
        seen = "; ".join(f"${offer.amount} on {offer.sku} ({offer.status})" for offer in made) or "none"
        return f"no offer of ${wanted.amount} on {wanted.sku} was recorded (offers: {seen})"
    if wanted.status is not None and all(offer.status != wanted.status for offer in fitting):
        return f"the offer of ${wanted.amount} on {wanted.sku} is {fitting[-1].status}, expected {wanted.status}"
    return None


def _unchanged(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    if not expect.unchanged or before.shop_state() == after.shop_state():
        return None
    changed = [sku for sku, state in after.pieces.items() if before.pieces.get(sku) != state]
    parts = [f"pieces changed: {_names(changed)}"] if changed else []
    if before.orders != after.orders:
        parts.append("orders changed")
    if before.offers != after.offers:
        parts.append("offers changed")
    if before.waiting != after.waiting:
        parts.append(f"lines joined or left: {_names(before.waiting ^ after.waiting)}")
    return "should change nothing, but " + "; ".join(parts)


def _customer(expect: Expect, before: Snapshot, after: Snapshot) -> str | None:
    missing = [sku for sku in expect.waitlisted if sku not in after.waiting]
    if missing:
        return f"not in line for {_names(missing)} (waits for {_names(after.waiting)})"
    if expect.handed_off is not None and after.handed_off != expect.handed_off:
        return "handed the conversation to the owner" if after.handed_off else "did not hand over to the owner"
    if expect.opted_out is not None and after.opted_out != expect.opted_out:
        return "the customer is opted out" if after.opted_out else "the customer is not opted out"
    return None


STATE_CHECKS: tuple[Check, ...] = (_held, _released, _ordered, _offer, _unchanged, _customer)


def judge_reply(expect: Expect, reply: str | None, *, catalogue: set[str]) -> list[str]:
    """What the reply gets wrong: silence, the pieces it lists, the words it says."""
    if expect.silent:
        return [f"should stay silent, said {reply!r}"] if reply else []
    if not reply:
        return ["no reply"]
    listed = listed_skus(reply, catalogue)
    failures = [f"does not list {sku}" for sku in expect.listed if sku not in listed]
    if expect.listed_first and (not listed or listed[0] != expect.listed_first):
        failures.append(f"lists {listed[0] if listed else 'nothing'} first, not {expect.listed_first}")
    if expect.listed_any and not set(expect.listed_any) & set(listed):
        failures.append(f"lists none of {_names(expect.listed_any)}")
    if expect.listed_only is not None:
        others = [sku for sku in listed if sku not in expect.listed_only]
        failures += [f"lists {_names(others)}, which do not fit"] if others else []
    failures += [f"lists {sku}, which it must not" for sku in expect.not_listed if sku in listed]
    failures += [f"does not say /{pattern.pattern}/" for pattern in expect.said if not pattern.search(reply)]
    failures += [f"says /{pattern.pattern}/, which it must not" for pattern in expect.not_said if pattern.search(reply)]
    return failures


def judge(expect: Expect, *, before: Snapshot, after: Snapshot, reply: str | None, catalogue: set[str]) -> list[str]:
    """Every expectation of the case that does not hold, one sentence each (empty: the case passed)."""
    failures = [failure for check in STATE_CHECKS if (failure := check(expect, before, after)) is not None]
    return failures + judge_reply(expect, reply, catalogue=catalogue)


def describe(after: Snapshot, before: Snapshot) -> str:
    """What the customer's state is after the messages, for a failing case's report."""
    new_orders = [skus for order_id, (_, skus) in after.orders.items() if order_id not in before.orders]
    parts = [f"holds: {_names(after.holds)}"]
    if new_orders:
        parts.append("ordered: " + "; ".join(_names(skus) for skus in new_orders))
    offers = [offer for offer_id, offer in after.offers.items() if before.offers.get(offer_id) != offer]
    if offers:
        parts.append("offers: " + "; ".join(f"${o.amount} on {o.sku} {o.status}" for o in offers))
    if after.waiting:
        parts.append(f"waits for: {_names(after.waiting)}")
    parts += ["handed off"] if after.handed_off and not before.handed_off else []
    parts += ["opted out"] if after.opted_out else []
    return "; ".join(parts)
