"""The design's rule "no slow call (OpenAI, TikTok) ever runs inside a transaction that holds a row lock",
checked from the outside: while the fake OpenAI / TikTok server is answering, another database connection
tries to lock the rows the pipeline touches (FOR UPDATE NOWAIT) and reads what is committed."""

import pytest
from django.db import OperationalError, connection, transaction

from assistant.services import answer
from conversations.intake import handle_conversation_events
from conversations.models import Customer, Message
from conversations.outbox import send_outbound_message
from conversations.services import queue_outbound_message
from testing.fake_openai import respond, text
from testing.tiktok import FakeTikTok, im_receive_msg_body, post_webhook, user_id_for
from tiktok.models import WebhookEvent

# transaction=True: the probe runs on the fake server's thread, on its own connection, so it must see
# committed rows and real locks.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def _probe(**querysets) -> dict[str, object]:
    """From this thread's own connection: which rows are locked right now, and their committed values."""
    seen: dict[str, object] = {}
    try:
        for name, queryset in querysets.items():
            try:
                with transaction.atomic():
                    rows = list(queryset.select_for_update(nowait=True))
                seen[name] = rows
            except OperationalError:
                seen[name] = "locked"
    finally:
        connection.close()
    return seen


def test_assistant_is_asked_while_no_row_of_the_conversation_is_locked(
    client, ai_settings, fake_openai, dramatiq_broker
) -> None:
    probes: list[dict[str, object]] = []

    def while_openai_answers(request):
        probes.append(
            _probe(
                customer=Customer.objects.values_list("pk", flat=True),
                inbound=Message.objects.filter(tiktok_message_id="slow-ai-1").values_list("text", flat=True),
                event=WebhookEvent.objects.values_list("status", flat=True),
            )
        )
        return text("Happy to help! What size are you?")

    fake_openai.script(respond(while_openai_answers))
    assert post_webhook(
        client, im_receive_msg_body("got any jackets for autumn?", user="anna", message_id="slow-ai-1")
    ).json() == {"status": "accepted"}

    handle_conversation_events(up_to_event_id=WebhookEvent.objects.get().pk, answer=answer)

    [seen] = probes
    assert seen["inbound"] == ["got any jackets for autumn?"]  # committed before OpenAI was asked
    assert seen["event"] == ["processing"]  # taken up (committed), not locked
    assert seen["customer"] == [user_id_for("anna")]  # not "locked"
    reply = Message.objects.get(in_reply_to__tiktok_message_id="slow-ai-1")
    assert (reply.text, reply.state) == ("Happy to help! What size are you?", "queued")
    assert WebhookEvent.objects.get().status == "done"


class ProbingFakeTikTok(FakeTikTok):
    """Looks at the database from its own connection before answering each send."""

    def __init__(self) -> None:
        super().__init__()
        self.probes: list[dict[str, object]] = []

    def _handle(self, handler) -> None:
        self.probes.append(
            _probe(
                customer=Customer.objects.values_list("pk", flat=True),
                message=Message.objects.filter(direction="outbound").values_list("state", "attempts"),
            )
        )
        super()._handle(handler)


def test_row_is_committed_in_sending_and_unlocked_before_tiktok_is_called(settings, dramatiq_broker):
    fake = ProbingFakeTikTok().start()
    settings.TIKTOK_API_BASE = fake.base_url
    try:
        customer = Customer.objects.create(tiktok_user_id="anna-id", conversation_id="conv-anna")
        Message.objects.create(customer=customer, role="user", direction="inbound", text="hi", tiktok_message_id="in-1")
        Customer.objects.filter(pk=customer.pk).update(last_inbound_at=Message.objects.get().created_at)
        message = queue_outbound_message(customer=customer, text="Hello!", role="staff")

        result = send_outbound_message(message_id=message.pk)
    finally:
        fake.stop()

    [seen] = fake.probes
    assert seen["message"] == [("sending", 1)]
    assert seen["customer"] == ["anna-id"]  # not "locked"
    assert result.state == "sent"
