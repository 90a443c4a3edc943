"""Property-based tests (Hypothesis) of POST /webhooks/stripe: generated events and bodies — every field
missing, of the wrong type, huge, unicode, NUL bytes and lone surrogates, nested deep, keys duplicated — and
generated Stripe-Signature headers. Whatever comes in: no 5xx, every refusal a 4xx with a JSON `detail`,
unsigned or badly signed requests write nothing, and what is answered 200 is stored once by its event id.

The examples share one test's fixtures (client, settings, database transaction): each example measures its
own effect (rows before and after), so nothing one example leaves behind affects another.
"""

import json
import time
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from orders.models import Order, OrderEvent, Payment, StripeEvent
from testing.hostile_json import (
    EXAMPLES,
    assert_answer_is_well_formed,
    broken_signature_headers,
    drop_missing,
    dumps,
    field,
    maybe_duplicate_a_key,
    nasty_text,
    raw_bodies,
)
from testing.stripe import TEST_STRIPE_WEBHOOK_SECRET, stripe_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

TABLES = (StripeEvent, Order, OrderEvent, Payment)
STATUSES = {"recorded", "duplicate"}

# --- Strategies (Stripe's shapes; the hostile values are testing.hostile_json's) ----------------------

sessions = st.fixed_dictionaries(
    {
        "id": field(st.uuids().map(lambda value: f"cs_test_{value.hex[:12]}")),
        "object": field(st.sampled_from(["checkout.session", "charge"])),
        "payment_status": field(st.sampled_from(["paid", "unpaid"])),
        "payment_intent": field(st.just("pi_1")),
        "amount_total": field(st.integers(min_value=-(10**20), max_value=10**20)),
        "currency": field(st.sampled_from(["eur", "usd"])),
        "client_reference_id": field(st.integers(min_value=-5, max_value=10**12).map(str)),
        "metadata": field(st.fixed_dictionaries({"order_id": field(nasty_text)})),
    }
)
types = st.sampled_from(["checkout.session.completed", "checkout.session.expired", "charge.refunded", "ping"])


@st.composite
def events(draw: st.DrawFn) -> bytes:
    event = drop_missing(
        {
            "id": draw(field(st.uuids().map(lambda value: f"evt_{value.hex[:16]}") | nasty_text)),
            "object": draw(field(st.just("event"))),
            "type": draw(field(types | nasty_text)),
            "created": draw(field(st.integers(min_value=0, max_value=2**40))),
            "livemode": draw(field(st.booleans())),
            "data": draw(field(st.fixed_dictionaries({"object": field(sessions)}))),
        }
    )
    text = maybe_duplicate_a_key(draw, dumps(draw, event), ["id", "type", "data"])
    return text.encode("utf-8", "surrogatepass")


stripe_raw_bodies = raw_bodies(nested_opener=('{"id":"evt_1","data":', "}"), json_values=True)


def _post(client: Any, body: bytes, header: str | None):
    headers = {} if header is None else {"Stripe-Signature": header}
    return client.post("/webhooks/stripe", data=body, content_type="application/json", headers=headers)


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in TABLES)


# --- Properties -------------------------------------------------------------------------------------


@settings(EXAMPLES, max_examples=800)
@given(body=st.one_of(events(), stripe_raw_bodies))
def test_signed_generated_events_get_a_200_or_a_4xx_with_a_detail_never_a_5xx(client, body):
    before = StripeEvent.objects.count()

    response = _post(client, body, stripe_signature(body))
    event(f"answered {response.status_code}")  # shown by --hypothesis-show-statistics

    answer = assert_answer_is_well_formed(response, statuses=STATUSES)
    stored = StripeEvent.objects.count() - before
    if response.status_code == 200:
        assert stored == (1 if answer["status"] == "recorded" else 0)
        assert StripeEvent.objects.filter(event_id=json.loads(body)["id"]).count() == 1
    else:
        assert stored == 0


def _bad_headers(body: bytes) -> st.SearchStrategy:
    now = int(time.time())
    digest = stripe_signature(body, t=now).split("v1=")[1]
    return st.one_of(
        broken_signature_headers(now=now, digest=digest, scheme="v1"),
        st.just(""),
        st.just(stripe_signature(body, "whsec_not_the_secret", now)),
        st.just(stripe_signature(body + b" ", TEST_STRIPE_WEBHOOK_SECRET, now)),
        st.integers(min_value=301, max_value=10**6).map(lambda age: stripe_signature(body, t=now - age)),
        st.just(f"t={now},v0={digest}"),
        st.just(f"t={now},v1={digest.upper()}"),
        st.just(f"t,v1,={digest},,,"),
    )


@settings(EXAMPLES, max_examples=800)
@given(data=st.data(), body=st.one_of(events(), stripe_raw_bodies))
def test_unsigned_or_badly_signed_requests_are_400_and_write_nothing(client, data, body):
    header = data.draw(_bad_headers(body))
    before = _counts()

    response = _post(client, body, header)

    assert_answer_is_well_formed(response, statuses=STATUSES)
    assert response.status_code == 400
    assert _counts() == before
