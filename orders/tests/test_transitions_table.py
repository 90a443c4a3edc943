"""The transitions table (`orders.transitions.TRANSITIONS`) is what the shop does: every move it lists is made by
the service of that mover and, for the owner, offered on the order's admin page; every move it does not list is
refused with the service's error and changes nothing."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.exceptions import InvalidOrderTransition, NoUnpaidOrder
from orders.models import Order, OrderEvent, Payment
from orders.services import (
    cancel_order,
    cancel_own_order,
    expire_order,
    mark_paid,
    mark_shipped,
    place_order,
    record_provider_payment,
)
from orders.transitions import REFUSED_AS, TRANSITIONS, may_move, next_statuses
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

Status = Order.Status
Actor = OrderEvent.Actor


def order_in(status: str) -> Order:
    """An order brought to `status` through the services, as the shop brings one there."""
    customer = make_customer()
    make_item("JACKET-1", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    order = place_order(customer=customer)
    if status in (Status.PAID, Status.SHIPPED):
        mark_paid(order=order)
    if status == Status.SHIPPED:
        mark_shipped(order=order, tracking_number="1Z999")
    if status == Status.CANCELLED:
        cancel_order(order=order)
    order.refresh_from_db()
    assert order.status == status
    return order


def move_by(order: Order, *, to_status: str, by: str) -> object:
    """Ask the service through which `by` moves an order to `to_status` to move this one."""
    match (to_status, by):
        case (Status.PAID, Actor.OWNER):  # Mark paid…
            return mark_paid(order=order)
        case (Status.PAID, Actor.SYSTEM):  # Stripe's webhook
            return record_provider_payment(
                order_id=order.pk,
                provider=Payment.Provider.STRIPE,
                reference="pi_1",
                amount=order.total,
                currency="usd",
            )
        case (Status.SHIPPED, Actor.OWNER):  # Mark shipped…
            return mark_shipped(order=order, tracking_number="1Z999")
        case (Status.CANCELLED, Actor.CUSTOMER):  # "cancel my order"
            return cancel_own_order(customer=order.customer, order_id=order.pk)
        case (Status.CANCELLED, Actor.OWNER):  # Cancel order
            return cancel_order(order=order)
        case (Status.CANCELLED, Actor.SYSTEM):  # not paid in time
            Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
            return expire_order(order_id=order.pk)
    raise AssertionError(f"no service moves an order to {to_status} as {by}: add it here")


SERVICES = [
    (Status.PAID, Actor.OWNER),
    (Status.PAID, Actor.SYSTEM),
    (Status.SHIPPED, Actor.OWNER),
    (Status.CANCELLED, Actor.CUSTOMER),
    (Status.CANCELLED, Actor.OWNER),
    (Status.CANCELLED, Actor.SYSTEM),
]
ALLOWED = [(start, to_status, by) for (start, to_status), who in TRANSITIONS.items() for by in who]
NOT_ALLOWED = [
    (start, to_status, by)
    for start in Status.values
    for to_status, by in SERVICES
    if not may_move(from_status=start, to_status=to_status, by=by)
]


def test_the_table_is_the_orders_life():
    assert ALLOWED == [
        (Status.PENDING, Status.PAID, Actor.OWNER),
        (Status.PENDING, Status.PAID, Actor.SYSTEM),
        (Status.PENDING, Status.CANCELLED, Actor.CUSTOMER),
        (Status.PENDING, Status.CANCELLED, Actor.OWNER),
        (Status.PENDING, Status.CANCELLED, Actor.SYSTEM),
        (Status.PAID, Status.SHIPPED, Actor.OWNER),
        (Status.PAID, Status.CANCELLED, Actor.OWNER),
        (Status.CANCELLED, Status.PAID, Actor.SYSTEM),
    ]


@pytest.mark.parametrize(("start", "to_status", "by"), ALLOWED, ids=lambda value: str(value))
def test_every_move_the_table_lists_is_made_by_its_service_and_written_in_the_history(start, to_status, by):
    order = order_in(start)

    move_by(order, to_status=to_status, by=by)

    order.refresh_from_db()
    last = order.events.order_by("pk").last()
    assert order.status == to_status
    assert (last.from_status, last.to_status, last.actor) == (start, to_status, by)


@pytest.mark.parametrize(
    ("start", "to_status", "by"),
    [move for move in NOT_ALLOWED if move[2] == Actor.OWNER],
    ids=lambda value: str(value),
)
def test_a_move_of_the_owners_the_table_does_not_list_is_refused_naming_the_status(start, to_status, by):
    order = order_in(start)
    before = list(order.events.values_list("pk", flat=True))

    with pytest.raises(InvalidOrderTransition) as refused:
        move_by(order, to_status=to_status, by=by)

    status = order.get_status_display().lower()
    assert str(refused.value) == f"Order #{order.pk} is {status}; it cannot be {REFUSED_AS[to_status]}."
    assert Order.objects.get(pk=order.pk).status == start
    assert list(order.events.values_list("pk", flat=True)) == before


@pytest.mark.parametrize(
    "start", [start for start, _, by in NOT_ALLOWED if by == Actor.CUSTOMER], ids=lambda value: str(value)
)
def test_a_customer_cancelling_an_order_the_table_keeps_from_them_is_told_it_is_not_waiting_for_payment(start):
    order = order_in(start)

    with pytest.raises(NoUnpaidOrder) as refused:
        move_by(order, to_status=Status.CANCELLED, by=Actor.CUSTOMER)

    assert str(refused.value) == f"Order #{order.pk} is not waiting for payment, so there is nothing to cancel."
    assert Order.objects.get(pk=order.pk).status == start


@pytest.mark.parametrize(
    ("start", "to_status"),
    [(start, to_status) for start, to_status, by in NOT_ALLOWED if by == Actor.SYSTEM],
    ids=lambda value: str(value),
)
def test_the_system_never_makes_a_move_the_table_does_not_list(start, to_status):
    order = order_in(start)

    move_by(order, to_status=to_status, by=Actor.SYSTEM)

    order.refresh_from_db()
    assert order.status == start
    # Money that came in for an order that cannot take it is kept for the owner to refund, never lost.
    assert order.needs_refund is (to_status == Status.PAID)


def test_every_status_and_mover_of_the_table_has_a_service_here():
    assert {(to_status, by) for _, to_status, by in ALLOWED} <= set(SERVICES)


# --- The admin offers the owner's moves of the table, and only those --------------------------------------------


def buttons(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="(\w+)"', page)


@pytest.mark.parametrize("start", Status.values)
def test_an_orders_page_offers_a_button_for_each_move_the_table_gives_the_owner(admin_client, start):
    order = order_in(start)
    steps = {Status.PAID: "mark_paid", Status.SHIPPED: "mark_shipped", Status.CANCELLED: "cancel_orders"}

    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert buttons(page) == [steps[to_status] for to_status in next_statuses(from_status=start, by=Actor.OWNER)]
    assert sorted(buttons(page)) == sorted(
        steps[to] for begin, to, by in ALLOWED if begin == start and by == Actor.OWNER
    )


@pytest.mark.parametrize("start", Status.values)
@pytest.mark.parametrize(
    ("action", "to_status", "field"),
    [("mark_paid", Status.PAID, "amount"), ("mark_shipped", Status.SHIPPED, "tracking")],
)
def test_a_step_form_asks_only_about_orders_the_table_lets_the_owner_move(
    admin_client, start, action, to_status, field
):
    order = order_in(start)

    form = admin_client.post(
        reverse("admin:orders_order_changelist"), {"action": action, "_selected_action": [order.pk]}
    ).content.decode()

    assert (f'name="{field}_{order.pk}"' in form) is may_move(from_status=start, to_status=to_status, by=Actor.OWNER)
