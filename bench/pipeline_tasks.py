"""The baseline's worker for bench/pipeline.py: read the stored delivery, write a fixed reply, post it to TikTok
with the shop's own client, mark it sent. No assistant, no conversation mutex, no outbox rules or rate limit.
Imported by rundramatiq only under bench/pipeline_settings.py."""

import json

import dramatiq
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer, Message
from tiktok.client import TikTokClient
from tiktok.models import WebhookEvent

FIXED_REPLY = "Thanks for your message! We'll get back to you in a moment."


@dramatiq.actor(max_retries=0, time_limit=60_000)
def baseline_reply(event_id: int) -> None:
    event = WebhookEvent.objects.get(pk=event_id)
    content = json.loads(json.loads(event.raw_body)["content"])
    with transaction.atomic():
        customer, _ = Customer.objects.get_or_create(
            tiktok_user_id=content["from_user"]["id"],
            defaults={"username": content["from"], "conversation_id": content["conversation_id"]},
        )
        # The DM's id rides along in the text, so the bench can tell which DM each send answers.
        reply = Message.objects.create(
            customer=customer,
            role=Message.Role.ASSISTANT,
            direction=Message.Direction.OUTBOUND,
            state=Message.State.QUEUED,
            text=f"{FIXED_REPLY} [{content['message_id']}]",
        )
    sent_id = TikTokClient(access_token=settings.TIKTOK_ACCESS_TOKEN).send_text(
        business_id=settings.TIKTOK_BUSINESS_ID, conversation_id=content["conversation_id"], text=reply.text
    )
    now = timezone.now()
    Message.objects.filter(pk=reply.pk).update(state=Message.State.SENT, tiktok_message_id=sent_id, sent_at=now)
    WebhookEvent.objects.filter(pk=event_id).update(status=WebhookEvent.Status.DONE, processed_at=now)
