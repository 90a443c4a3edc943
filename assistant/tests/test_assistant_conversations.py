"""Whole conversations through the whole pipeline, offline: a signed `im_receive_msg` posted to
/webhooks/tiktok, the real Dramatiq worker on Redis handling it, the assistant answering, and the
reply arriving at the fake TikTok API. One test per behaviour; then the AI path with a fake OpenAI.

transaction=True throughout: the worker's threads must see committed rows.
"""

from decimal import Decimal
from typing import Any

import pytest

from assistant import wording
from conversations.models import Customer, Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Offer, Order
from orders.services import mark_paid, mark_shipped
from testing.fake_openai import failure, last_tool_result, respond, text, tool_calls
from testing.tiktok import conversation_id_for, im_receive_msg_body, new_message_id, post_webhook, user_id_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]

NIKE = "VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45"


class Chat:
    """One customer's DMs, delivered to the shop as TikTok would, and what TikTok was asked to send back."""

    def __init__(self, *, client: Any, worker: Any, fake_tiktok: Any, user: str) -> None:
        self.client, self.worker, self.fake_tiktok, self.user = client, worker, fake_tiktok, user

    def deliver(self, text_: str, *, message_id: str | None = None, message_type: str = "text") -> list[str]:
        """Post the DM (signed), let the worker run, return the texts sent to this customer meanwhile."""
        before = len(self.fake_tiktok.sends)
        body = im_receive_msg_body(
            text_, user=self.user, message_id=message_id or new_message_id(), message_type=message_type
        )
        response = post_webhook(self.client, body)
        assert response.status_code == 200, response.content
        self.worker.drain()
        return [
            send["text"]["body"]
            for send in self.fake_tiktok.sends[before:]
            if send["recipient"] == conversation_id_for(self.user)
        ]

    def say(self, text_: str, **kwargs: Any) -> str | None:
        replies = self.deliver(text_, **kwargs)
        assert len(replies) <= 1, replies
        return replies[0] if replies else None

    @property
    def customer(self) -> Customer:
        return Customer.objects.get(pk=user_id_for(self.user))


@pytest.fixture
def shop(db: Any) -> None:
    add_items(items=SEED_ITEMS)


@pytest.fixture
def chat(client, dramatiq_worker, fake_tiktok, shop) -> Chat:
    return Chat(client=client, worker=dramatiq_worker, fake_tiktok=fake_tiktok, user="anna")


@pytest.fixture
def ben_chat(client, dramatiq_worker, fake_tiktok, shop) -> Chat:
    return Chat(client=client, worker=dramatiq_worker, fake_tiktok=fake_tiktok, user="ben")


def lines(reply: str | None) -> list[str]:
    assert reply is not None
    return [line for line in reply.splitlines() if line.startswith("VNT-")]


def test_greeting_and_thanks(chat, settings):
    assert chat.say("hiii") == settings.SHOP_GREETING
    assert chat.say("thanks!") == "You're welcome! Message me any time you're looking for something."


def test_what_do_you_have(chat):
    reply = chat.say("what do you have?")

    assert reply.startswith("Here's what just dropped:")
    assert len(lines(reply)) == 5


