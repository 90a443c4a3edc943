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
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orders.models import Order, OrderEvent, Payment, StripeEvent
from testing.stripe import TEST_STRIPE_WEBHOOK_SECRET, stripe_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

# Function-scoped fixtures are set up once per test, not per example; that is intended here (see above).
EXAMPLES = settings(
    deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
TABLES = (StripeEvent, Order, OrderEvent, Payment)

# --- Strategies -------------------------------------------------------------------------------------

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs", "Cc", "Zs", "So", "Lo"]), max_size=20),
    st.sampled_from(["", " ", "\x00", "\ud800", "\udfff", "a\ud83d", "\u202e", "'; DROP TABLE x; --", "9" * 5000]),
    st.text(min_size=250, max_size=400),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # NaN and ±Infinity included: json.dumps writes them as tokens JSON does not have
    nasty_text,
)
any_json = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4), max_leaves=12
)
MISSING = object()


def field(good: st.SearchStrategy) -> st.SearchStrategy:
    """A field as Stripe sends it, or of any other type, or missing (dropped below)."""
    return st.one_of(good, good, any_json, st.just(MISSING))


def _drop_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_missing(item) for key, item in value.items() if item is not MISSING}
    return value


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
    event = _drop_missing(
        {
            "id": draw(field(st.uuids().map(lambda value: f"evt_{value.hex[:16]}") | nasty_text)),
            "object": draw(field(st.just("event"))),
            "type": draw(field(types | nasty_text)),
            "created": draw(field(st.integers(min_value=0, max_value=2**40))),
            "livemode": draw(field(st.booleans())),
            "data": draw(field(st.fixed_dictionaries({"object": field(sessions)}))),
        }
    )
    text = _dumps(draw, event)
    if draw(st.booleans()):
        # The same key twice: the parser keeps the last, and nothing may break on it.
        key = draw(st.sampled_from(["id", "type", "data"]))
        text = "{" + json.dumps(key) + ":" + _dumps(draw, draw(any_json)) + "," + text[1:] if text != "{}" else text
    return text.encode("utf-8", "surrogatepass")


def _dumps(draw: st.DrawFn, value: Any) -> str:
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=1, max_value=20_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"id":"evt_1","data":', "}")]))
    nested = (opener * depth + "1" + closer * depth).encode()
    return draw(
        st.one_of(
            st.binary(max_size=200),
            st.just(nested),
            st.just(nested[: len(nested) // 2]),
            any_json.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
            st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
            st.sampled_from([b"", b"null", b"[]", b'""', b"{}", b"NaN", b"1e999", b"\xef\xbb\xbf{}", b"{" * 3000]),
        )
    )


def _post(client: Any, body: bytes, header: str | None):
    headers = {} if header is None else {"Stripe-Signature": header}
    return client.post("/webhooks/stripe", data=body, content_type="application/json", headers=headers)


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in TABLES)


def _assert_answer_is_well_formed(response) -> dict[str, Any]:
    assert response.status_code < 500
    answer = json.loads(response.content)
    if response.status_code == 200:
        assert answer["status"] in {"recorded", "duplicate"}
    else:
        assert 400 <= response.status_code < 500
        assert isinstance(answer["detail"], str) and answer["detail"]
    return answer


# --- Properties -------------------------------------------------------------------------------------


@settings(EXAMPLES, max_examples=800)
@given(body=st.one_of(events(), raw_bodies()))
def test_signed_generated_events_get_a_200_or_a_4xx_with_a_detail_never_a_5xx(client, body):
    before = StripeEvent.objects.count()

    response = _post(client, body, stripe_signature(body))
    event(f"answered {response.status_code}")  # shown by --hypothesis-show-statistics

    answer = _assert_answer_is_well_formed(response)
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
        st.none(),
        st.just(""),
        nasty_text.map(lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")),
        st.just(stripe_signature(body, "whsec_not_the_secret", now)),
        st.just(stripe_signature(body + b" ", TEST_STRIPE_WEBHOOK_SECRET, now)),
        st.integers(min_value=301, max_value=10**6).map(lambda age: stripe_signature(body, t=now - age)),
        st.integers(min_value=12, max_value=6000).map(lambda digits: f"t={'9' * digits},v1={digest}"),
        st.just(f"v1={digest}"),
        st.just(f"t={now}"),
        st.just(f"t={now},v1={digest[:-1]}"),
        st.just(f"t={now},v0={digest}"),
        st.just(f"t=-{now},v1={digest}"),
        st.just(f"t={now}.0,v1={digest}"),
        st.just(f"t=١٢٣,v1={digest}"),
        st.just(f"t={now},v1={digest.upper()}"),
        st.just(f"t,v1,={digest},,,"),
    )


@settings(EXAMPLES, max_examples=800)
@given(data=st.data(), body=st.one_of(events(), raw_bodies()))
def test_unsigned_or_badly_signed_requests_are_400_and_write_nothing(client, data, body):
    header = data.draw(_bad_headers(body))
    before = _counts()

    response = _post(client, body, header)

    _assert_answer_is_well_formed(response)
    assert response.status_code == 400
    assert _counts() == before
