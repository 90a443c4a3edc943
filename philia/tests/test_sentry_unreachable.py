"""A Sentry that cannot be reached never slows the shop: real gunicorn and `rundramatiq` processes
(philia/tests/shop_processes.py) with SENTRY_DSN pointing at a closed port, an error reported before each DM,
answer DMs as fast as the same processes without Sentry, run side by side."""

import statistics
import time

import pytest
import requests

from faults.harness import free_port, wait_until
from philia.tests.shop_processes import BUSINESS_ID, TIKTOK_SECRET, ShopProcesses, shop_env, start_shop
from testing.tiktok import FakeTikTok, conversation_id_for, im_receive_msg_body, sign

DMS = 16


def answer_seconds(shop: ShopProcesses, fake_tiktok: FakeTikTok, *, user: str) -> float:
    """An error for Sentry (a failing request), then a DM from `user`: seconds from posting the DM to its reply
    reaching TikTok."""
    requests.post(f"{shop.url}/failing/orders/1/question", json={"text": "hi", "username": user}, timeout=10)
    body = im_receive_msg_body("hi, anything new in?", user=user, business_id=BUSINESS_ID)
    started = time.time()
    response = requests.post(
        f"{shop.url}/webhooks/tiktok", data=body, timeout=10,
        headers={"TikTok-Signature": sign(body, TIKTOK_SECRET), "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    conversation = conversation_id_for(user)
    [reply, *_] = wait_until(
        lambda: [call for call in fake_tiktok.calls() if (call.json or {}).get("recipient") == conversation],
        seconds=30, what=f"the reply to {user}", every=0.005,
    )  # fmt: skip
    return reply.at - started


@pytest.mark.slow
# transaction=True: the shop's processes write the DMs' rows in the test database.
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_sentry_leaves_dms_answered_at_their_usual_speed(fake_tiktok, tmp_path) -> None:
    closed_port = free_port()  # nothing listens there: every send to Sentry is refused
    tiktok = {"TIKTOK_API_BASE": fake_tiktok.base_url}
    shops = {
        "without Sentry": start_shop(shop_env(**tiktok), tmp_path),
        "Sentry unreachable": start_shop(
            shop_env(**tiktok, SENTRY_DSN=f"http://key@127.0.0.1:{closed_port}/1"), tmp_path
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in shops}
    try:
        for number in range(DMS):
            # In turn, first one then the other, so that whatever else loads the machine weighs on both alike.
            for name in sorted(shops, reverse=number % 2 == 1):
                seconds[name].append(answer_seconds(shops[name], fake_tiktok, user=f"{name}-{number}"))
    finally:
        for shop in shops.values():
            shop.stop()

    usual, unreachable = (statistics.median(seconds[name]) for name in shops)
    print(
        f"\nDM to reply, median of {DMS}: {usual * 1000:.0f} ms without Sentry, "
        f"{unreachable * 1000:.0f} ms with Sentry unreachable"
    )
    assert unreachable < usual * 1.5 + 0.05
