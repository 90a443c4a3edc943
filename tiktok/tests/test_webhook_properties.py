"""Property-based tests (Hypothesis) of POST /webhooks/tiktok: generated envelopes and contents — every field
missing, of the wrong type, huge, unicode, NUL bytes and lone surrogates, nested deep, keys duplicated — and
generated signatures. Whatever comes in: no 5xx, every refusal a 4xx with a JSON `detail`, unsigned or
badly signed requests touch no table, and what is answered 200 is stored in a form the worker can handle.

The examples share one test's fixtures (client, settings, database transaction): each example measures its
own effect (rows before and after, queries it ran), so nothing one example leaves behind affects another.
"""

import re
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from testing.hostile_json import (
    EXAMPLES,
    any_json,
    assert_answer_is_well_formed,
    broken_signature_headers,
    drop_missing,
    dumps,
    field,
    maybe_duplicate_a_key,
    nasty_text,
    raw_bodies,
)
from testing.tiktok import TEST_BUSINESS_ID, TEST_SECRET, sign
from tiktok.envelopes import KNOWN_EVENTS, parse_envelope
from tiktok.models import WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
STATUSES = {"accepted", "duplicate", "ignored"}

# --- Strategies (TikTok's shapes; the hostile values are testing.hostile_json's) ----------------------

message_ids = st.one_of(st.uuids().map(lambda value: f"msg-{value}"), nasty_text)
users = st.fixed_dictionaries(
    {"id": field(st.sampled_from(["anna-id", "bob-id", TEST_BUSINESS_ID])), "role": field(nasty_text)}
)
contents = st.fixed_dictionaries(
    {
        "conversation_id": field(st.sampled_from(["c-1", "c-2"])),
        "message_id": field(message_ids),
        "type": field(st.sampled_from(["text", "image", "sticker", "share_post", "TEXT"])),
        "timestamp": field(st.integers(min_value=946684800000, max_value=4102444799999)),
        "from": field(nasty_text),
        "from_user": field(users),
        "to": field(nasty_text),
        "to_user": field(users),
        "text": field(st.fixed_dictionaries({"body": field(nasty_text)})),
        "message_tag": field(st.fixed_dictionaries({"source": field(st.sampled_from(["APP", "API", "WEB"]))})),
        "read": field(st.fixed_dictionaries({"last_read_timestamp": field(st.integers())})),
        "share_post": field(st.fixed_dictionaries({"embed_url": field(nasty_text)})),
    }
)


@st.composite
def envelopes(draw: st.DrawFn) -> bytes:
    content = drop_missing(draw(contents))
    content_json = draw(st.one_of(st.just(dumps(draw, content)), st.just(dumps(draw, content)), any_json))
    envelope = drop_missing(
        {
            "client_key": draw(field(nasty_text)),
            "event": draw(field(st.sampled_from(sorted(KNOWN_EVENTS) + ["im_video_call"]))),
            "create_time": draw(field(st.integers(min_value=0, max_value=2**40))),
            "user_openid": draw(field(st.sampled_from([TEST_BUSINESS_ID, "someone-else"]))),
            "content": draw(field(st.just(content_json))),
        }
    )
    text = maybe_duplicate_a_key(draw, dumps(draw, envelope), ["event", "content", "user_openid"])
    return text.encode("utf-8", "surrogatepass")


tiktok_raw_bodies = raw_bodies(nested_opener=('{"event":"im_receive_msg","content":"[', ']"}'))


def _post(client: Any, body: bytes, header: str | None):
    headers = {} if header is None else {"TikTok-Signature": header}
    return client.post("/webhooks/tiktok", data=body, content_type="application/json", headers=headers)


def _assert_stored_for_the_worker(body: bytes, answer: dict[str, Any]) -> None:
    """What was answered 200 (and not a duplicate) is stored, byte for byte, and parses again as the worker
    parses it, to values PostgreSQL can store."""
    if answer["status"] == "duplicate":
        return
    event = WebhookEvent.objects.order_by("-pk").first()
    assert event is not None
    assert event.raw_body == body.decode("utf-8")
    envelope = parse_envelope(event.raw_body.encode("utf-8"))
    for value in (
        envelope.message_id,
        envelope.conversation_id,
        envelope.sender_id,
        envelope.recipient_id,
        envelope.sender_username,
        envelope.recipient_username,
        envelope.message_type,
        envelope.message_text,
        envelope.source,
    ):
        assert not UNSTORABLE.search(value)
    envelope.sent_at, envelope.last_read_at  # noqa: B018 - must not raise


# --- Properties -------------------------------------------------------------------------------------


@settings(EXAMPLES, max_examples=1500)
@given(body=envelopes())
def test_signed_generated_envelopes_get_a_200_or_a_4xx_with_a_detail_never_a_5xx(client, body):
    before = WebhookEvent.objects.count()

    response = _post(client, body, sign(body, TEST_SECRET))

    answer = assert_answer_is_well_formed(response, statuses=STATUSES)
    stored = WebhookEvent.objects.count() - before
    if response.status_code == 200:
        assert stored == (0 if answer["status"] == "duplicate" else 1)
        _assert_stored_for_the_worker(body, answer)
    else:
        assert stored == 0


@settings(EXAMPLES, max_examples=700)
@given(body=tiktok_raw_bodies)
def test_signed_raw_bytes_and_deep_nesting_get_a_4xx_with_a_detail(client, body):
    before = WebhookEvent.objects.count()

    response = _post(client, body, sign(body, TEST_SECRET))

    assert_answer_is_well_formed(response, statuses=STATUSES)
    assert response.status_code in (400, 413)
    assert WebhookEvent.objects.count() == before


def _bad_headers(body: bytes) -> st.SearchStrategy:
    now = int(time.time())
    good = sign(body, TEST_SECRET, now)
    digest = good.split("s=")[1]
    return st.one_of(
        broken_signature_headers(now=now, digest=digest, scheme="s"),
        st.just(sign(body, "not-the-secret", now)),
        st.just(sign(body + b" ", TEST_SECRET, now)),
        st.integers(min_value=301, max_value=10**6).map(lambda age: sign(body, TEST_SECRET, now - age)),
        st.integers(min_value=60, max_value=10**6).map(lambda ahead: sign(body, TEST_SECRET, now + ahead)),
        st.just(f"t={now},s={digest},t={now}"),
    )


@settings(EXAMPLES, max_examples=1200)
@given(data=st.data(), body=st.one_of(envelopes(), tiktok_raw_bodies))
def test_unsigned_or_badly_signed_requests_are_401_and_touch_no_table(client, data, body):
    header = data.draw(_bad_headers(body))
    before = WebhookEvent.objects.count()

    with CaptureQueriesContext(connection) as queries:
        response = _post(client, body, header)

    assert_answer_is_well_formed(response, statuses=STATUSES)
    assert response.status_code == 401
    assert queries.captured_queries == []
    assert WebhookEvent.objects.count() == before
