"""An order's history: every change is one OrderEvent (who, when, from → to), and it is never rewritten."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.models import HistoryIsAppendOnly, Order, OrderEvent
from orders.services import cancel_order, mark_paid, place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def order() -> Order:
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    return place_order(customer=customer)


def history(order: Order) -> list[tuple[str, str, str, str, str | None]]:
    return [
        (
            event.kind,
            event.actor,
            event.from_status,
            event.to_status,
            event.staff_user.username if event.staff_user else None,
        )
        for event in order.events.select_related("staff_user")
    ]


def test_each_change_says_who_made_it_and_from_which_status_to_which(order):
    owner = get_user_model().objects.create_user("owner", password="x", is_staff=True)

    mark_paid(order=order, payment_reference="PAYPAL-1", staff_user=owner)
    cancel_order(order=order, reason="customer changed their mind", staff_user=owner)

    assert history(order) == [
        ("placed", "customer", "", "pending", None),
        ("paid", "owner", "pending", "paid", "owner"),
        ("cancelled", "owner", "paid", "cancelled", "owner"),
    ]
    assert order.events.last().note == "customer changed their mind"


def test_an_event_cannot_be_changed_or_deleted_through_the_model(order):
    event = order.events.get()
    event.note = "rewritten"

    with pytest.raises(HistoryIsAppendOnly):
        event.save()
    with pytest.raises(HistoryIsAppendOnly):
        event.delete()
    with pytest.raises(HistoryIsAppendOnly):
        OrderEvent.objects.filter(order=order).update(note="rewritten")
    with pytest.raises(HistoryIsAppendOnly):
        OrderEvent.objects.filter(order=order).delete()
    assert order.events.get().note == "JACKET-1 $45.00"


def test_the_database_refuses_update_and_delete_of_history_rows(order):
    with pytest.raises(IntegrityError, match="append-only: UPDATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE orders_orderevent SET note = 'rewritten'")
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM orders_orderevent")

    assert list(order.events.values_list("note", flat=True)) == ["JACKET-1 $45.00"]


def test_clearing_the_demo_shop_still_deletes_orders_with_their_history(order):
    call_command("seed", "--clear", "--no-input", stdout=open("/dev/null", "w"))

    assert (Order.objects.count(), OrderEvent.objects.count()) == (0, 0)
