"""Reads of the TikTok inbox."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, Q, QuerySet, Subquery

from tiktok.envelopes import RECEIVE_MESSAGE
from tiktok.models import WebhookEvent


def received_times(*, tiktok_message_ids: Iterable[str]) -> dict[str, datetime]:
    """When the webhook received each of these messages (by TikTok message id; unknown ids are left out)."""
    ids = list(tiktok_message_ids)
    rows = WebhookEvent.objects.filter(tiktok_message_id__in=ids).values_list("tiktok_message_id", "received_at")
    return dict(rows)


def inbound_events_waiting(*, received_up_to: datetime) -> bool:
    """Is a customer message the webhook received by then still waiting to be handled?"""
    return WebhookEvent.objects.filter(
        event=RECEIVE_MESSAGE, status=WebhookEvent.Status.RECEIVED, received_at__lte=received_up_to
    ).exists()


def waiting_events(*, up_to_event_id: int) -> QuerySet[WebhookEvent]:
    """The events of this event's conversation still waiting (`received`), up to and including it, in
    arrival order; none when the event itself is gone or no longer waiting. One query."""
    target = WebhookEvent.objects.filter(pk=up_to_event_id, status=WebhookEvent.Status.RECEIVED)
    same_conversation = Q(conversation_id__gt="", conversation_id=Subquery(target.values("conversation_id")[:1]))
    return (
        WebhookEvent.objects.filter(Exists(target), status=WebhookEvent.Status.RECEIVED, pk__lte=up_to_event_id)
        .filter(Q(pk=up_to_event_id) | same_conversation)
        .order_by("pk")
    )
