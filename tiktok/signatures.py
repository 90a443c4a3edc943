"""TikTok's webhook signature: `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<raw body>">`."""

import hashlib
import hmac

SIGNATURE_HEADER = "TikTok-Signature"
# Unix seconds have 10 digits until the year 2286; anything longer is not a time (and thousands of digits
# would fail int() itself).
MAX_TIMESTAMP_DIGITS = 11


class InvalidSignature(Exception):
    """The delivery is not provably from TikTok. `str()` says why, for the 401's `detail`."""


def compute_signature(*, body: bytes, secret: str, timestamp: int) -> str:
    """The lowercase hex HMAC-SHA256, keyed with the app secret, of the bytes `<timestamp>.<body>`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(*, body: bytes, secret: str, timestamp: int) -> str:
    """The header value TikTok would send for this body at this time."""
    return f"t={timestamp},s={compute_signature(body=body, secret=secret, timestamp=timestamp)}"


def verify_signature(
    *, header: str | None, body: bytes, secret: str, now: float, past_tolerance: int, future_tolerance: int
) -> int:
    """Check the header against the raw body; return its timestamp or raise `InvalidSignature`.

    Parts are read by name, so their order does not matter; the digest is compared in constant time.
    An empty secret fails closed: nothing can be verified, so nothing is accepted.
    """
    if not secret:
        raise InvalidSignature("Webhook secret is not configured.")
    if not header:
        raise InvalidSignature(f"Missing {SIGNATURE_HEADER} header.")
    parts: dict[str, str] = {}
    for part in header.split(","):
        name, separator, value = part.strip().partition("=")
        if not separator or name in parts:
            raise InvalidSignature(f"Malformed {SIGNATURE_HEADER} header.")
        parts[name] = value.strip()
    timestamp_text, digest = parts.get("t", ""), parts.get("s", "")
    if (
        not (timestamp_text.isascii() and timestamp_text.isdigit())
        or len(timestamp_text) > MAX_TIMESTAMP_DIGITS
        or not digest
        or not digest.isascii()
    ):
        raise InvalidSignature(f"Malformed {SIGNATURE_HEADER} header.")
    timestamp = int(timestamp_text)
    if timestamp < now - past_tolerance:
        raise InvalidSignature("Signature timestamp is too old.")
    if timestamp > now + future_tolerance:
        raise InvalidSignature("Signature timestamp is in the future.")
    expected = compute_signature(body=body, secret=secret, timestamp=timestamp)
    if not hmac.compare_digest(expected, digest.lower()):
        raise InvalidSignature("Signature does not match.")
    return timestamp
