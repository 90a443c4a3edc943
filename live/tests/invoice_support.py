"""Winning pieces in a live stream as the pipeline does it: a viewer's "mine" answered, its piece settled."""

from datetime import datetime, timedelta

from django.utils import timezone

from assistant import notices as assistant_notices
from assistant.services import answer
from assistant.tests.assistant_support import make_customer
from conversations.models import Customer, Message
from inventory.models import DropItem
from live import services
from live.models import Stream
from philia.tests.factories import make_item


def viewer(name: str) -> Customer:
    return make_customer(f"{name}-id", name)


def claim(customer: Customer, *, at: datetime) -> None:
    """The customer writes "mine" at TikTok time `at`, answered as the pipeline does."""
    message = Message.objects.create(
        customer=customer,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text="mine",
        tiktok_message_id=f"{customer.pk}-{at.timestamp()}",
        created_at=at,
    )
    answer(customer=customer, message=message)


def settle(sku: str) -> None:
    drop_item = DropItem.objects.get(item__sku=sku, settled_at__isnull=True)
    assistant_notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})


def end_friday_live() -> Stream:
    """Friday live, ended: anna won lots 1 and 3, ben lot 2; cleo claimed lot 1 after anna and is first in its line."""
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00", size_label="L")
    make_item("VNT-LIVE-002", name="Levi's 550 Jeans", price="60.00", size_label="32")
    make_item("VNT-LIVE-003", name="Black Bomber", price="90.00", size_label="M")
    stream = services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"])
    services.start_stream(stream_id=stream.pk)
    anna, ben, cleo = viewer("anna"), viewer("ben"), viewer("cleo")
    start = timezone.now() - timedelta(minutes=1)
    for number, (sku, claimants) in enumerate(
        [("VNT-LIVE-001", [anna, cleo]), ("VNT-LIVE-002", [ben]), ("VNT-LIVE-003", [anna])]
    ):
        shown = services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=10 * number))
        for place, customer in enumerate(claimants, 1):
            claim(customer, at=shown.span.shown_from + timedelta(seconds=place))
        settle(sku)
    return services.end_stream(stream_id=stream.pk)
