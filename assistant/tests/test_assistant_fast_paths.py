"""The deterministic answers that run before any AI: STOP/START, a person, order status, SKU mentions."""

from datetime import timedelta

from django.utils import timezone

from assistant import wording
from assistant.services import answer
from assistant.tests.assistant_support import hold, inbound, say, status_of, text_of
from conversations.models import Message
from orders.services import mark_paid, mark_shipped, place_order


def test_stop_opts_the_customer_out_and_is_confirmed_once(anna):
    reply = say(anna, "STOP")

    assert reply is not None and reply.text == wording.STOP
    assert reply.source == "fast_path"
    assert anna.opted_out_at is not None


def test_after_stop_nothing_automated_is_answered(stock, anna):
    say(anna, "stop")

    for text in ("hi", "VNT-NIKE-WB-001", "where is my order?", "can I talk to a person?", "stop"):
        assert say(anna, text) is None
    assert status_of("VNT-NIKE-WB-001") == ("available", None)


def test_start_opts_back_in(stock, anna):
    say(anna, "Stop.")

    reply = say(anna, "START")

    assert reply is not None and reply.text == wording.START
    assert anna.opted_out_at is None
    assert "VNT-NIKE-WB-001" in text_of(anna, "VNT-NIKE-WB-001")


def test_stop_inside_a_sentence_is_not_an_opt_out(stock, anna):
    say(anna, "can you stop holding the nike for me")

    assert anna.opted_out_at is None


def test_asking_for_a_person_pauses_the_bot_and_flags_the_conversation(anna):
    reply = say(anna, "can I talk to a real person?")

    assert reply is not None and reply.text == wording.HANDOFF
    assert anna.handoff_requested_at is not None
    assert anna.is_bot_paused()
    assert anna.bot_paused_until > timezone.now() + timedelta(days=365)


def test_while_the_bot_is_paused_the_assistant_says_nothing(anna):
    say(anna, "human please")

    assert say(anna, "hello?") is None


def test_non_text_messages_get_the_text_only_reply(anna):
    reply = say(anna, "", content_type="image")

    assert reply is not None and reply.text == wording.TEXT_ONLY


def test_order_status_with_no_orders(anna):
    assert text_of(anna, "where is my order??") == (
        "I can't find any orders for you yet. Once you buy something, you can ask me about it here."
    )


def test_order_status_lists_each_order_with_its_state_and_tracking(stock, anna, settings):
    hold("VNT-NIKE-WB-001", anna)
    first = place_order(customer=anna)
    mark_paid(order=first)
    mark_shipped(order=first, tracking_number="1Z999AA10123456784")
    hold("VNT-LEVI-501-003", anna)
    second = place_order(customer=anna)

    text = text_of(anna, "did you ship it yet?")

    assert text.splitlines() == [
        f"Order #{second.pk} · 1 item · $58 · awaiting payment",
        f"Order #{first.pk} · 1 item · $45 · shipped (tracking number 1Z999AA10123456784)",
        settings.PAYMENT_INSTRUCTIONS,
    ]


def test_a_sku_alone_shows_the_item_card(stock, anna):
    reply = say(anna, "vnt-nike-wb-001")

    assert reply is not None and reply.source == "fast_path"
    assert reply.text.splitlines()[0] == "VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45"
    assert 'Measurements (flat, inches): pit to pit 24.5", length 28", sleeve 25.5".' in reply.text or (
        'pit to pit 24.5"' in reply.text and 'length 28"' in reply.text
    )
    assert "Condition: very good." in reply.text
    assert "Available!" in reply.text


def test_reserve_by_sku_holds_it_and_says_until_when_and_how_to_pay(stock, anna, settings):
    reply = say(anna, "reserve VNT-NIKE-WB-001 pls")

    item_status, holder = status_of("VNT-NIKE-WB-001")
    assert (item_status, holder) == ("reserved", anna.pk)
    assert reply.text.startswith("Done! VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45 is on hold for you until ")
    assert "(24 hours)" in reply.text
    assert settings.PAYMENT_INSTRUCTIONS in reply.text


def test_an_unknown_sku_is_said_to_be_unknown(stock, anna):
    assert text_of(anna, "is VNT-NOPE-XX-999 available?").startswith("I couldn't find VNT-NOPE-XX-999 in the shop.")


def test_a_hidden_item_is_treated_as_unknown(stock, anna):
    from inventory.services import hide_item

    hide_item(sku="VNT-BURB-TREN-016")

    assert text_of(anna, "VNT-BURB-TREN-016").startswith("I couldn't find VNT-BURB-TREN-016")


def test_the_same_message_answered_twice_holds_once(stock, anna):
    message = inbound(anna, "I'll take VNT-NIKE-WB-001")

    first = answer(customer=anna, message=message)
    second = answer(customer=anna, message=message)

    assert first.text == second.text
    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)
    assert Message.objects.get(pk=message.pk).tool_calls.count() == 1
