"""OpenAI's API failing or hanging mid-conversation (testing/fake_openai.py, a real HTTP server the official
client talks to): every DM still gets one offline answer in bounded time, and no conversation is left stuck."""

import time
from collections import Counter

from faults.checks import (
    all_answered,
    answered_once,
    assert_no_reply_sent_twice,
    assistant_replies,
    event_states,
    post_dm,
)
from faults.conftest import running_shop
from faults.harness import Shop, wait_until
from testing.fake_openai import FAKE_MODEL, FakeOpenAI, Reply, failure, text

CUSTOMERS = 4
TURN_SECONDS = 6


def test_failing_and_hanging_ai_gets_offline_answers_and_no_conversation_is_stuck(
    request, faults_database_url, redis_server, fake_tiktok_api, logs
):
    with FakeOpenAI() as fake_openai:
        shop_iterator = running_shop(
            request,
            Shop(
                database_url=faults_database_url, redis_url=redis_server.url, logs=logs,
                tiktok_api=fake_tiktok_api.base_url, OPENAI_API_KEY="sk-faults-fake", OPENAI_BASE_URL=fake_openai.base_url,
                OPENAI_MODEL=FAKE_MODEL, AI_TIMEOUT_SECONDS="2", AI_MAX_RETRIES="0", AI_TURN_SECONDS=str(TURN_SECONDS),
            ),
        )  # fmt: skip
        shop = next(shop_iterator)
        try:
            run_conversations(shop, fake_openai, fake_tiktok_api)
        finally:
            next(shop_iterator, None)


def run_conversations(shop: Shop, fake_openai: FakeOpenAI, fake_tiktok) -> None:
    shop.start_web()
    shop.start_worker()
    shop.start_scheduler()
    # First turn of each conversation: the AI answers. Then it fails, hangs past its timeout, answers
    # nonsense; when the script runs out the fake answers 500 to everything.
    fake_openai.script(*[text("Hi! Happy to help you find something.") for _ in range(CUSTOMERS)])
    for number in range(CUSTOMERS):
        assert post_dm(shop, "hi!", user=f"ai{number}", message_id=f"ai-{number}-0").status == 200
    wait_until(lambda: all_answered(shop, inbound=CUSTOMERS), seconds=60, what="the AI's first answers")
    fake_openai.script(
        failure(500), Reply(delay=30, json={}), Reply(body=b"not json"), failure(429), Reply(delay=30, json={})
    )
    started = time.monotonic()
    total = CUSTOMERS
    for step, message in enumerate(["got any nike jackets in L?", "anything in levis?", "thanks!"], start=1):
        for number in range(CUSTOMERS):
            assert post_dm(shop, message, user=f"ai{number}", message_id=f"ai-{number}-{step}").status == 200
        total += CUSTOMERS
    # Each turn is bounded by AI_TURN_SECONDS; with a conversation's turns one after another, three turns each.
    wait_until(lambda: all_answered(shop, inbound=total), seconds=3 * TURN_SECONDS + 60, what="every DM answered")
    print(
        f"\n{total - CUSTOMERS} DMs answered {time.monotonic() - started:.0f} s after they were sent, with the AI failing"
    )
    assert event_states(shop) == {"done": total}
    assert answered_once(shop, inbound=total)
    models = Counter(
        model for (model,) in shop.query("SELECT ai_model FROM conversations_message WHERE direction = 'outbound'")
    )
    print(f"replies by model (empty: offline): {dict(models)}")
    # A customer's DMs that waited together (the AI failing slowly) are answered as one turn, offline.
    assert models[FAKE_MODEL] == CUSTOMERS and models[""] == assistant_replies(shop) - CUSTOMERS
    assert_no_reply_sent_twice(shop, fake_tiktok)
    assert shop.scalar("SELECT count(*) FROM conversations_customer WHERE handoff_requested_at IS NOT NULL") == 0
