"""The delayed job sent when an order is placed expires it at its deadline, through the real Redis worker.

`django_db(transaction=True)`: the job is sent after the order commits and runs in the worker's own thread.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Item
from orders.models import Order
from orders.services import place_order
from orders.tasks import sweep_unpaid_orders
from philia.tests.factories import make_customer, make_item


@pytest.mark.django_db(transaction=True)
def test_the_delayed_job_sent_at_placement_expires_the_unpaid_order(settings, deadline_worker):
    settings.ORDER_PAYMENT_HOURS = 0.0003  # about a second
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))

    order = place_order(customer=customer)
    deadline_worker.drain()

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Item.objects.get().status == Item.Status.AVAILABLE


@pytest.mark.django_db(transaction=True)
def test_the_sweep_expires_what_a_lost_job_left(settings, dramatiq_worker):
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    order = place_order(customer=customer)
    dramatiq_worker.broker.flush_all()  # the delayed job is lost
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    sweep_unpaid_orders.send()
    dramatiq_worker.drain()

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
