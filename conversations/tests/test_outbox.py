"""send_outbound_message: TikTok's rules before the call, at most one send, and each kind of answer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.outbox import (
    ConfirmLater,
    SendLater,
    confirm_unconfirmed_send,
    give_up_sending,
    send_outbound_message,
)
from conversations.selectors import is_stuck_sending, stuck_sending_messages
from conversations.services import confirm_sent_echo, opt_out, pause_bot, queue_outbound_message, request_handoff
from notifications.models import Notification
from philia.tests.factories import make_customer_who_wrote
from testing.tiktok import CONTENT_LIST_PATH, REFRESH_PATH, SEND_PATH, TEST_ACCESS_TOKEN, TEST_BUSINESS_ID, Reply, error
from tiktok.models import TikTokCredential

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]


def _queued(customer: Customer, text: str = "Yes, it's still available!", role: str = "assistant") -> Message:
    latest = customer.messages.filter(direction="inbound").order_by("-created_at").first()
    return queue_outbound_message(
        customer=customer, text=text, role=role, in_reply_to=latest if role == "assistant" else None
    )


def _sent_already(customer: Customer, count: int, *, at) -> None:
    for number in range(count):
        Message.objects.create(
            customer=customer, role="staff", direction="outbound", state="sent", text=f"earlier {number}", sent_at=at
        )


def _send_timing_out(message: Message, fake_tiktok, settings, *, taken: bool) -> None:
    """Send `message` while TikTok answers only after the read timeout, having taken it or not (it failed after
    the request went out): the outbox cannot know, and keeps the message to be confirmed."""
    settings.TIKTOK_HTTP_TIMEOUT = (1.0, 0.3)
    fake_tiktok.script(SEND_PATH, Reply(delay=1.0) if taken else Reply(status=503, delay=1.0))
    with pytest.raises(ConfirmLater):
        send_outbound_message(message_id=message.pk)


def test_queued_message_is_sent_with_tiktoks_body_and_token(fake_tiktok):
    message = _queued(make_customer_who_wrote(), "Yes, it's still available!")

    result = send_outbound_message(message_id=message.pk)

    assert result.state == "sent"
    assert result.tiktok_message_id.startswith("fake-sent-")
    assert result.attempts == 1
    assert result.sent_at is not None
    [call] = fake_tiktok.calls(SEND_PATH)
    assert call.headers["Access-Token"] == TEST_ACCESS_TOKEN
    assert call.json == {
        "business_id": TEST_BUSINESS_ID,
        "recipient_type": "CONVERSATION",
        "recipient": "conv-anna",
        "message_type": "TEXT",
        "text": {"body": "Yes, it's still available!"},
    }


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(json=error(40100, "Too many requests")), "40100"),
        (Reply(json=error(51065, "System error")), "51065"),
        (Reply(status=429, json={"message": "slow down"}), "HTTP 429"),
        (Reply(status=500, body=b"<html>oops</html>"), "HTTP 500"),
        (Reply(status=503, json=error(0)), "HTTP 503"),
    ],
)
def test_retryable_answer_puts_the_row_back_and_asks_for_a_retry_that_then_sends_once(fake_tiktok, reply, code):
    message = _queued(make_customer_who_wrote())
    fake_tiktok.script(SEND_PATH, reply)

    with pytest.raises(SendLater):
        send_outbound_message(message_id=message.pk)

    message.refresh_from_db()
    assert (message.state, message.error_code, message.attempts) == ("queued", code, 1)
    retried = send_outbound_message(message_id=message.pk)
    assert (retried.state, retried.attempts, retried.error_code) == ("sent", 2, "")
    assert len(fake_tiktok.sends) == 1


def test_slow_tiktok_answer_is_not_resent_but_kept_sending_to_be_confirmed(fake_tiktok, settings):
    message = _queued(make_customer_who_wrote())
    _send_timing_out(message, fake_tiktok, settings, taken=True)  # taken, answered after the read timeout

    message.refresh_from_db()
    assert (message.state, message.error_code, message.attempts) == ("sending", "read_timeout", 1)
    assert send_outbound_message(message_id=message.pk).state == "sending"  # never sent again from here
    assert len(fake_tiktok.calls(SEND_PATH)) == 1


def test_unconfirmed_send_listed_in_the_conversation_is_sent_without_a_second_copy(fake_tiktok, settings):
    message = _queued(make_customer_who_wrote(), "Yes, it's still available!")
    _send_timing_out(message, fake_tiktok, settings, taken=True)

    result = confirm_unconfirmed_send(message_id=message.pk)

    assert (result.state, result.error_code) == ("sent", "")
    assert result.tiktok_message_id.startswith("fake-sent-")
    assert len(fake_tiktok.sends) == 1
    lookup = fake_tiktok.calls(CONTENT_LIST_PATH)
    assert [(call.method, call.query) for call in lookup] == [
        ("GET", {"business_id": TEST_BUSINESS_ID, "conversation_id": "conv-anna", "conversation_type": "SINGLE"})
    ]


def test_unconfirmed_send_confirmed_by_its_echo_is_not_looked_up(fake_tiktok, settings):
    message = _queued(make_customer_who_wrote(), "Yes, it's still available!")
    _send_timing_out(message, fake_tiktok, settings, taken=True)
    confirm_sent_echo(tiktok_user_id="buyer-anna-id", tiktok_message_id="echo-1", text="Yes, it's still available!")

    result = confirm_unconfirmed_send(message_id=message.pk)

    assert (result.state, result.tiktok_message_id, result.error_code) == ("sent", "echo-1", "")
    assert fake_tiktok.calls(CONTENT_LIST_PATH) == []


def test_unconfirmed_send_missing_from_the_conversation_is_queued_again_and_sent_once(fake_tiktok, settings):
    message = _queued(make_customer_who_wrote(), "Yes, it's still available!")
    # Timed out and not taken (TikTok failed after the request went out).
    _send_timing_out(message, fake_tiktok, settings, taken=False)

    requeued = confirm_unconfirmed_send(message_id=message.pk)
    assert (requeued.state, requeued.attempts) == ("queued", 1)
    assert fake_tiktok.sends == []

    retried = send_outbound_message(message_id=message.pk)
    assert (retried.state, retried.attempts) == ("sent", 2)
    assert [body["text"]["body"] for body in fake_tiktok.sends] == ["Yes, it's still available!"]


def test_same_text_sent_long_before_the_unconfirmed_send_does_not_count(fake_tiktok, settings):
    settings.OUTBOX_UNCONFIRMED_SLACK_SECONDS = 0
    customer = make_customer_who_wrote()
    first = _queued(customer, "Thanks!", role="staff")
    assert send_outbound_message(message_id=first.pk).state == "sent"
    second = _queued(customer, "Thanks!", role="staff")
    _send_timing_out(second, fake_tiktok, settings, taken=False)

    # The earlier "Thanks!" is listed, but it is another row's (its id is known) and from before this send.
    assert confirm_unconfirmed_send(message_id=second.pk).state == "queued"


def test_unconfirmed_send_out_of_attempts_is_failed_not_resent(fake_tiktok, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = _queued(make_customer_who_wrote())
    _send_timing_out(message, fake_tiktok, settings, taken=False)

    result = confirm_unconfirmed_send(message_id=message.pk)

    assert (result.state, result.error_code) == ("failed", "read_timeout")
    assert result.error.startswith("Gave up after 1 tries.")


def test_unreachable_tiktok_is_retried(settings):  # nothing was sent: queued again at once, not confirmed
    settings.TIKTOK_API_BASE = "http://127.0.0.1:9/open_api/v1.3"  # discard port: nothing listens
    message = _queued(make_customer_who_wrote())

    with pytest.raises(SendLater):
        send_outbound_message(message_id=message.pk)

    message.refresh_from_db()
    assert (message.state, message.error_code) == ("queued", "connection")


@pytest.mark.parametrize("code", [40064, 40001, 40002, 40007])
def test_final_refusal_marks_the_row_failed_with_tiktoks_code_and_is_not_retried(fake_tiktok, code):
    message = _queued(make_customer_who_wrote())
    fake_tiktok.script(SEND_PATH, Reply(json=error(code, f"refused {code}")))

    result = send_outbound_message(message_id=message.pk)

    assert (result.state, result.error_code, result.error) == ("failed", str(code), f"refused {code}")
    assert send_outbound_message(message_id=message.pk).state == "failed"
    assert len(fake_tiktok.calls(SEND_PATH)) == 1


def test_expired_token_is_refreshed_once_and_the_send_goes_through(fake_tiktok, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""
    TikTokCredential.objects.create(access_token="expired-token", refresh_token="refresh-0")
    fake_tiktok.accepted_tokens = set()
    message = _queued(make_customer_who_wrote())

    result = send_outbound_message(message_id=message.pk)

    assert result.state == "sent"
    [refresh] = fake_tiktok.calls(REFRESH_PATH)
    assert refresh.json == {
        "client_id": "test-app-id",
        "client_secret": "test-app-secret",
        "grant_type": "refresh_token",
        "refresh_token": "refresh-0",
    }
    credential = TikTokCredential.objects.get()
    assert credential.access_token.startswith("access-")
    assert credential.refresh_token.startswith("refresh-") and credential.refresh_token != "refresh-0"
    assert [call.headers["Access-Token"] for call in fake_tiktok.calls(SEND_PATH)] == [
        "expired-token",
        credential.access_token,
    ]


def test_token_still_refused_after_one_refresh_fails_the_message(fake_tiktok, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""
    TikTokCredential.objects.create(access_token="expired-token", refresh_token="refresh-0")
    fake_tiktok.script(SEND_PATH, Reply(json=error(40105, "bad token")), Reply(json=error(40105, "bad token")))
    message = _queued(make_customer_who_wrote())

    result = send_outbound_message(message_id=message.pk)

    assert (result.state, result.error_code) == ("failed", "40105")
    assert len(fake_tiktok.calls(REFRESH_PATH)) == 1
    assert len(fake_tiktok.calls(SEND_PATH)) == 2


def test_bad_token_without_a_refresh_token_fails_the_message(fake_tiktok):
    fake_tiktok.script(SEND_PATH, Reply(json=error(40105, "bad token")))
    message = _queued(make_customer_who_wrote())

    result = send_outbound_message(message_id=message.pk)

    assert (result.state, result.error_code) == ("failed", "40105")
    assert fake_tiktok.calls(REFRESH_PATH) == []


def test_row_left_in_sending_by_a_crash_is_never_sent_again(fake_tiktok):
    message = _queued(make_customer_who_wrote())
    # What a worker that died after committing `sending` and before the HTTP call leaves behind.
    Message.objects.filter(pk=message.pk).update(
        state="sending", attempts=1, sending_started_at=timezone.now() - timedelta(minutes=10)
    )

    result = send_outbound_message(message_id=message.pk)

    assert (result.state, result.attempts) == ("sending", 1)
    assert fake_tiktok.requests == []
    assert is_stuck_sending(message=result)
    assert list(stuck_sending_messages()) == [result]


def test_assistant_reply_after_the_window_closed_is_blocked(fake_tiktok):
    message = _queued(make_customer_who_wrote(wrote_ago=timedelta(hours=49)))

    result = send_outbound_message(message_id=message.pk)

    assert result.state == "blocked"
    assert result.error.startswith("The 48-hour reply window closed at ")
    assert fake_tiktok.requests == []


def test_staff_may_send_three_follow_ups_after_the_window_then_is_blocked(fake_tiktok):
    customer = make_customer_who_wrote(wrote_ago=timedelta(hours=50))
    states = []
    for number in range(4):
        states.append(send_outbound_message(message_id=_queued(customer, f"follow-up {number}", role="staff").pk).state)

    assert states == ["sent", "sent", "sent", "blocked"]
    assert len(fake_tiktok.sends) == 3


def test_quota_after_a_first_message_is_ten_until_the_customer_writes_again(fake_tiktok):
    customer = make_customer_who_wrote(messages=1)
    _sent_already(customer, 10, at=timezone.now())

    blocked = send_outbound_message(message_id=_queued(customer, role="staff").pk)

    assert blocked.state == "blocked"
    assert blocked.error == (
        "Quota used up: 10 of 10 messages after the customer's first message; the next is possible once they write again."
    )
    assert fake_tiktok.requests == []


def test_after_a_later_customer_message_the_window_is_unlimited(fake_tiktok):
    customer = make_customer_who_wrote(messages=2)
    _sent_already(customer, 25, at=timezone.now())

    result = send_outbound_message(message_id=_queued(customer, role="staff").pk)

    assert result.state == "sent"


def test_assistant_message_is_blocked_while_the_bot_is_paused_but_staff_goes_through(fake_tiktok):
    customer = make_customer_who_wrote()
    assistant_message = _queued(customer)
    pause_bot(customer=customer, hours=12)

    assert send_outbound_message(message_id=assistant_message.pk).state == "blocked"
    assert Message.objects.get(pk=assistant_message.pk).error == "The bot is paused for this customer."
    assert send_outbound_message(message_id=_queued(customer, "Sofia here", role="staff").pk).state == "sent"
    assert [send["text"]["body"] for send in fake_tiktok.sends] == ["Sofia here"]


def test_answer_to_the_handoff_request_itself_still_goes_out(fake_tiktok):
    customer = make_customer_who_wrote()
    request_handoff(customer=customer)
    answer = _queued(customer, "The owner will reply to you here soon.")

    assert send_outbound_message(message_id=answer.pk).state == "sent"


def test_opted_out_customer_gets_the_stop_confirmation_and_nothing_automated_after(fake_tiktok):
    customer = make_customer_who_wrote()
    opt_out(customer=customer)
    confirmation = _queued(customer, "You won't get automated messages. Send START to undo.")
    Message.objects.create(
        customer=customer, role="user", direction="inbound", text="hello?", tiktok_message_id="in-later"
    )
    later = _queued(customer, "Hi again!")

    assert send_outbound_message(message_id=confirmation.pk).state == "sent"
    blocked = send_outbound_message(message_id=later.pk)
    assert (blocked.state, blocked.error) == ("blocked", "The customer opted out of automated messages (STOP).")


def test_without_an_access_token_the_message_is_a_dry_run(fake_tiktok, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""
    message = _queued(make_customer_who_wrote())

    result = send_outbound_message(message_id=message.pk)

    assert (result.state, result.error) == ("dry_run", "No TikTok access token: not sent.")
    assert fake_tiktok.requests == []


def test_stored_token_is_used_when_the_environment_has_none(fake_tiktok, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""
    TikTokCredential.objects.create(access_token="stored-token")

    send_outbound_message(message_id=_queued(make_customer_who_wrote()).pk)

    assert fake_tiktok.calls(SEND_PATH)[0].headers["Access-Token"] == "stored-token"


def test_running_out_of_retries_marks_the_waiting_row_failed_keeping_the_last_error(fake_tiktok):
    message = _queued(make_customer_who_wrote())
    fake_tiktok.script(SEND_PATH, Reply(json=error(40100, "Too many requests")))
    with pytest.raises(SendLater):
        send_outbound_message(message_id=message.pk)

    result = give_up_sending(message_id=message.pk, retries=8)

    assert result.state == "failed"
    assert result.error == "Gave up after 9 tries. Last error: Too many requests"


@pytest.mark.parametrize("tries_before", [0, 3, 6])
def test_a_retry_waits_by_the_rows_tries_whichever_job_made_them(fake_tiktok, tries_before):
    # A send whose answer timed out comes back as a new job (confirm_send), whose own retry count starts again:
    # the wait must follow the tries the row has made, or a minute of trouble could spend every try it has.
    message = _queued(make_customer_who_wrote())
    Message.objects.filter(pk=message.pk).update(attempts=tries_before)
    fake_tiktok.script(SEND_PATH, Reply(status=503))

    with pytest.raises(SendLater) as later:
        send_outbound_message(message_id=message.pk)

    shortest = 2_000 * 2**tries_before  # 2 s after the first try, doubling with each
    assert shortest <= later.value.delay_ms <= 2 * shortest


def test_the_longest_retry_wait_is_five_minutes(fake_tiktok):
    message = _queued(make_customer_who_wrote())
    Message.objects.filter(pk=message.pk).update(attempts=7)
    fake_tiktok.script(SEND_PATH, Reply(status=503))

    with pytest.raises(SendLater) as later:
        send_outbound_message(message_id=message.pk)

    assert 150_000 <= later.value.delay_ms <= 300_000


def test_a_retryable_answer_to_the_last_try_fails_the_row_and_tells_the_owner(fake_tiktok, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = _queued(make_customer_who_wrote())
    Message.objects.filter(pk=message.pk).update(attempts=2)
    fake_tiktok.script(SEND_PATH, Reply(json=error(40100, "Too many requests")))

    result = send_outbound_message(message_id=message.pk)

    result.refresh_from_db()
    assert (result.state, result.attempts, result.error_code) == ("failed", 3, "40100")
    assert result.error == "Gave up after 3 tries. Last error: Too many requests"
    assert Notification.objects.filter(kind="send_failed", cause=f"message:{message.pk}").count() == 1
    assert len(fake_tiktok.calls(SEND_PATH)) == 1


def test_text_longer_than_tiktok_allows_is_cut_to_6000_characters(fake_tiktok):
    message = _queued(make_customer_who_wrote(), "x" * 7000)

    send_outbound_message(message_id=message.pk)

    body = fake_tiktok.sends[0]["text"]["body"]
    assert len(body) == 6000
    assert body.endswith("…")


def test_customer_who_never_wrote_through_tiktok_cannot_be_messaged(fake_tiktok):
    customer = Customer.objects.create(tiktok_user_id="walk-in", username="walk_in")

    result = send_outbound_message(message_id=queue_outbound_message(customer=customer, text="hi", role="staff").pk)

    assert (result.state, result.error) == (
        "blocked",
        "No TikTok conversation to reply to: the customer has not written through TikTok.",
    )
