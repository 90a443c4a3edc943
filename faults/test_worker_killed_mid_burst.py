"""A worker SIGKILLed in the middle of bursts' turns (customers who each wrote three bubbles at once, answered by a
slow AI): with no command run by hand, once the scheduler's sweep has sent the events to the worker left, each
burst is answered once, in one reply that reads all three bubbles — nothing twice, nothing skipped."""

import threading
import time
from typing import Any

from faults.checks import answered_once, assert_no_reply_sent_twice, assistant_replies, event_states, post_dm
from faults.conftest import running_shop
from faults.harness import Shop, wait_until
from testing.fake_openai import FAKE_MODEL, FakeOpenAI, respond, text

CUSTOMERS = 6
BUBBLES = ("hi!", "got any nike jackets", "in L?")
SLOW_SECONDS = 4  # how long the AI takes to answer until the kill
RECOVERY_SECONDS = 150


def test_a_worker_killed_mid_burst_leaves_each_burst_answered_once_in_one_reply(
    request: Any, faults_database_url: str, redis_server: Any, fake_tiktok_api: Any, logs: Any
) -> None:
    slow = threading.Event()
    slow.set()

    def echo(completion: dict[str, Any]) -> Any:
        said = completion["messages"][-1]["content"]
        return text(f"Here is what you asked: {said}", delay=SLOW_SECONDS if slow.is_set() else 0)

    with FakeOpenAI() as fake_openai:
        fake_openai.script(*[respond(echo) for _ in range(100)])
        shop_iterator = running_shop(
            request,
            Shop(
                database_url=faults_database_url, redis_url=redis_server.url, logs=logs,
                tiktok_api=fake_tiktok_api.base_url, OPENAI_API_KEY="sk-faults-fake", OPENAI_BASE_URL=fake_openai.base_url,
                OPENAI_MODEL=FAKE_MODEL, AI_TIMEOUT_SECONDS="10", AI_MAX_RETRIES="0", AI_TURN_SECONDS="20",
            ),
        )  # fmt: skip
        shop = next(shop_iterator)
        try:
            kill_mid_burst(shop, fake_openai, slow)
            check_each_burst_answered_once(shop, fake_tiktok_api)
        finally:
            next(shop_iterator, None)


def kill_mid_burst(shop: Shop, fake_openai: FakeOpenAI, slow: threading.Event) -> None:
    shop.start_web()
    worker = shop.start_worker("worker-a")
    shop.start_scheduler()
    for number in range(CUSTOMERS):
        for step, bubble in enumerate(BUBBLES):
            assert post_dm(shop, bubble, user=f"burst{number}", message_id=f"burst-{number}-{step}").status == 200
    # The worker is inside its first turns (waiting on the slow AI) when it is killed.
    wait_until(lambda: len(fake_openai.requests) >= 2, seconds=30, what="turns under way")
    time.sleep(1)
    worker.kill()
    killed_at = time.monotonic()
    print(f"\nSIGKILLed the worker with {len(fake_openai.requests)} AI requests made")
    slow.clear()
    shop.start_worker("worker-b")
    total = CUSTOMERS * len(BUBBLES)
    wait_until(
        lambda: event_states(shop) == {"done": total} and answered_once(shop, inbound=total),
        seconds=RECOVERY_SECONDS,
        what="every burst answered after the kill",
        every=1,
    )
    print(f"every burst answered {time.monotonic() - killed_at:.0f} s after the kill")


def check_each_burst_answered_once(shop: Shop, fake_tiktok_api: Any) -> None:
    wait_until(
        lambda: (
            shop.scalar("SELECT count(*) FROM conversations_message WHERE role = 'assistant' AND state <> 'sent'") == 0
        ),
        seconds=30,
        what="every reply sent",
    )
    assert assistant_replies(shop) == CUSTOMERS  # one reply per burst
    replies = shop.query(
        "SELECT c.username, m.text FROM conversations_message m JOIN conversations_customer c "
        "ON c.tiktok_user_id = m.customer_id WHERE m.role = 'assistant'"
    )
    for username, reply in replies:
        missing = [bubble for bubble in BUBBLES if bubble not in reply]
        assert missing == [], f"{username}'s reply does not read {missing}: {reply!r}"
    assert_no_reply_sent_twice(shop, fake_tiktok_api)
