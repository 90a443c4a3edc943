"""Reads of the TikTok inbox."""

from collections.abc import Iterable
from datetime import datetime

from philia.inbox import not_finished
from tiktok.envelopes import RECEIVE_MESSAGE
from tiktok.models import WebhookEvent


def received_times(*, tiktok_message_ids: Iterable[str]) -> dict[str, datetime]:
    """When the webhook received each of these messages (by TikTok message id; unknown ids are left out)."""
    ids = list(tiktok_message_ids)
    rows = WebhookEvent.objects.filter(tiktok_message_id__in=ids).values_list("tiktok_message_id", "received_at")
    return {message_id: received for message_id, received in rows if message_id is not None}


def inbound_events_waiting(*, received_up_to: datetime) -> bool:
    """Is a customer message the webhook received by then still to be handled (waiting, being handled, or failed
    with another try to come)?"""
    return WebhookEvent.objects.filter(not_finished(), event=RECEIVE_MESSAGE, received_at__lte=received_up_to).exists()


def latest_waiting_message(*, conversation_id: str) -> tuple[int, datetime] | None:
    """The id and receipt time of the conversation's newest customer message still waiting to be handled."""
    if not conversation_id:
        return None
    return (
        WebhookEvent.objects.filter(
            conversation_id=conversation_id, event=RECEIVE_MESSAGE, status=WebhookEvent.Status.RECEIVED
        )
        .order_by("-pk")
        .values_list("pk", "received_at")
        .first()
    )
