"""Holds that run themselves: each hold's own expiry job, its one reminder, the owner's one extension."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import notices, tasks
from conversations.models import Message
from inventory.exceptions import HoldAlreadyExtended
from inventory.models import Item
from inventory.services import expire_hold, extend_hold, release_expired_holds, reserve_item
from philia.tests.factories import make_customer, make_item


def wait_until(condition, *, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def reminders(customer_id: str) -> list[str]:
    return list(
        Message.objects.filter(customer_id=customer_id, role=Message.Role.ASSISTANT).values_list("text", flat=True)
    )


# transaction=True: the hold's jobs are sent on commit and run by a real worker on Redis.
@pytest.mark.django_db(transaction=True)
def test_a_hold_is_put_back_on_sale_by_its_own_delayed_job_without_the_sweep(dramatiq_worker, settings):
    settings.HOLD_HOURS = 0.0005  # 1.8 seconds
    settings.HOLD_REMINDER_HOURS = 0
    make_item()

    reserve_item(sku="VNT-TEST-001", customer=make_customer())

    assert Item.objects.get().status == Item.Status.RESERVED
    assert wait_until(lambda: Item.objects.get().status == Item.Status.AVAILABLE)
    item = Item.objects.get()
    assert (item.held_by_id, item.held_until) == (None, None)


@pytest.mark.django_db(transaction=True)
def test_the_reminder_goes_out_once_before_the_hold_runs_out(dramatiq_worker, settings):
    settings.HOLD_HOURS = 0.01  # 36 seconds
    settings.HOLD_REMINDER_HOURS = 0.0095  # 34.2 seconds before: due after 1.8 seconds
    make_item()
    customer = make_customer(last_inbound_at=timezone.now())

    item = reserve_item(sku="VNT-TEST-001", customer=customer)

    assert wait_until(lambda: len(reminders("customer-1")) == 1)
    time.sleep(0.5)
    texts = reminders("customer-1")
    assert len(texts) == 1
    assert texts[0].startswith("Just a reminder: VNT-TEST-001 · Test Jacket · $45 is on hold for you until ")
    assert Item.objects.get().hold_reminded_at is not None
    # The job retried, or arriving twice, sends nothing more.
    tasks.remind_hold.fn(item.pk, item.held_until.isoformat())
    assert len(reminders("customer-1")) == 1


@pytest.mark.django_db
def test_expiry_job_of_a_hold_that_was_renewed_changes_nothing():
    customer = make_customer()
    make_item()
    now = timezone.now()
    first = reserve_item(sku="VNT-TEST-001", customer=customer, hours=1, now=now)
    first_until = first.held_until
    renewed = reserve_item(sku="VNT-TEST-001", customer=customer, hours=2, now=now + timedelta(minutes=30))

    expired = expire_hold(item_id=first.pk, held_until=first_until, now=first_until + timedelta(seconds=1))

    assert expired is False
    item = Item.objects.get()
    assert (item.status, item.held_by_id, item.held_until) == (Item.Status.RESERVED, "customer-1", renewed.held_until)


@pytest.mark.django_db
def test_expiry_job_of_a_hold_that_was_released_and_taken_again_changes_nothing():
    make_item()
    now = timezone.now()
    first = reserve_item(sku="VNT-TEST-001", customer=make_customer("first"), hours=1, now=now)
    Item.objects.filter(pk=first.pk).update(status=Item.Status.AVAILABLE, held_by=None, held_until=None)
    second = reserve_item(sku="VNT-TEST-001", customer=make_customer("second"), hours=3, now=now)

    assert expire_hold(item_id=first.pk, held_until=first.held_until, now=now + timedelta(hours=1, seconds=1)) is False

    assert Item.objects.get().held_by_id == "second"
    assert Item.objects.get().held_until == second.held_until


@pytest.mark.django_db
def test_expiry_job_puts_the_item_back_on_sale_when_its_hold_ran_out():
    make_item()
    now = timezone.now()
    held = reserve_item(sku="VNT-TEST-001", customer=make_customer(), hours=1, now=now)

    assert expire_hold(item_id=held.pk, held_until=held.held_until, now=held.held_until) is True
    assert expire_hold(item_id=held.pk, held_until=held.held_until, now=held.held_until) is False

    assert Item.objects.get().status == Item.Status.AVAILABLE


@pytest.mark.django_db
def test_expiry_job_early_does_nothing_and_the_sweep_still_catches_a_lost_job():
    make_item()
    now = timezone.now()
    held = reserve_item(sku="VNT-TEST-001", customer=make_customer(), hours=1, now=now)

    assert expire_hold(item_id=held.pk, held_until=held.held_until, now=now + timedelta(minutes=59)) is False
    assert Item.objects.get().status == Item.Status.RESERVED
    assert release_expired_holds(now=now + timedelta(hours=1)) == 1
    assert Item.objects.get().status == Item.Status.AVAILABLE


@pytest.mark.django_db
def test_reminder_is_sent_once_whatever_is_retried():
    make_item()
    customer = make_customer(last_inbound_at=timezone.now())
    held = reserve_item(sku="VNT-TEST-001", customer=customer)

    sent = [notices.remind_hold(item_id=held.pk, held_until=held.held_until) for _ in range(3)]

    assert sent == [True, False, False]
    assert len(reminders("customer-1")) == 1


@pytest.mark.parametrize(
    "customer_fields",
    [
        {"last_inbound_at": timezone.now() - timedelta(hours=49)},  # the 48-hour window has closed
        {"last_inbound_at": timezone.now(), "opted_out_at": timezone.now()},  # sent STOP
        {"last_inbound_at": None},
    ],
    ids=["window closed", "sent STOP", "never wrote"],
)
@pytest.mark.django_db
def test_no_reminder_when_the_customer_cannot_be_written_to(customer_fields):
    make_item()
    customer = make_customer(**customer_fields)
    held = reserve_item(sku="VNT-TEST-001", customer=customer)

    assert notices.remind_hold(item_id=held.pk, held_until=held.held_until) is False

    assert reminders("customer-1") == []
    assert Item.objects.get().hold_reminded_at is None


@pytest.mark.django_db
def test_no_reminder_for_a_hold_that_became_an_order():
    make_item()
    customer = make_customer(last_inbound_at=timezone.now())
    held = reserve_item(sku="VNT-TEST-001", customer=customer)
    Item.objects.filter(pk=held.pk).update(status=Item.Status.SOLD, held_by=None, held_until=None)

    assert notices.remind_hold(item_id=held.pk, held_until=held.held_until) is False
    assert reminders("customer-1") == []


@pytest.mark.django_db
def test_the_owner_extends_a_hold_once_by_hold_hours(settings):
    settings.HOLD_HOURS = 1.5
    make_item()
    now = timezone.now()
    held = reserve_item(sku="VNT-TEST-001", customer=make_customer(), now=now)

    extended = extend_hold(sku="vnt-test-001", now=now)

    assert extended.held_until == held.held_until + timedelta(minutes=90)
    with pytest.raises(HoldAlreadyExtended, match=r"^The hold on VNT-TEST-001 has already been extended once\.$"):
        extend_hold(sku="VNT-TEST-001", now=now)
    assert Item.objects.get().held_until == now + timedelta(hours=3)


@pytest.mark.django_db
def test_a_new_hold_can_be_extended_again():
    make_item()
    customer = make_customer()
    now = timezone.now()
    reserve_item(sku="VNT-TEST-001", customer=customer, hours=1, now=now)
    extend_hold(sku="VNT-TEST-001", now=now)
    Item.objects.update(status=Item.Status.AVAILABLE, held_by=None, held_until=None)

    reserve_item(sku="VNT-TEST-001", customer=customer, hours=1, now=now)
    extended = extend_hold(sku="VNT-TEST-001", hours=2, now=now)

    assert extended.held_until == now + timedelta(hours=3)
