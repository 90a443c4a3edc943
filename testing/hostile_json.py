"""Hypothesis strategies for hostile webhook bodies, shared by the property tests of every webhook
(`tiktok/tests/test_webhook_properties.py`, `orders/tests/test_stripe_webhook_properties.py`): text with NUL
bytes, lone surrogates and huge runs, JSON of any shape, fields of the wrong type or missing, keys duplicated,
nesting deeper than any parser's recursion limit, broken signature headers, and the check that an answer is a 200 or a 4xx with a detail.

    events = st.fixed_dictionaries({"id": field(st.just("evt_1")), "type": field(nasty_text)}).map(drop_missing)
"""

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Function-scoped fixtures are set up once per test, not per example: each example measures its own effect.
EXAMPLES = settings(
    deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

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
    """A field as the sender sends it, or of any other type, or missing (`MISSING`, dropped by `drop_missing`)."""
    return st.one_of(good, good, any_json, st.just(MISSING))


def drop_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: drop_missing(item) for key, item in value.items() if item is not MISSING}
    return value


def dumps(draw: st.DrawFn, value: Any) -> str:
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


def maybe_duplicate_a_key(draw: st.DrawFn, text: str, keys: list[str]) -> str:
    """`text` (a JSON object) or, half the time, the same with one of `keys` given twice: the parser keeps the
    last, and nothing may break on it."""
    if not draw(st.booleans()) or not text.startswith("{") or text == "{}":
        return text
    key = draw(st.sampled_from(keys))
    return "{" + json.dumps(key) + ":" + dumps(draw, draw(any_json)) + "," + text[1:]


@st.composite
def raw_bodies(draw: st.DrawFn, *, nested_opener: tuple[str, str], json_values: bool = False) -> bytes:
    """Bytes that are no event: random bytes and text, bare JSON values (with `json_values`), nesting deep enough
    for any parser's recursion limit and small enough to stay under the 1 MiB body limit (`[[[...`, `{"a":{...`
    and `nested_opener`, the start of a real event around it), cut in half, and the usual suspects."""
    depth = draw(st.integers(min_value=1, max_value=20_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), nested_opener]))
    nested = (opener * depth + "1" + closer * depth).encode()
    values = [any_json.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass"))] if json_values else []
    return draw(
        st.one_of(
            st.binary(max_size=200),
            st.just(nested),
            st.just(nested[: len(nested) // 2]),
            *values,
            st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
            st.sampled_from([b"", b"null", b"[]", b'""', b"{}", b"NaN", b"1e999", b"\xef\xbb\xbf{}", b"{" * 3000]),
        )
    )


def broken_signature_headers(*, now: int, digest: str, scheme: str) -> st.SearchStrategy:
    """Signature headers of the `t=<unix seconds>,<scheme>=<hex digest>` form TikTok and Stripe both use, absent
    or broken one way each (the right digest around them, so only the breakage can be what is refused)."""
    return st.one_of(
        st.none(),
        nasty_text.map(lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")),
        st.integers(min_value=12, max_value=6000).map(lambda digits: f"t={'9' * digits},{scheme}={digest}"),
        st.just(f"{scheme}={digest}"),
        st.just(f"t={now}"),
        st.just(f"t={now},{scheme}={digest[:-1]}"),
        st.just(f"t=-{now},{scheme}={digest}"),
        st.just(f"t={now}.0,{scheme}={digest}"),
        st.just(f"t=١٢٣,{scheme}={digest}"),
    )


def assert_answer_is_well_formed(response, *, statuses: set[str]) -> dict[str, Any]:
    """No 5xx: a 200 whose `status` is one of `statuses`, or a 4xx with a JSON `detail`. Returns the answer."""
    assert response.status_code < 500
    answer = json.loads(response.content)
    if response.status_code == 200:
        assert answer["status"] in statuses
    else:
        assert 400 <= response.status_code < 500
        assert isinstance(answer["detail"], str) and answer["detail"]
    return answer
