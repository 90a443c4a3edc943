"""Rows for tests to start from. Tests set up states directly; the code under test goes through services."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item


def make_customer(tiktok_user_id: str = "customer-1", *, username: str = "", **fields: Any) -> Customer:
    return Customer.objects.create(tiktok_user_id=tiktok_user_id, username=username or tiktok_user_id, **fields)


def make_customer_who_wrote(*, messages: int = 2, wrote_ago: timedelta = timedelta(minutes=1)) -> Customer:
    """Anna, in conversation "conv-anna", who has written `messages` times ("message 0", ...; TikTok ids "in-0",
    ...) a second apart, the last `wrote_ago`."""
    now = timezone.now()
    customer = make_customer(
        "buyer-anna-id", username="buyer_anna", conversation_id="conv-anna", last_inbound_at=now - wrote_ago
    )
    for number in range(messages):
        Message.objects.create(
            customer=customer,
            role="user",
            direction="inbound",
            text=f"message {number}",
            tiktok_message_id=f"in-{number}",
            created_at=now - wrote_ago - timedelta(seconds=messages - number - 1),
        )
    return customer


def make_item(
    sku: str = "VNT-TEST-001",
    *,
    name: str = "Test Jacket",
    price: Decimal | str = "45.00",
    held_by: Customer | None = None,
    held_until: datetime | None = None,
    **fields: Any,
) -> Item:
    """An item on sale, or held when `held_by` and `held_until` are given."""
    if held_by is not None:
        fields["status"] = Item.Status.RESERVED
    return Item.objects.create(
        sku=sku, name=name, price=Decimal(price), held_by=held_by, held_until=held_until, **fields
    )


def aged(item: Item, days: float) -> Item:
    """`item` as if put on sale `days` ago (`created_at` is set on creation, so after it)."""
    Item.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=days))
    item.refresh_from_db()
    return item
