"""Winning pieces in a live stream as the pipeline does it: a viewer's "mine" answered, its piece settled."""

from datetime import datetime

from assistant import notices as assistant_notices
from assistant.services import answer
from assistant.tests.assistant_support import make_customer
from conversations.models import Customer, Message
from inventory.models import DropItem


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