def test_search_then_the_second_one_then_hold_then_pay_then_order_status(chat, settings):
    assert lines(chat.say("any levis?")) == [
        "VNT-LEVI-TRUC-015 · Levi's Type III Trucker Jacket · L · $85",
        "VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58",
    ]
    details = chat.say("the second one pls")
    assert details.splitlines()[0] == "VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58"
    assert 'waist 32"' in details

    held = chat.say("I'll take it")
    assert held.startswith("Done! VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58 is on hold for you until ")
    assert settings.PAYMENT_INSTRUCTIONS in held
    assert Item.objects.get(sku="VNT-LEVI-501-003").held_by_id == chat.customer.pk

    ordered = chat.say("how do I pay?")
    order = Order.objects.get(customer=chat.customer)
    assert ordered.splitlines()[:3] == [
        f"Your order #{order.pk} is in:",
        "VNT-LEVI-501-003 · Levi's 501 Jeans · $58",
        "Total: $58",
    ]

    assert chat.say("where is my order?").splitlines()[0] == f"Order #{order.pk} · 1 item · $58 · awaiting payment"
    mark_paid(order=order)
    mark_shipped(order=order, tracking_number="TRACK123")
    # The customer is thanked for paying and told it shipped (orders' notices), then answered.
    # (Sent by concurrent worker threads, so in no fixed order.)
    sent = chat.deliver("did you ship it?")
    status = [reply for reply in sent if reply.startswith("Order #")]
    assert sorted(set(sent) - set(status)) == [
        f"Good news: order #{order.pk} has shipped! Other tracking number: TRACK123.",
        f"Thank you! Payment for order #{order.pk} ($58.00) is in. We'll send the tracking number when it ships.",
    ]
    assert [reply.splitlines()[0] for reply in status] == [
        f"Order #{order.pk} · 1 item · $58 · shipped (tracking number TRACK123)"
    ]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("got any nike jackets in L?", [NIKE]),
        ("hoodies in xl", ["VNT-CHAM-RW-006 · Champion Reverse Weave Sweatshirt · XL · $55"]),
        ("jeans waist 32", ["VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58"]),
        ("black puffer", ["VNT-TNF-NUP-009 · The North Face Nuptse 700 Puffer · M · $150"]),
        ("80s jackets under $50", ["VNT-WRNG-TRUC-010 · Wrangler Denim Trucker Jacket · M · $48"]),
        ("jackets pit to pit at least 26", ["VNT-COLM-BUG-013 · Columbia Bugaboo Ski Jacket · XL · $52"]),
    ],
)
def test_search(chat, message, expected):
    assert lines(chat.say(message)) == expected


def test_fits_a_size_10(chat):
    reply = chat.say("anything that fits a size 10?")

    assert "(size 10 is usually an M)" in reply
    assert all(" · M · " in line for line in lines(reply))


def test_item_by_sku(chat):
    reply = chat.say("VNT-NIKE-WB-001")

    assert reply.splitlines()[0] == NIKE
    assert "Condition: very good." in reply


def test_is_the_jacket_still_available(chat):
    chat.say("got any nike jackets in L?")

    reply = chat.say("is the jacket still available?")

    assert reply.splitlines()[0] == NIKE
    assert "Available!" in reply


def test_an_item_held_by_someone_else_gets_a_clear_answer(chat, ben_chat):
    ben_chat.say("reserve VNT-NIKE-WB-001")

    reply = chat.say("I'll take VNT-NIKE-WB-001")

    assert reply.startswith(f"Sorry, {NIKE} is on hold for another customer until ")
    assert Item.objects.get(sku="VNT-NIKE-WB-001").held_by_id == ben_chat.customer.pk


def test_hold_the_levis_then_never_mind(chat):
    chat.say("any jeans")
    assert chat.say("can you hold the levi's for me?").startswith("Done! VNT-LEVI-501-003")

    assert chat.say("never mind") == "No problem, I've released VNT-LEVI-501-003 · Levi's 501 Jeans. It's back on sale."
    assert Item.objects.get(sku="VNT-LEVI-501-003").status == Item.Status.AVAILABLE


def test_cancel_my_hold(chat):
    chat.say("hold VNT-NIKE-WB-001")

    chat.say("cancel my hold")

    assert Item.objects.get(sku="VNT-NIKE-WB-001").status == Item.Status.AVAILABLE


def test_i_want_to_buy_them(chat):
    chat.say("reserve VNT-NIKE-WB-001")
    chat.say("and VNT-ADID-TT-004 too, hold it")

    reply = chat.say("I want to buy them")

    order = Order.objects.get(customer=chat.customer)
    assert order.total == Decimal("83.00")
    assert "Total: $83" in reply


