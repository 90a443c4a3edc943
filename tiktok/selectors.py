"""Reads of the TikTok inbox."""

from django.db.models import QuerySet

from tiktok.models import WebhookEvent


def waiting_events(*, up_to_event_id: int) -> QuerySet[WebhookEvent]:
    """The events of this event's conversation still waiting (`received`), up to and including it, in
    arrival order; none when the event itself is gone or no longer waiting."""
    target = WebhookEvent.objects.filter(pk=up_to_event_id).only("pk", "conversation_id", "status").first()
    if target is None or target.status != WebhookEvent.Status.RECEIVED:
        return WebhookEvent.objects.none()
    waiting = WebhookEvent.objects.filter(pk=target.pk)
    if target.conversation_id:
        waiting = WebhookEvent.objects.filter(conversation_id=target.conversation_id, pk__lte=target.pk)
    return waiting.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk")
