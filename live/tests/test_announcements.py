"""A stream scheduled is announced once to each customer who asked to hear about lives (marketing consent, STOP
withdraws it) and wrote within TikTok's 48-hour window, through the outbox; nobody else hears anything."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Customer, Message
from live import announcements, services
from live.models import Announcement, Stream
from live.tasks import announce_stream
from philia.tests.factories import make_customer, make_item


def customer(name: str, *, consent: bool = True, wrote_ago: timedelta = timedelta(hours=1)) -> Customer:
    """`name`, who wrote `wrote_ago` (twice: no first-message quota) and gave marketing consent if `consent`."""
    now = timezone.now()
    made = make_customer(f"{name}-id", username=name, conversation_id=f"conv-{name}", last_inbound_at=now - wrote_ago)
    for number in range(2):
        Message.objects.create(
            customer=made,
            role=Message.Role.USER,
            direction=Message.Direction.INBOUND,
            text=f"hi {number}",
            tiktok_message_id=f"{name}-in-{number}",
            created_at=now - wrote_ago - timedelta(seconds=1 - number),
        )
    if consent:
        conversation_services.record_marketing_consent(customer=made, now=now - timedelta(days=3))
    return made


def schedule(title: str = "Friday finds", sku: str = "VNT-LIVE-001") -> Stream:
    if not Stream.objects.filter(pieces__item__sku=sku).exists():
        make_item(sku, name="Red Varsity Jacket", price="120.00")
    return services.schedule_stream(title=title, skus=[sku], at=timezone.now() + timedelta(hours=2))


def announced_to() -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(direction="outbound")
        .order_by("customer__username")
        .values_list("customer__username", "text")
    )


# transaction=True: the job is sent when the stream commits and runs on the real worker, sending to the fake TikTok.
@pytest.mark.django_db(transaction=True)
def test_only_a_consenting_customer_within_the_window_is_announced_once_through_tiktok(
    tiktok_settings, fake_tiktok, dramatiq_worker
):
    customer("anna")
    customer("ben", consent=False)
    conversation_services.opt_out(customer=customer("cleo"))  # STOP after consenting
    customer("dan", wrote_ago=timedelta(hours=49))  # outside TikTok's window

    stream = schedule()
    dramatiq_worker.drain()
    announce_stream.send(stream.pk)  # the job again (a retry, a second enqueue)
    dramatiq_worker.drain()

    local = timezone.localtime(stream.scheduled_at)
    text = (
        f"We go live at {local:%a %d %b, %H:%M} {local.tzname()}: Friday finds! "
        'DM "mine" while a piece is on screen to claim it.'
    )
    assert [(send["recipient"], send["text"]["body"]) for send in fake_tiktok.sends] == [("conv-anna", text)]
    assert list(Message.objects.filter(direction="outbound").values_list("customer_id", "state")) == [
        ("anna-id", "sent")
    ]
    assert list(Announcement.objects.values_list("stream_id", "customer_id")) == [(stream.pk, "anna-id")]


@pytest.mark.django_db
def test_announcing_again_tells_nobody_twice_and_each_stream_is_announced_once():
    customer("anna")
    first = schedule("Friday finds")
    second = schedule("Sunday finds", sku="VNT-LIVE-002")

    told = [announcements.announce_stream(stream_id=stream.pk) for stream in (first, first, second, second)]

    assert told == [1, 0, 1, 0]
    assert [text.split("!")[0].split(": ")[1] for _, text in announced_to()] == ["Friday finds", "Sunday finds"]


@pytest.mark.django_db
def test_a_stream_called_off_or_gone_is_announced_to_nobody():
    customer("anna")
    stream = schedule()
    services.end_stream(stream_id=stream.pk)

    assert announcements.announce_stream(stream_id=stream.pk) == 0
    assert announcements.announce_stream(stream_id=stream.pk + 1000) == 0
    assert announced_to() == []


@pytest.mark.django_db
def test_a_stream_already_live_is_announced_as_live_now():
    customer("anna")
    stream = services.start_stream(stream_id=schedule().pk)

    announcements.announce_stream(stream_id=stream.pk)

    assert announced_to() == [
        ("anna", 'We\'re live now on TikTok: Friday finds! DM "mine" while a piece is on screen to claim it.')
    ]


@pytest.mark.django_db
def test_stop_withdraws_consent_and_start_does_not_give_it_back():
    anna = customer("anna")
    assert (anna.marketing_consent, anna.marketing_consent_at is not None) == (True, True)

    conversation_services.opt_out(customer=anna)
    conversation_services.opt_in(customer=anna)

    anna.refresh_from_db()
    assert (anna.marketing_consent, anna.opted_out_at) == (False, None)
    assert announcements.announce_stream(stream_id=schedule().pk) == 0
