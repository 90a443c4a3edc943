"""One turn per burst: a customer's bubbles that wait together are answered in one reply, each request acted on in
order (`conversations.intake` gathers them, `assistant.bursts` reads them as requests)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assistant import wording
from assistant.services import answer
from assistant.tasks import handle_event
from conversations import intake
from conversations.intake import handle_conversation_events
from conversations.models import Customer, Message
from inventory.models import Item
from testing import fake_openai as openai_replies
from testing.tiktok import im_receive_msg_body, im_send_msg_body, post_webhook, user_id_for
from tiktok.models import WebhookEvent
from tiktok.services import conversation_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker", "stock")]


def write(client: Any, *texts: str, user: str = "anna", start: int = 0) -> list[WebhookEvent]:
    """The customer's bubbles, delivered to the webhook one after the other (not handled yet)."""
    for number, text in enumerate(texts, start=start):
        body = im_receive_msg_body(text, user=user, message_id=f"{user}-{number}")
        assert post_webhook(client, body).json() == {"status": "accepted"}
    return list(WebhookEvent.objects.filter(tiktok_message_id__startswith=f"{user}-").order_by("pk"))


def handle(events: list[WebhookEvent], answerer: Any = answer) -> int:
    return handle_conversation_events(up_to_event_id=events[0].pk, answer=answerer)


def replies() -> list[Message]:
    return list(Message.objects.filter(role=Message.Role.ASSISTANT).order_by("pk"))


def test_bubbles_of_one_search_get_one_reply_that_reads_them_together(client: Any) -> None:
    events = write(client, "hi", "got any nike jackets?", "in L")

    assert handle(events) == 3

    (reply,) = replies()
    assert reply.in_reply_to is not None and reply.in_reply_to.tiktok_message_id == "anna-2"
    assert "VNT-NIKE-WB-001" in reply.text  # the Nike jacket in L
    assert "VNT-CARH-DJ-002" not in reply.text  # a jacket in L, but not Nike: the bubbles were one search
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_hold_and_a_question_in_one_burst_both_happen_in_order(client: Any) -> None:
    events = write(client, "hold VNT-CARH-DJ-002 for me", "where is my order?")

    handle(events)

    customer = Customer.objects.get(pk=user_id_for("anna"))
    assert Item.objects.get(sku="VNT-CARH-DJ-002").held_by == customer
    (reply,) = replies()
    hold_at = reply.text.index("VNT-CARH-DJ-002")
    assert "order" in reply.text[hold_at:].lower()  # the hold is told first, then the answer about orders


def test_stop_in_a_burst_wins_over_what_follows_it(client: Any) -> None:
    events = write(client, "hold VNT-CARH-DJ-002", "STOP", "hold VNT-LEVI-501-003")

    handle(events)

    customer = Customer.objects.get(pk=user_id_for("anna"))
    assert customer.opted_out_at is not None
    assert Item.objects.get(sku="VNT-CARH-DJ-002").held_by == customer  # before STOP: done
    assert Item.objects.get(sku="VNT-LEVI-501-003").held_by is None  # after STOP: not acted on
    (reply,) = replies()
    assert reply.text.endswith(wording.STOP)
    assert "VNT-LEVI-501-003" not in reply.text


def test_the_owner_writing_in_the_app_during_a_burst_keeps_the_bot_silent_for_all_of_it(client: Any) -> None:
    write(client, "hi", "got any nike jackets?")
    post_webhook(client, im_send_msg_body("Hi Anna, Sofia here, one sec", user="anna", message_id="owner-1"))
    events = write(client, "ok thanks", "in L?", start=2)

    handle(events)

    assert replies() == []
    assert Message.objects.filter(role=Message.Role.STAFF, tiktok_message_id="owner-1").exists()
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 4
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_repeated_delivery_in_a_burst_is_counted_once(client: Any) -> None:
    events = write(client, "hi", "got any nike jackets?")
    post_webhook(client, im_receive_msg_body("got any nike jackets?", user="anna", message_id="anna-1"))
    seen: list[int] = []

    def answering(*, customer: Customer, message: Message, earlier: Any = ()) -> Any:
        seen.append(len(earlier) + 1)
        return answer(customer=customer, message=message, earlier=earlier)

    handle(events, answering)

    assert WebhookEvent.objects.count() == 2
    assert seen == [2]
    assert len(replies()) == 1


