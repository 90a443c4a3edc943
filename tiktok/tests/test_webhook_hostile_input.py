"""POST /webhooks/tiktok with hostile input: every refusal a 4xx with a JSON `detail`, never a 500, and
whatever is answered 200 is stored in a form the worker can handle."""

import json
import time

import pytest

from conversations.models import Customer, Message
from testing.tiktok import TEST_BUSINESS_ID, post_webhook, sign, user_id_for
from tiktok.models import WebhookEvent
from tiktok.simulation import customer_message_content, envelope_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]

LONE_SURROGATE = "\ud800"


def _content(**overrides: object) -> dict[str, object]:
    content = customer_message_content(
        text="hi, got any Nike jackets?", username="anna", business_id=TEST_BUSINESS_ID, message_id="m-1"
    )
    content.update(overrides)
    return content


def _body(*, event: str = "im_receive_msg", content: dict[str, object] | None = None) -> bytes:
    return envelope_body(
        event=event, content=content if content is not None else _content(), business_id=TEST_BUSINESS_ID
    )


# --- Refused before any check of the signature can be fooled ------------------------------------


def test_signature_timestamp_with_thousands_of_digits_is_refused_as_malformed(client):
    body = _body()

    response = post_webhook(client, body, header=f"t={'9' * 5000},s={'0' * 64}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Malformed TikTok-Signature header."}
    assert WebhookEvent.objects.count() == 0


def test_signature_timestamp_longer_than_any_unix_time_is_refused_as_malformed(client):
    body = _body()
    t = int(time.time())

    response = post_webhook(client, body, header=sign(body, t=t).replace(f"t={t}", f"t=0000{t}"))

    assert response.status_code == 401
    assert response.json() == {"detail": "Malformed TikTok-Signature header."}
    assert WebhookEvent.objects.count() == 0


# --- Signed, but not something the shop can make sense of: 400 before the 200 ------------------


def assert_refused_with_400(client, body: bytes, detail: str) -> None:
    """The signed delivery is answered 400 with `detail`, and nothing is stored."""
    response = post_webhook(client, body)

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(b"[" * 5000 + b"]" * 5000, "Body is not valid JSON.", id="body-nested-5000"),
        pytest.param(b'{"a":' * 1000 + b"1" + b"}" * 1000, "Body is not valid JSON.", id="body-nested-1000"),
        pytest.param(
            json.dumps({"event": "im_receive_msg", "content": "[" * 5000 + "]" * 5000}).encode(),
            "'content' is not valid JSON.",
            id="content-nested",
        ),
        pytest.param(
            b'{"event": "im_receive_msg", "user_openid": "biz-open-id", "x": NaN, "content": "{}"}',
            "Body is not valid JSON.",
            id="nan-in-body",
        ),
        pytest.param(_body(content=_content(timestamp=float("inf"))), "'content' is not valid JSON.", id="infinity"),
        pytest.param(_body(content=_content(timestamp=float("-inf"))), "'content' is not valid JSON.", id="-infinity"),
        pytest.param(_body(content=_content(timestamp=float("nan"))), "'content' is not valid JSON.", id="nan"),
        pytest.param(
            _body().replace(b'\\"timestamp\\":', b'\\"timestamp\\":1e999,\\"t\\":'),
            "'content' is not valid JSON.",
            id="float-overflowing-to-infinity",
        ),
    ],
)
def test_unparseable_json_is_refused_with_400(client, body, detail):
    assert_refused_with_400(client, body, detail)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(_body(event="im_receive" + LONE_SURROGATE), "'event' is not a clean string.", id="event"),
        pytest.param(
            _body(content=_content(message_id="m" + LONE_SURROGATE)),
            "'content.message_id' is not a clean string.",
            id="message-id",
        ),
        pytest.param(
            _body(content=_content(conversation_id=LONE_SURROGATE)),
            "'content.conversation_id' is not a clean string.",
            id="conversation-id",
        ),
        pytest.param(
            _body(content=_content(from_user={"id": "anna" + LONE_SURROGATE})),
            "'content.from_user.id' is not a clean string.",
            id="sender-id",
        ),
        pytest.param(
            _body(content=_content(to_user={"id": "biz\udfff"})),
            "'content.to_user.id' is not a clean string.",
            id="recipient-id",
        ),
        pytest.param(
            _body(content=_content(from_user={"id": "anna\nbob"})),
            "'content.from_user.id' is not a clean string.",
            id="sender-id-newline",
        ),
        pytest.param(
            _body(content=_content(message_id="m\t1")), "'content.message_id' is not a clean string.", id="tab"
        ),
        pytest.param(
            _body(content=_content(message_id=12345)), "'content.message_id' is not a string.", id="id-number"
        ),
        pytest.param(
            _body(content=_content(from_user={"id": ["anna"]})),
            "'content.from_user.id' is not a string.",
            id="sender-id-list",
        ),
        pytest.param(
            envelope_body(event="im_receive_msg", content=_content(), business_id=TEST_BUSINESS_ID + LONE_SURROGATE),
            "'user_openid' is not a clean string.",
            id="user-openid",
        ),
    ],
)
def test_identifier_that_is_not_a_clean_string_is_refused_with_400(client, body, detail):
    assert_refused_with_400(client, body, detail)


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(10**30, id="absurdly-large"),
        pytest.param(-1, id="negative"),
        pytest.param(0, id="zero"),
        pytest.param(1e300, id="huge-float"),
        pytest.param(253402300800000, id="year-10000"),
        pytest.param(1717000000, id="seconds-not-milliseconds"),
        pytest.param("soon", id="word"),
        pytest.param(True, id="boolean"),
        pytest.param({"ms": 1}, id="object"),
        pytest.param("9" * 5000, id="digits-5000"),
    ],
)
def test_timestamp_that_is_not_a_time_is_refused_with_400(client, timestamp):
    assert_refused_with_400(
        client,
        _body(content=_content(timestamp=timestamp)),
        "'content.timestamp' is not a time in milliseconds between 2000 and 2100.",
    )


