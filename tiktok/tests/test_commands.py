"""manage.py simulate, replay_event and requeue_stale_events."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conversations.models import Message
from philia.tests.factories import make_customer, make_customer_who_wrote
from testing.http_fakes import FakeHTTPServer, write_reply
from testing.tiktok import im_receive_msg_body, post_webhook, user_id_for
from tiktok.management.commands.simulate import _reply_answering
from tiktok.models import WebhookEvent

# transaction=True: the live server and the worker run in other threads and must see committed rows.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def _call(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_simulate_posts_a_signed_dm_and_prints_the_shops_reply(live_server, fake_tiktok, dramatiq_worker):
    out, err = _call("simulate", "hi, got any Levi's 501s?", user="anna", url=live_server.url, timeout=20)

    reply = Message.objects.get(direction="outbound")
    assert out == f"shop: {reply.text}\n"
    assert err == "@anna: hi, got any Levi's 501s?\n"
    assert reply.customer_id == user_id_for("anna")
    assert reply.state == "sent"
    assert len(fake_tiktok.sends) == 1


def test_simulate_finds_the_reply_that_answered_a_bubble_with_the_later_ones():
    anna = make_customer_who_wrote(messages=3)
    first, _, last = anna.messages.order_by("pk")
    reply = Message.objects.create(
        customer=anna, role="assistant", direction="outbound", state="sent", text="all three", in_reply_to=last
    )
    other = make_customer("buyer-ben-id", username="ben", conversation_id="conv-ben")
    alone = Message.objects.create(customer=other, role="user", direction="inbound", text="hi", tiktok_message_id="b")

    assert _reply_answering(first.tiktok_message_id) == reply
    assert _reply_answering(last.tiktok_message_id) == reply
    assert _reply_answering(alone.tiktok_message_id) is None


def test_simulate_says_clearly_when_the_shop_is_not_running():
    with pytest.raises(CommandError, match=r"Cannot reach the shop at http://127.0.0.1:9/webhooks/tiktok"):
        _call("simulate", "hello", user="anna", url="http://127.0.0.1:9", timeout=1)


class NotTheShop(FakeHTTPServer):
    """Some other web server at the --url given: answers every POST with an HTML page."""

    def _handle(self, handler) -> None:
        write_reply(handler, 200, b"<html>\n<h1>Welcome to nginx!</h1>\n</html>")


def test_simulate_pointed_at_another_server_fails_with_a_one_line_reason():
    server = NotTheShop().start()
    try:
        with pytest.raises(CommandError) as raised:
            _call("simulate", "hello", user="anna", url=server.base_url, timeout=1)
    finally:
        server.stop()

    assert str(raised.value) == (
        f"The shop did not accept the message: <html> <h1>Welcome to nginx!</h1> </html>. Is {server.base_url}/webhooks/tiktok the shop?"
    )


def test_simulate_needs_the_secret(settings):
    settings.TIKTOK_APP_SECRET = ""

    with pytest.raises(CommandError, match="TIKTOK_APP_SECRET and TIKTOK_BUSINESS_ID must be set"):
        _call("simulate", "hello", user="anna")


def test_simulate_gives_up_when_no_reply_comes_in_time(live_server, dramatiq_broker):
    # No worker runs: the message is stored but nobody answers.
    with pytest.raises(CommandError, match=r"No reply within 1s"):
        _call("simulate", "hello", user="anna", url=live_server.url, timeout=1)

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED


def test_replay_event_handles_it_again_without_a_second_reply(client, fake_tiktok, dramatiq_worker):
    post_webhook(client, im_receive_msg_body("hello", user="anna", message_id="r-1"))
    dramatiq_worker.drain()
    event = WebhookEvent.objects.get()

    out, _ = _call("replay_event", str(event.pk), timeout=10)
    dramatiq_worker.drain()

    assert out.splitlines()[0] == f"event {event.pk} (im_receive_msg): done"
    assert Message.objects.filter(direction="outbound").count() == 1
    assert len(fake_tiktok.sends) == 1


def test_replay_event_of_a_failed_event_runs_it_again(client, fake_tiktok, dramatiq_worker):
    post_webhook(client, im_receive_msg_body("hello", user="anna", message_id="r-2"))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(status="failed", last_error="boom")

    out, _ = _call("replay_event", str(event.pk), timeout=10)
    dramatiq_worker.drain()

    assert out.splitlines()[0] == f"event {event.pk} (im_receive_msg): done"
    assert len(fake_tiktok.sends) == 1


def test_replay_event_of_an_unknown_id_fails_with_a_reason():
    with pytest.raises(CommandError, match="No webhook event 999999."):
        _call("replay_event", "999999")


def test_requeue_stale_events_command_reports_what_it_enqueued(client, dramatiq_broker):
    post_webhook(client, im_receive_msg_body("hello", user="anna", message_id="s-1"))
    dramatiq_broker.flush_all()

    out, _ = _call("requeue_stale_events", older_than=0)

    assert out == "Re-enqueued 1 event(s) and 0 outbound message(s).\n"