def test_a_bubble_that_comes_while_the_burst_is_answered_joins_the_turn_and_nothing_is_done_twice(client: Any) -> None:
    events = write(client, "hold VNT-CARH-DJ-002")
    calls: list[list[str]] = []

    def answering(*, customer: Customer, message: Message, earlier: Any = ()) -> Any:
        calls.append([bubble.text for bubble in [*earlier, message]])
        if len(calls) == 1:  # the customer writes again while the first bubble is being answered
            write(client, "and VNT-LEVI-501-003 too", start=1)
        return answer(customer=customer, message=message, earlier=earlier)

    handle(events, answering)

    assert calls == [["hold VNT-CARH-DJ-002"], ["hold VNT-CARH-DJ-002", "and VNT-LEVI-501-003 too"]]
    (reply,) = replies()
    assert reply.in_reply_to is not None and reply.in_reply_to.tiktok_message_id == "anna-1"
    customer = Customer.objects.get(pk=user_id_for("anna"))
    assert Item.objects.get(sku="VNT-CARH-DJ-002").held_by == customer
    # The first bubble's hold ran once: the second answer replayed it.
    from assistant.models import ToolCall

    assert ToolCall.objects.filter(tool="hold_item", arguments__sku="VNT-CARH-DJ-002").count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_flood_of_a_thousand_bubbles_is_recorded_and_answered_by_its_latest_requests(client: Any) -> None:
    texts = [f"hello {number}" for number in range(999)] + ["got any nike jackets in L?"]
    events = write(client, *texts)
    sizes: list[int] = []

    def answering(*, customer: Customer, message: Message, earlier: Any = ()) -> Any:
        sizes.append(len(earlier) + 1)
        return answer(customer=customer, message=message, earlier=earlier)

    handle(events, answering)

    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1000
    assert sizes == [intake.MAX_TURN_BUBBLES]
    (reply,) = replies()
    assert "VNT-NIKE-WB-001" in reply.text
    assert WebhookEvent.objects.filter(status="done").count() == 1000


def test_with_coalesce_seconds_a_fresh_bubble_waits_for_more_and_an_idle_one_does_not(
    client: Any, settings: Any
) -> None:
    settings.COALESCE_SECONDS = 30
    (event,) = write(client, "hi")

    handle_event.fn(event.pk, conversation_key(event=event))
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 0  # waiting for more bubbles

    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(seconds=31))
    handle_event.fn(event.pk, conversation_key(event=event))
    assert len(replies()) == 1


def test_without_coalesce_seconds_the_first_message_is_answered_at_once(client: Any) -> None:
    (event,) = write(client, "hi")

    handle_event.fn(event.pk, conversation_key(event=event))

    assert len(replies()) == 1


def test_the_ai_gets_a_burst_as_one_user_turn(client: Any, ai_settings: Any, fake_openai: Any) -> None:
    fake_openai.script(openai_replies.text("We have a Nike windbreaker in L!"))
    events = write(client, "hi", "got any nike jackets?", "in L")

    handle(events)

    (request,) = fake_openai.requests
    from_customer = [message["content"] for message in request["messages"] if message["role"] == "user"]
    assert from_customer == ["<customer_message>hi\ngot any nike jackets?\nin L</customer_message>"]
    (reply,) = replies()
    assert reply.text == "We have a Nike windbreaker in L!"
    assert reply.in_reply_to is not None and reply.in_reply_to.tiktok_message_id == "anna-2"
