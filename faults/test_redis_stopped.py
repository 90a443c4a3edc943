"""Redis stopped while DMs arrive: every delivery is still answered 200 and stored, quickly; once Redis is back
(empty, as after a crash), the workers and the scheduler carry on by themselves and the sweep gets every DM
answered within two minutes, with no command run by hand."""

import time

import requests

from faults.checks import all_answered, assert_each_dm_answered_once, post_dm, wait_for_answers
from faults.harness import wait_until

BEFORE, DURING = 10, 30
RECOVERY_SECONDS = 120
# No waiting out a timeout per request: the first enqueue after the outage fails at once (refused) or within
# REDIS_SOCKET_TIMEOUT, then the circuit skips the broker.
MAX_ANSWER_SECONDS = 1.5


def test_redis_outage_loses_no_delivery_and_everything_is_answered_after_it(shop, redis_server, fake_tiktok_api):
    shop.start_web()
    worker = shop.start_worker()
    scheduler = shop.start_scheduler()
    for number in range(BEFORE):
        assert post_dm(shop, "hi!", user=f"early{number}", message_id=f"early-{number}").status == 200
    wait_until(lambda: all_answered(shop, inbound=BEFORE), seconds=60, what="the DMs before the outage answered")

    redis_server.stop()
    outage_started = time.monotonic()
    during = [
        post_dm(shop, "got any levis?", user=f"late{number % 10}", message_id=f"late-{number}")
        for number in range(DURING)
    ]
    health = requests.get(f"{shop.url}/health", timeout=10)
    time.sleep(max(0.0, outage_started + 20 - time.monotonic()))  # Redis down for 20 s in all
    redis_server.start()
    back = time.monotonic()

    times = sorted(delivery.seconds for delivery in during)
    print(
        f"\nwebhook answers with Redis down: max {times[-1] * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.0f} ms"
    )
    assert [delivery.status for delivery in during] == [200] * DURING
    assert {delivery.body["status"] for delivery in during} == {"accepted"}
    assert times[-1] < MAX_ANSWER_SECONDS
    assert health.status_code == 503 and health.json()["broker"] == "down"
    assert shop.scalar("SELECT count(*) FROM tiktok_webhookevent") == BEFORE + DURING

    recovered_after = wait_for_answers(shop, inbound=BEFORE + DURING, since=back, seconds=RECOVERY_SECONDS)
    print(f"every DM answered {recovered_after:.0f} s after Redis came back")
    assert_each_dm_answered_once(shop, fake_tiktok_api, inbound=BEFORE + DURING)
    assert worker.alive() and scheduler.alive(), "a process died with Redis"
    # The scheduler took its lock again and the sweeps run: /health is 200 again.
    wait_until(lambda: requests.get(f"{shop.url}/health", timeout=5).status_code == 200, seconds=30, what="/health 200")
