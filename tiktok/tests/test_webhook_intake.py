"""POST /webhooks/tiktok: what is accepted, what is refused, and that nothing is stored twice."""

import json
import time

import pytest

from testing.tiktok import (
    TEST_SECRET,
    im_mark_read_msg_body,
    im_receive_msg_body,
    im_receive_msg_eu_body,
    im_send_msg_body,
    post_webhook,
    sign,
)
from tiktok.models import WebhookEvent
from tiktok.simulation import envelope_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]


def _signed(body: bytes, t: int | None = None) -> dict[str, str]:
    return {"TikTok-Signature": sign(body, TEST_SECRET, t)}


def _post_raw(client, body: bytes, headers: dict[str, str]):
    return client.post("/webhooks/tiktok", data=body, content_type="application/json", headers=headers)


def test_signed_customer_message_is_stored_and_accepted(client):
    body = im_receive_msg_body("is the denim jacket still available?", message_id="msg-1")

    response = post_webhook(client, body)

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    event = WebhookEvent.objects.get()
    assert event.event == "im_receive_msg"
    assert event.tiktok_message_id == "msg-1"
    assert event.dedupe_key == "message:msg-1"
    assert event.status == WebhookEvent.Status.RECEIVED
    assert event.raw_body == body.decode()
    assert event.conversation_id == json.loads(json.loads(body)["content"])["conversation_id"]


def test_wrong_secret_is_refused_and_nothing_is_stored(client):
    response = post_webhook(client, im_receive_msg_body(), secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {"detail": "Signature does not match."}
    assert WebhookEvent.objects.count() == 0


def test_body_changed_by_one_byte_after_signing_is_refused(client):
    body = im_receive_msg_body("price of VNT-001?")
    header = sign(body)
    tampered = body.replace(b"VNT-001", b"VNT-002")
    assert len(tampered) == len(body)

    response = post_webhook(client, tampered, header=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "Signature does not match."}
    assert WebhookEvent.objects.count() == 0


def test_missing_signature_header_is_refused(client):
    response = _post_raw(client, im_receive_msg_body(), headers={})

    assert response.status_code == 401
    assert response.json() == {"detail": "Missing TikTok-Signature header."}
    assert WebhookEvent.objects.count() == 0


def test_header_parts_are_read_by_name_so_swapped_parts_verify(client):
    body = im_receive_msg_body()
    t_part, s_part = sign(body).split(",")

    response = post_webhook(client, body, header=f"{s_part},{t_part}")

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_signature_over_the_parts_in_the_wrong_roles_is_refused(client):
    body = im_receive_msg_body()
    t = int(time.time())
    digest = sign(body, TEST_SECRET, t).split("s=")[1]

    response = post_webhook(client, body, header=f"t={digest},s={t}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Malformed TikTok-Signature header."}


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=,s=", "t=123", "s=abcdef", "t=12a,s=abcdef", "t=1,t=2,s=abc", "t=1;s=abc", "t=1,s=ünïcode"],
)
def test_malformed_signature_header_is_refused(client, header):
    response = post_webhook(client, im_receive_msg_body(), header=header)

    assert response.status_code == 401
    assert response.json()["detail"] in {"Malformed TikTok-Signature header.", "Signature timestamp is too old."}
    assert WebhookEvent.objects.count() == 0


def test_timestamp_older_than_the_tolerance_is_refused(client, settings):
    body = im_receive_msg_body()

    response = post_webhook(client, body, t=int(time.time()) - settings.TIKTOK_SIGNATURE_TOLERANCE - 2)

    assert response.status_code == 401
    assert response.json() == {"detail": "Signature timestamp is too old."}
    assert WebhookEvent.objects.count() == 0


def test_redelivery_with_its_original_timestamp_within_the_tolerance_is_accepted(client, settings):
    response = post_webhook(
        client, im_receive_msg_body(), t=int(time.time()) - settings.TIKTOK_SIGNATURE_TOLERANCE + 10
    )

    assert response.status_code == 200


def test_timestamp_in_the_future_is_refused(client):
    response = post_webhook(client, im_receive_msg_body(), t=int(time.time()) + 60)

    assert response.status_code == 401
    assert response.json() == {"detail": "Signature timestamp is in the future."}
    assert WebhookEvent.objects.count() == 0


def test_a_few_seconds_of_clock_skew_is_accepted(client):
    response = post_webhook(client, im_receive_msg_body(), t=int(time.time()) + 3)

    assert response.status_code == 200


def test_unset_secret_refuses_every_delivery(client, settings):
    body = im_receive_msg_body()
    header = sign(body, "")  # even a "signature" made with the empty secret
    settings.TIKTOK_APP_SECRET = ""

    response = post_webhook(client, body, header=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "Webhook secret is not configured."}
    assert WebhookEvent.objects.count() == 0


def test_body_over_one_mebibyte_is_413_before_anything_else(client):
    content = {"conversation_id": "c", "message_id": "m", "type": "text", "text": {"body": "x" * (1024 * 1024)}}
    body = envelope_body(event="im_receive_msg", content=content, business_id="biz-open-id")

    response = post_webhook(client, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "Body is larger than 1048576 bytes."}
    assert WebhookEvent.objects.count() == 0


