"""Each worker thread's HTTP session to TikTok reads the environment's proxy settings once: with none set, requests
is not asked to read the environment again on every send; with one set, requests applies it (and NO_PROXY) as
usual."""

import threading

import pytest

from tiktok.client import thread_session


def _session_of_a_new_thread():
    made = []
    thread = threading.Thread(target=lambda: made.append(thread_session()))
    thread.start()
    thread.join()
    return made[0]


@pytest.fixture
def no_proxy_environment(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_proxy_the_environment_is_read_once(no_proxy_environment, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/shop-ca.pem")
    session = _session_of_a_new_thread()
    assert session.trust_env is False
    assert session.verify == "/etc/ssl/shop-ca.pem"


def test_with_a_proxy_requests_applies_the_environment_itself(no_proxy_environment, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = _session_of_a_new_thread()
    assert session.trust_env is True


def test_a_thread_keeps_its_session():
    assert thread_session() is thread_session()
