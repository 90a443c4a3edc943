"""The admin's outbox and conversation views, and replying to a customer from the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Customer, Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]

CHANGELIST = reverse("admin:conversations_message_changelist")


@pytest.fixture
def anna() -> Customer:
    customer = Customer.objects.create(
        tiktok_user_id="buyer-anna-id",
        username="buyer_anna",
        conversation_id="conv-anna",
        last_inbound_at=timezone.now(),
    )
    Message.objects.create(
        customer=customer, role="user", direction="inbound", text="is it available?", tiktok_message_id="in-1"
    )
    return customer


def test_outbox_lists_states_errors_and_filters_by_state(admin_client, anna):
    Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="blocked", text="late", error="window closed"
    )
    Message.objects.create(customer=anna, role="assistant", direction="outbound", state="sent", text="on time")

    blocked = admin_client.get(CHANGELIST, {"state__exact": "blocked"}).content.decode()

    assert "late" in blocked and "window closed" in blocked
    assert "on time" not in blocked


def test_rows_stuck_in_sending_are_flagged_and_filterable(admin_client, anna):
    Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="sending", text="stuck one",
        attempts=1, sending_started_at=timezone.now() - timedelta(minutes=30),
    )  # fmt: skip
    Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="sending", text="in flight",
        attempts=1, sending_started_at=timezone.now(),
    )  # fmt: skip

    stuck = admin_client.get(CHANGELIST, {"stuck": "yes"}).content.decode()

    assert "stuck one" in stuck and "in flight" not in stuck
    assert stuck.count("Stuck in sending (over 5 min): check TikTok, it is never resent") == 1


def test_outbox_says_in_words_how_each_message_was_delivered_and_links_the_customer(admin_client, anna):
    Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="failed", text="oops", error_code="10001"
    )
    Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="sending", text="in flight",
        attempts=1, sending_started_at=timezone.now(),
    )  # fmt: skip

    listed = admin_client.get(CHANGELIST).content.decode()

    assert "Failed: 10001" in listed and "Sending" in listed
    assert "Stuck in sending" not in listed
    assert 'alt="None"' not in listed  # no "unknown" icon on every row that is not stuck
    assert f'<a href="{reverse("admin:conversations_customer_change", args=[anna.pk])}">@buyer_anna</a>' in listed


def test_outbox_search_finds_text_and_username(admin_client, anna):
    assert "is it available?" in admin_client.get(CHANGELIST, {"q": "buyer_anna"}).content.decode()
    assert "is it available?" in admin_client.get(CHANGELIST, {"q": "available"}).content.decode()


def test_customer_page_shows_the_conversation_and_a_reply_link(admin_client, anna):
    page = admin_client.get(reverse("admin:conversations_customer_change", args=[anna.pk])).content.decode()

    assert "is it available?" in page
    assert reverse("admin:conversations_message_reply", args=[anna.pk]) in page


def test_staff_reply_from_the_admin_goes_through_the_outbox_and_pauses_the_bot(
    admin_client, anna, django_capture_on_commit_callbacks
):
    url = reverse("admin:conversations_message_reply", args=[anna.pk])
    assert admin_client.get(url).status_code == 200

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(url, {"text": "Hi Anna, it's Sofia — yes, it's yours if you want it!"})

    assert response.status_code == 302
    assert response.url == reverse("admin:conversations_customer_change", args=[anna.pk])
    reply = Message.objects.get(direction="outbound")
    assert (reply.role, reply.state, reply.text) == (
        "staff",
        "queued",
        "Hi Anna, it's Sofia — yes, it's yours if you want it!",
    )
    assert len(callbacks) == 1  # send_message is enqueued once the reply is committed
    assert Customer.objects.get(pk=anna.pk).is_bot_paused()


def test_empty_staff_reply_is_refused_by_the_form(admin_client, anna):
    response = admin_client.post(reverse("admin:conversations_message_reply", args=[anna.pk]), {"text": ""})

    assert response.status_code == 200
    assert Message.objects.filter(direction="outbound").count() == 0


def test_messages_cannot_be_edited_or_added_in_the_admin(admin_client, anna):
    message = Message.objects.get()

    assert admin_client.get(reverse("admin:conversations_message_add")).status_code == 403
    page = admin_client.get(reverse("admin:conversations_message_change", args=[message.pk])).content.decode()
    assert 'name="_save"' not in page


def test_add_customer_page_still_works(admin_client):
    assert admin_client.get(reverse("admin:conversations_customer_add")).status_code == 200
