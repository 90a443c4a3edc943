"""Deliveries and the end-state checks the fault tests share."""

import time
from collections import Counter
from dataclasses import dataclass

import requests

from faults.harness import BUSINESS_ID, SECRET, Shop
from testing.tiktok import FakeTikTok, im_receive_msg_body, sign


@dataclass(frozen=True)
class Delivery:
    status: int
    body: dict
    seconds: float


def post_dm(shop: Shop, text: str, *, user: str, message_id: str, timeout: float = 15) -> Delivery:
    """POST one signed im_receive_msg, as TikTok does; the answer and how long it took."""
    body = im_receive_msg_body(text, user=user, business_id=BUSINESS_ID, message_id=message_id)
    started = time.monotonic()
    response = requests.post(
        f"{shop.url}/webhooks/tiktok",
        data=body,
        headers={"Content-Type": "application/json", "TikTok-Signature": sign(body, SECRET)},
        timeout=timeout,
    )
    return Delivery(response.status_code, response.json(), time.monotonic() - started)


def event_states(shop: Shop) -> dict[str, int]:
    return dict(shop.query("SELECT status, count(*) FROM tiktok_webhookevent GROUP BY status"))


def replies_per_inbound(shop: Shop) -> Counter:
    """How many inbound messages have 0, 1, 2, ... assistant replies in reply to them."""
    rows = shop.query(
        "SELECT count(r.id) FROM conversations_message m LEFT JOIN conversations_message r "
        "ON r.in_reply_to_id = m.id AND r.role = 'assistant' WHERE m.direction = 'inbound' GROUP BY m.id"
    )
    return Counter(count for (count,) in rows)


def unanswered(shop: Shop) -> int:
    """Inbound messages no reply answers: none to them, nor to a later message of the same customer (a customer's
    bubbles that waited together are answered as one turn, in reply to the last of them)."""
    ((count,),) = shop.query(
        "SELECT count(*) FROM conversations_message m WHERE m.direction = 'inbound' AND NOT EXISTS ("
        "SELECT 1 FROM conversations_message r JOIN conversations_message i ON r.in_reply_to_id = i.id "
        "WHERE r.role = 'assistant' AND i.customer_id = m.customer_id AND i.id >= m.id)"
    )
    return count


def assistant_replies(shop: Shop) -> int:
    ((count,),) = shop.query("SELECT count(*) FROM conversations_message WHERE role = 'assistant'")
    return count


def answered_once(shop: Shop, *, inbound: int) -> bool:
    """All `inbound` DMs stored and each answered once: by a reply to it or to a later DM of its customer (one
    turn), and never two replies to one DM."""
    replies = replies_per_inbound(shop)
    return sum(replies.values()) == inbound and unanswered(shop) == 0 and max(replies, default=0) <= 1


def outbound_states(shop: Shop) -> dict[str, int]:
    return dict(
        shop.query("SELECT state, count(*) FROM conversations_message WHERE direction = 'outbound' GROUP BY state")
    )


def all_answered(shop: Shop, *, inbound: int, allow_stuck: bool = False) -> bool:
    """Every event done, `inbound` messages each answered once (`answered_once`), every reply sent (or, when
    allowed, stuck in `sending` after a kill and flagged for the owner)."""
    if event_states(shop) != {"done": inbound}:
        return False
    if not answered_once(shop, inbound=inbound):
        return False
    states = outbound_states(shop)
    if not set(states) <= ({"sent", "sending"} if allow_stuck else {"sent"}):
        return False
    return not allow_stuck or not unflagged_stuck(shop)


def stuck_sending(shop: Shop) -> list[int]:
    return [row[0] for row in shop.query("SELECT id FROM conversations_message WHERE state = 'sending' ORDER BY id")]


def unflagged_stuck(shop: Shop) -> list[int]:
    flagged = {row[0] for row in shop.query("SELECT cause FROM notifications_notification")}
    return [message_id for message_id in stuck_sending(shop) if f"message:{message_id}" not in flagged]


def assert_no_reply_sent_twice(shop: Shop, fake: FakeTikTok) -> None:
    """What reached the fake TikTok API matches the rows: no (conversation, text) more often than rows in
    `sent` or `sending` have it, and every `sent` row reached it."""
    sent_to_tiktok = Counter((send["recipient"], send["text"]["body"]) for send in fake.sends)
    rows = shop.query(
        "SELECT c.conversation_id, m.text, m.state FROM conversations_message m "
        "JOIN conversations_customer c ON c.tiktok_user_id = m.customer_id WHERE m.direction = 'outbound'"
    )
    may_have_gone = Counter((conversation, text) for conversation, text, state in rows if state in ("sent", "sending"))
    went = Counter((conversation, text) for conversation, text, state in rows if state == "sent")
    assert sent_to_tiktok - may_have_gone == Counter(), "a reply reached TikTok more often than it was sent"
    assert went - sent_to_tiktok == Counter(), "a row marked sent never reached TikTok"


def wait_for_answers(shop: Shop, *, inbound: int, since: float, seconds: float, allow_stuck: bool = False) -> float:
    """Wait until `all_answered` or `seconds` past `since` (a `time.monotonic()`); the seconds from `since`."""
    while time.monotonic() < since + seconds and not all_answered(shop, inbound=inbound, allow_stuck=allow_stuck):
        time.sleep(1)
    return time.monotonic() - since


def assert_each_dm_answered_once(shop: Shop, fake: FakeTikTok, *, inbound: int) -> None:
    """Every event done, each of the `inbound` DMs answered once (`answered_once`), every reply sent and none
    twice."""
    assert event_states(shop) == {"done": inbound}
    assert answered_once(shop, inbound=inbound), f"replies per inbound {replies_per_inbound(shop)}"
    assert outbound_states(shop) == {"sent": assistant_replies(shop)}
    assert_no_reply_sent_twice(shop, fake)