def test_oversized_unsigned_body_is_413_too(client):
    response = _post_raw(client, b"{" + b" " * (1024 * 1024) + b"}", headers={})

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"user_id": "u" * 129}, "'content.from_user.id' is longer than 128 characters."),
        ({"user": "n" * 101}, "'content.from' is longer than 100 characters."),
        ({"message_id": "m" * 256}, "'content.message_id' is longer than 255 characters."),
        ({"conversation_id": "c" * 256}, "'content.conversation_id' is longer than 255 characters."),
    ],
)
def test_identifiers_longer_than_the_shop_stores_are_400_not_a_failing_event(client, overrides, detail):
    response = post_webhook(client, im_receive_msg_body(**overrides))

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"not json at all", "Body is not valid JSON."),
        (b"\xff\xfe{}", "Body is not valid JSON."),
        # Valid JSON in UTF-16 (json.loads would take it) cannot be stored as the raw body: refused, not a 500.
        pytest.param(
            '{"event": "im_receive_msg", "content": "{}"}'.encode("utf-16"), "Body is not valid JSON.", id="utf-16"
        ),
        (b'["a", "list"]', "Body is not a JSON object."),
        (b'{"content": "{}", "user_openid": "biz-open-id"}', "Envelope has no 'event'."),
        (b'{"event": "im_receive_msg", "user_openid": "biz-open-id"}', "Envelope has no 'content'."),
        (b'{"event": "im_receive_msg", "content": {"message_id": "m"}}', "'content' is not a JSON string."),
        (b'{"event": "im_receive_msg", "content": "{not json"}', "'content' is not valid JSON."),
        (b'{"event": "im_receive_msg", "content": "[1, 2]"}', "'content' is not a JSON object."),
    ],
)
def test_signed_but_unusable_body_is_400_saying_which_part(client, body, detail):
    response = post_webhook(client, body)

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert WebhookEvent.objects.count() == 0


def test_same_message_delivered_twice_is_stored_once_and_reported_as_duplicate(client):
    body = im_receive_msg_body(message_id="msg-dup")

    first = post_webhook(client, body)
    second = post_webhook(client, body, t=int(time.time()) + 1)

    assert first.json() == {"status": "accepted"}
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert WebhookEvent.objects.filter(tiktok_message_id="msg-dup").count() == 1


def test_a_message_delivered_again_after_its_handling_failed_is_accepted_and_handled_again(
    client, django_capture_on_commit_callbacks
):
    body = im_receive_msg_body(message_id="msg-failed")
    post_webhook(client, body)
    WebhookEvent.objects.update(status="failed", attempts=5, last_error="Busy: try again")

    with django_capture_on_commit_callbacks() as callbacks:
        again = post_webhook(client, body, t=int(time.time()) + 1)

    assert again.json() == {"status": "accepted"}
    assert len(callbacks) == 1  # its job, sent once committed
    assert list(WebhookEvent.objects.values_list("status", "attempts", "last_error", "next_attempt_at")) == [
        ("received", 5, "", None)
    ]


def test_delivery_for_another_business_is_stored_done_with_why_it_was_ignored(client):
    response = post_webhook(client, im_receive_msg_body(business_id="someone-elses-business"))

    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == (WebhookEvent.Status.DONE, 0, "")
    assert event.outcome == "For another business (user_openid does not match)."


def test_unknown_event_is_stored_done_with_why_it_was_ignored(client):
    body = envelope_body(event="im_video_call", content={"conversation_id": "c-1"}, business_id="biz-open-id")

    response = post_webhook(client, body)

    assert response.json() == {"status": "ignored"}
    event = WebhookEvent.objects.get()
    assert (event.status, event.outcome) == (WebhookEvent.Status.DONE, "Not an event the shop handles.")


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (im_send_msg_body("we have it!", message_id="sent-1", business_id="biz-open-id"), "im_send_msg"),
        (im_receive_msg_eu_body(message_id="eu-1", business_id="biz-open-id"), "im_receive_msg_eu"),
        (im_mark_read_msg_body(read_ms=1717000000123, business_id="biz-open-id"), "im_mark_read_msg"),
        (im_receive_msg_body(message_type="image", business_id="biz-open-id"), "im_receive_msg"),
    ],
)
def test_each_direct_message_event_is_accepted(client, body, event):
    response = post_webhook(client, body)

    assert response.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().event == event


def test_read_receipt_without_message_id_is_deduplicated_by_conversation_reader_and_time(client):
    body = im_mark_read_msg_body(user="anna", read_ms=1717000000123)

    first = post_webhook(client, body)
    second = post_webhook(client, body)

    assert (first.json(), second.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    event = WebhookEvent.objects.get()
    assert event.tiktok_message_id is None
    assert event.dedupe_key.startswith("read:") and event.dedupe_key.endswith(":1717000000123")


def test_get_answers_200_for_tiktoks_test_button(client):
    response = client.get("/webhooks/tiktok")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
