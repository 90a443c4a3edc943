"""TikTok's API failing for a minute, then recovering (testing/tiktok.py's fake, a real HTTP server the real
client talks to): 5xx, timeouts (some after TikTok took the send), 40100/429 rate limits, token errors that a
refresh mends, while DMs keep arriving. After recovery every reply reaches TikTok exactly once, throttled sends
backed off, and a permanent no (40001) is not asked again."""

import time
from collections import Counter, defaultdict

from faults.checks import answered_once, assistant_replies, event_states, post_dm
from faults.conftest import running_shop
from faults.harness import ACCESS_TOKEN, Shop, wait_until
from testing.tiktok import CONTENT_LIST_PATH, REFRESH_PATH, SEND_PATH, Reply, error

CUSTOMERS = 6
FAILING_SECONDS = 60
THROTTLED = (40100, 429)
TOKEN_EXPIRED = 40105
OUTBOX_MAX_ATTEMPTS = 9  # the shop's default, set explicitly for this run

FAILURES = (
    Reply(status=503),
    Reply(delay=2.5),  # taken, answered after the read timeout (1.5 s)
    Reply(json=error(40100, "Too many requests")),
    Reply(status=500),
    Reply(status=503, delay=2.5),  # a timeout, and not taken
    Reply(status=429),
    Reply(json=error(TOKEN_EXPIRED, "Access token is invalid or expired.")),
    Reply(json=error(51065, "System error")),
)


def test_tiktok_failing_for_a_minute_then_every_reply_is_delivered_once(
    request, faults_database_url, redis_server, fake_tiktok_api, logs
):
    fake_tiktok_api.accepted_tokens = {ACCESS_TOKEN}
    shop_iterator = running_shop(
        request,
        Shop(
            database_url=faults_database_url, redis_url=redis_server.url, logs=logs,
            tiktok_api=fake_tiktok_api.base_url, TIKTOK_HTTP_TIMEOUT="1,1.5", TIKTOK_ACCESS_TOKEN="",
            TIKTOK_APP_ID="faults-app", OUTBOX_UNCONFIRMED_CHECK_SECONDS="3",
            OUTBOX_MAX_ATTEMPTS=str(OUTBOX_MAX_ATTEMPTS),
        ),
    )  # fmt: skip
    shop = next(shop_iterator)
    try:
        # The token lives in the database (as in production) so a 40105 can be mended by a refresh.
        shop.query(
            "INSERT INTO tiktok_tiktokcredential (id, access_token, refresh_token, last_refresh_error, updated_at) "
            "VALUES (1, %s, 'faults-refresh', '', now()) RETURNING id",
            (ACCESS_TOKEN,),
        )
        run_failing_tiktok(shop, fake_tiktok_api)
    finally:
        next(shop_iterator, None)


