"""Helpers for the assistant's tests: the demo stock, customers, and one conversation turn.

`say()` stores the customer's message and the shop's reply the way the TikTok pipeline does (an
inbound row, then a queued assistant row in reply to it), so the assistant's memory ("the second
one") works exactly as in production.
"""

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from assistant.models import ToolCall
from assistant.services import Answer, answer
from conversations.models import Customer, Message
from inventory.models import Item
from orders.models import Offer, Order, OrderItem


def make_customer(user_id: str = "buyer-anna-id", username: str = "buyer_anna") -> Customer:
    return Customer.objects.create(
        tiktok_user_id=user_id, username=username, conversation_id=f"conv-{user_id}", last_inbound_at=timezone.now()
    )


def inbound(customer: Customer, text: str, *, content_type: str = "text") -> Message:
    return Message.objects.create(
        customer=customer,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text=text,
        content_type=content_type,
    )


def say(customer: Customer, text: str, *, content_type: str = "text") -> Answer | None:
    """One turn: the customer writes `text`, the assistant answers, the answer is queued as the pipeline does."""
    customer.refresh_from_db()
    message = inbound(customer, text, content_type=content_type)
    reply = answer(customer=customer, message=message)
    if reply is not None and reply.text.strip():  # an empty answer (a drop claim) is not sent
        Message.objects.create(
            customer=customer,
            role=Message.Role.ASSISTANT,
            direction=Message.Direction.OUTBOUND,
            state=Message.State.QUEUED,
            text=reply.text,
            in_reply_to=message,
            ai_model=reply.ai_model,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
    customer.refresh_from_db()
    return reply


def text_of(customer: Customer, text: str) -> str:
    reply = say(customer, text)
    assert reply is not None, f"no reply to {text!r}"
    return reply.text


def hold(item_sku: str, customer: Customer, *, hours: int = 24) -> Item:
    from inventory.services import reserve_item

    return reserve_item(sku=item_sku, customer=customer, hours=hours)


def status_of(sku: str) -> tuple[str, str | None]:
    item = Item.objects.get(sku=sku)
    return item.status, item.held_by_id


def shop_state() -> dict[str, Any]:
    """Everything a customer's message could change, to compare before and after."""
    return {
        "items": sorted(Item.objects.values_list("sku", "status", "held_by_id", "price")),
        "orders": sorted(Order.objects.values_list("pk", "customer_id", "status", "total")),
        "order_items": sorted(OrderItem.objects.values_list("order_id", "item_id", "price", "is_active")),
        "offers": sorted(Offer.objects.values_list("customer_id", "item_id", "amount", "status")),
        "customers": sorted(
            Customer.objects.values_list("pk", "bot_paused_until", "handoff_requested_at", "opted_out_at")
        ),
    }


def tool_calls_by_tool() -> dict[str, int]:
    return dict(ToolCall.objects.values_list("tool").annotate(count=Count("id")).values_list("tool", "count"))


def an_hour_ago() -> Any:
    return timezone.now() - timedelta(hours=1)