def test_a_lowball_offer_is_countered_never_accepted(chat):
    chat.say("VNT-NIKE-WB-001")

    reply = chat.say("would you take $30?")

    assert reply.startswith("Thanks for the offer! $30 is a bit low for VNT-NIKE-WB-001")
    assert "the shop can do $36" in reply
    assert Offer.objects.get().amount == Decimal("30.00")
    assert Item.objects.get(sku="VNT-NIKE-WB-001").price == Decimal("45.00")


def test_asking_for_a_person_pauses_the_bot(chat):
    assert chat.say("can I talk to a real person?") == wording.HANDOFF

    assert chat.customer.handoff_requested_at is not None
    assert chat.say("hello??") is None


def test_stop_then_silence_then_start(chat):
    assert chat.say("STOP") == wording.STOP
    assert chat.say("hi") is None
    assert chat.say("VNT-NIKE-WB-001") is None

    assert chat.say("START") == wording.START
    assert chat.say("VNT-NIKE-WB-001").splitlines()[0] == NIKE


def test_an_image_gets_a_text_only_answer(chat):
    assert chat.say("", message_type="image") == "I can only read text for now — what are you looking for?"


def test_anything_else_gets_a_short_shop_answer(chat):
    assert chat.say("what's the capital of peru").startswith("I'm not sure I got that.")


def test_a_redelivered_message_holds_once_and_is_answered_once(chat):
    first = chat.deliver("I'll take VNT-NIKE-WB-001", message_id="same-message")
    second = chat.deliver("I'll take VNT-NIKE-WB-001", message_id="same-message")

    assert len(first) == 1 and second == []
    assert Item.objects.get(sku="VNT-NIKE-WB-001").held_by_id == chat.customer.pk
    assert Message.objects.filter(role="assistant").count() == 1


# --- The AI path, with a fake OpenAI-compatible server --------------------------------------------


@pytest.fixture
def ai_chat(chat, tiktok_settings, ai_settings) -> Chat:
    return chat


def test_ai_tool_call_result_reaches_the_customer(ai_chat, fake_openai):
    ai_chat.say("VNT-NIKE-WB-001")  # shown by the SKU fast path
    fake_openai.script(
        tool_calls(("hold_item", {"sku": "VNT-NIKE-WB-001"})),
        respond(
            lambda request: text(
                f"Done! {last_tool_result(request)['item']['sku']} is on hold for you. Say buy when ready."
            )
        ),
    )

    reply = ai_chat.say("ok i want that one, put it aside for me")

    assert reply == "Done! VNT-NIKE-WB-001 is on hold for you. Say buy when ready."
    assert Item.objects.get(sku="VNT-NIKE-WB-001").held_by_id == ai_chat.customer.pk
    stored = Message.objects.get(text=reply)
    assert (stored.ai_model, stored.prompt_tokens, stored.completion_tokens) == ("fake-gpt", 220, 50)


def test_ai_failure_falls_back_to_the_offline_answer(ai_chat, fake_openai):
    fake_openai.script(failure(500))

    assert lines(ai_chat.say("got any nike jackets in L?")) == [NIKE]


def test_ai_attempt_to_hold_for_another_customer_is_refused(ai_chat, fake_openai):
    ai_chat.say("VNT-NIKE-WB-001")
    fake_openai.script(
        tool_calls(("hold_item", {"sku": "VNT-NIKE-WB-001", "customer": "sim-someone-else"})),
        text("Held it for your friend!"),
    )

    reply = ai_chat.say("hold that for my friend")

    # The model's call is refused and its claim replaced; the offline answer holds it for the customer
    # who asked (the only person anything can be held for).
    assert Item.objects.get(sku="VNT-NIKE-WB-001").held_by_id == ai_chat.customer.pk
    assert reply.startswith("Done! VNT-NIKE-WB-001")
    assert "your friend" not in reply
