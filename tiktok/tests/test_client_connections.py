"""The client keeps its connections to TikTok alive: one worker thread's sends share one connection (one TLS
handshake per thread in production, not one per message)."""

import threading

from testing.tiktok import TEST_ACCESS_TOKEN, TEST_BUSINESS_ID, FakeTikTok
from tiktok.client import TikTokClient


def _send_three(base_url: str) -> None:
    for number in range(3):
        TikTokClient(access_token=TEST_ACCESS_TOKEN, base_url=base_url).send_text(
            business_id=TEST_BUSINESS_ID, conversation_id="conv-anna", text=f"message {number}"
        )


def _kept_alive_fake() -> FakeTikTok:
    fake = FakeTikTok()
    fake.protocol_version = "HTTP/1.1"  # a server that keeps connections open, as TikTok's does
    return fake


def test_sends_from_one_thread_share_one_connection():
    with _kept_alive_fake() as fake:
        _send_three(fake.base_url)

    calls = fake.calls()
    assert [call.answered_code for call in calls] == [0, 0, 0]
    assert len({call.client_port for call in calls}) == 1


def test_each_thread_has_its_own_connection():
    with _kept_alive_fake() as fake:
        threads = [threading.Thread(target=_send_three, args=(fake.base_url,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    calls = fake.calls()
    assert len(calls) == 6
    assert len({call.client_port for call in calls}) == 2


def test_a_connection_the_server_closed_is_replaced_without_losing_the_send():
    with _kept_alive_fake() as first:
        _send_three(first.base_url)
    with _kept_alive_fake() as second:  # the first server is gone: its pooled connection is dead
        _send_three(second.base_url)
    assert [call.answered_code for call in second.calls()] == [0, 0, 0]