def run_failing_tiktok(shop: Shop, fake) -> None:
    shop.start_web()
    shop.start_worker()
    shop.start_scheduler()
    # One customer's reply is refused for good (40001): it must be asked once, then failed.
    assert post_dm(shop, "hi!", user="refused", message_id="refused-0").status == 200
    fake.script(SEND_PATH, Reply(json=error(40001, "No permission")))
    wait_until(lambda: event_states(shop) == {"done": 1}, seconds=30, what="the refused DM handled")
    wait_until(
        lambda: shop.scalar("SELECT count(*) FROM conversations_message WHERE state = 'failed'") == 1,
        seconds=30,
        what="the refused reply failed",
    )
    fake.fail_for(SEND_PATH, FAILING_SECONDS, *FAILURES)
    started = time.monotonic()
    total = 1
    messages = ["hi!", "got any nike jackets in L?", "anything in levis?", "thanks!"]
    for step, text in enumerate(messages):
        for number in range(CUSTOMERS):
            assert post_dm(shop, text, user=f"tt{number}", message_id=f"tt-{number}-{step}").status == 200
            total += 1
        time.sleep(FAILING_SECONDS / len(messages) - 2)  # DMs arrive throughout the failing minute
    wait_until(lambda: time.monotonic() - started >= FAILING_SECONDS, seconds=FAILING_SECONDS, what="the minute")
    recovered = time.monotonic()

    def delivered() -> bool:
        states = Counter(
            state for (state,) in shop.query("SELECT state FROM conversations_message WHERE direction = 'outbound'")
        )
        return (
            event_states(shop) == {"done": total}
            and answered_once(shop, inbound=total)
            and states == Counter({"sent": assistant_replies(shop) - 1, "failed": 1})
        )

    try:
        wait_until(delivered, seconds=120, what="every reply delivered within 2 minutes of recovery")
    except AssertionError:
        print_outbox(shop)
        raise
    after = time.monotonic() - recovered
    calls = fake.calls(SEND_PATH)
    by_key: dict[tuple[str, str], list] = defaultdict(list)
    for call in calls:
        by_key[(call.json["recipient"], call.json["text"]["body"])].append(call)
    copies = Counter(key for key, key_calls in by_key.items() for call in key_calls if call.answered_code == 0)
    rows = Counter(
        shop.query(
            "SELECT c.conversation_id, m.text FROM conversations_message m JOIN conversations_customer c "
            "ON c.tiktok_user_id = m.customer_id WHERE m.direction = 'outbound' AND m.state = 'sent'"
        )
    )
    throttled_gaps = [
        later.at - earlier.at
        for key_calls in by_key.values()
        for earlier, later in zip(key_calls, key_calls[1:], strict=False)
        if earlier.answered_code in THROTTLED or earlier.answered_status in THROTTLED
    ]
    print(
        f"\n{total - 1} DMs during {FAILING_SECONDS} s of failing TikTok: all delivered {after:.0f} s after recovery; "
        f"{len(calls)} send calls, at most {max(len(c) for c in by_key.values())} for one reply, "
        f"copies at TikTok {sorted(Counter(copies.values()).items())}, "
        f"{len(fake.calls(CONTENT_LIST_PATH))} look-ups, {len(fake.calls(REFRESH_PATH))} token refreshes, "
        f"shortest retry after a rate limit {min(throttled_gaps, default=0):.1f} s"
    )
    assert dict(copies) == dict(rows), "a reply reached TikTok other than exactly once"
    refused = [key for key, key_calls in by_key.items() if any(call.answered_code == 40001 for call in key_calls)]
    assert len(refused) == 1 and len(by_key[refused[0]]) == 1, "a permanent error was retried"
    assert throttled_gaps and min(throttled_gaps) >= 1.0, "a rate-limited send was retried at once"
    # No send loops: every call is an attempt the row counted (committed before the call, at most
    # OUTBOX_MAX_ATTEMPTS), or the one resend after a refresh mended a token error (40105) in that attempt. Counted
    # per (recipient, text): two replies with the same words to one customer share the key, and their attempts.
    attempts: Counter = Counter()
    spread: Counter = Counter()
    for conversation, text, tries in shop.query(
        "SELECT c.conversation_id, m.text, m.attempts FROM conversations_message m JOIN conversations_customer c "
        "ON c.tiktok_user_id = m.customer_id WHERE m.direction = 'outbound'"
    ):
        attempts[(conversation, text)] += tries
        assert tries <= OUTBOX_MAX_ATTEMPTS, f"a reply was tried {tries} times"
        spread[tries] += 1
    print(f"replies by tries: {sorted(spread.items())}")
    for key, key_calls in by_key.items():
        resends = sum(1 for call in key_calls if call.answered_code == TOKEN_EXPIRED)
        assert len(key_calls) <= attempts[key] + resends, (
            f"a send looped: {len(key_calls)} calls, {attempts[key]} tries"
        )
    assert len(fake.calls(REFRESH_PATH)) >= 1


def print_outbox(shop: Shop) -> None:
    """What each reply row shows when they were not all delivered in time: the failure's own evidence."""
    for row in shop.query(
        "SELECT id, customer_id, state, attempts, error_code, left(error, 120), updated_at FROM conversations_message "
        "WHERE direction = 'outbound' AND (state <> 'sent' OR attempts > 4) ORDER BY id"
    ):
        print("outbound", *row)
