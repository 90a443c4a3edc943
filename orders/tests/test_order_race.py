"""Issue 10's proof: two customers order overlapping pieces while the owner cancels an order and a late payment
for it lands. Real threads released by one barrier, each on its own connection (closed in `finally`).

`django_db(transaction=True)`: each thread has its own connection and must see committed rows; the locks only
matter between separate transactions.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from inventory.models import Item
from inventory.services import reserve_item
from orders.models import Order, OrderItem, Payment
from orders.services import cancel_order, place_order, record_provider_payment
from philia.errors import DomainError
from philia.tests.concurrency import run_at_once
from philia.tests.factories import make_customer, make_item

ROUNDS = 6
TIMEOUT_SECONDS = 30


def shopper(customer, skus: list[str]) -> Callable[[], list[Any]]:
    """A customer holding each piece in turn, then ordering what they hold: each step's answer."""

    def shop() -> list[Any]:
        answers: list[Any] = []
        for sku in skus:
            try:
                answers.append(reserve_item(sku=sku, customer=customer))
            except DomainError as error:
                answers.append(error)
        try:
            answers.append(place_order(customer=customer))
        except DomainError as error:
            answers.append(error)
        return answers

    return shop


def assert_consistent() -> None:
    for item in Item.objects.all():
        standing = OrderItem.objects.filter(item=item, is_active=True).exclude(order__status=Order.Status.CANCELLED)
        assert standing.count() <= 1, f"{item.sku} sold twice"
        if item.status == Item.Status.SOLD:
            assert standing.count() == 1, f"{item.sku} is sold but in no standing order"
            assert item.held_by_id is None
        else:
            assert standing.count() == 0, f"{item.sku} is {item.status} but in a standing order"
        if item.status == Item.Status.RESERVED:
            assert item.held_by_id is not None and item.held_until is not None
        if item.status == Item.Status.AVAILABLE:
            assert item.held_by_id is None
    assert not OrderItem.objects.filter(is_active=True, order__status=Order.Status.CANCELLED).exists()
    for order in Order.objects.exclude(status=Order.Status.CANCELLED):
        assert order.total == sum(line.price for line in order.lines.filter(is_active=True))


def play_round(round_number: int) -> str:
    """One race; returns how the late payment ended."""
    a, b, c = (f"R{round_number}-{letter}" for letter in "ABC")
    first = make_customer(f"first-{round_number}")
    make_item(a, price="40.00", held_by=first, held_until=timezone.now() + timedelta(hours=3))
    make_item(b, price="25.00", held_by=first, held_until=timezone.now() + timedelta(hours=3))
    make_item(c, price="30.00")
    order = place_order(customer=first)
    yara, zane = make_customer(f"yara-{round_number}"), make_customer(f"zane-{round_number}")
    reference = f"cs_late_{round_number}"

    cancelled, paid, yaras, zanes = run_at_once(
        [
            lambda: cancel_order(order=order, reason="owner cancelled"),
            lambda: record_provider_payment(
                order_id=order.pk, provider=Payment.Provider.STRIPE, reference=reference, amount=Decimal("65.00"),
                currency="usd",
            ),
            shopper(yara, [a, c]),
            shopper(zane, [c, b]),
        ],
        timeout=TIMEOUT_SECONDS,
    )  # fmt: skip

    # Every party has a clear answer: a result or a domain error, never a crash.
    for outcome in [cancelled, paid, *yaras, *zanes]:
        assert not isinstance(outcome, Exception) or isinstance(outcome, DomainError), repr(outcome)
    assert isinstance(paid, Payment), repr(paid)
    assert_consistent()
    assert Payment.objects.filter(order=order, reference=reference).count() == 1
    order.refresh_from_db()
    if order.status == Order.Status.PAID:
        # The owner cancelled first and every piece was still free when the late payment came: reinstated.
        assert set(order.lines.filter(is_active=True).values_list("item__sku", flat=True)) == {a, b}
        assert isinstance(cancelled, Order) and not order.needs_refund
        return "reinstated"
    assert order.status == Order.Status.CANCELLED
    if order.needs_refund:
        # Cancelled first, and a shopper took a piece before the money came: flagged, nothing else changed.
        return "needs refund"
    # Paid first, then the owner cancelled the paid order: its pieces went back on sale.
    assert isinstance(cancelled, Order)
    return "paid, then cancelled"


@pytest.mark.django_db(transaction=True)
def test_two_shoppers_an_owner_cancelling_and_a_late_payment_never_sell_a_piece_twice():
    endings = [play_round(round_number) for round_number in range(ROUNDS)]

    assert set(endings) <= {"reinstated", "needs refund", "paid, then cancelled"}