def test_read_receipt_whose_time_is_absurd_is_refused_with_400(client):
    content = {
        "conversation_id": "c-1",
        "from_user": {"id": "anna"},
        "to_user": {"id": TEST_BUSINESS_ID},
        "read": {"last_read_timestamp": 10**40},
    }

    assert_refused_with_400(
        client,
        _body(event="im_mark_read_msg", content=content),
        "'content.read.last_read_timestamp' is not a time in milliseconds between 2000 and 2100.",
    )


def test_timestamp_as_a_string_of_milliseconds_is_still_accepted(client):
    response = post_webhook(client, _body(content=_content(timestamp="1717000000123")))

    assert response.json() == {"status": "accepted"}


# --- Accepted: stored in a form the worker can handle, and answered ---------------------------------


# transaction=True: the real Dramatiq worker runs in other threads and must see the committed rows.
@pytest.mark.django_db(transaction=True)
def test_text_and_username_with_lone_surrogates_and_nul_are_answered_by_the_worker(
    client, fake_tiktok, dramatiq_worker
):
    content = _content(
        message_id="m-sur",
        text={"body": "got any nike\ud83d jackets\x00 in L?\udc00"},
        **{"from": "an\ud800na\x00"},
    )

    response = post_webhook(client, _body(content=content))
    dramatiq_worker.drain()

    assert response.json() == {"status": "accepted"}
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == (WebhookEvent.Status.DONE, 1, "")
    inbound = Message.objects.get(tiktok_message_id="m-sur")
    assert inbound.text == "got any nike\ufffd jackets in L?\ufffd"
    assert Customer.objects.get(pk=user_id_for("anna")).username == "an\ufffdna"
    reply = Message.objects.get(in_reply_to=inbound)
    assert reply.state == Message.State.SENT
    assert [send["text"]["body"] for send in fake_tiktok.sends] == [reply.text]


# transaction=True: the real Dramatiq worker runs in other threads and must see the committed rows.
@pytest.mark.django_db(transaction=True)
def test_owner_message_with_lone_surrogates_is_recorded_by_the_worker(client, fake_tiktok, dramatiq_worker):
    content = {
        "conversation_id": "c-owner",
        "message_id": "m-owner",
        "type": "text",
        "timestamp": int(time.time() * 1000),
        "from": "philiathrifts",
        "from_user": {"id": TEST_BUSINESS_ID},
        "to": "anna\udbff",
        "to_user": {"id": "anna-id"},
        "text": {"body": "on its way \ud800"},
        "message_tag": {"source": "APP"},
    }

    response = post_webhook(client, _body(event="im_send_msg", content=content))
    dramatiq_worker.drain()

    assert response.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE
    assert Message.objects.get(tiktok_message_id="m-owner").text == "on its way \ufffd"
    assert Customer.objects.get(pk="anna-id").username == "anna\ufffd"


def test_admin_shows_a_stored_event_whose_text_has_lone_surrogates(client, admin_client):
    content = _content(message_id="m-sur", text={"body": "hi \ud800 there"})
    assert post_webhook(client, _body(content=content)).json() == {"status": "accepted"}
    event = WebhookEvent.objects.get()

    response = admin_client.get(f"/admin/tiktok/webhookevent/{event.pk}/change/")

    assert response.status_code == 200
    assert "hi \\ud800 there" in response.content.decode()
