"""Every admin URL, found by walking the URL resolver (so a new admin page is covered without touching this
file), is closed to anonymous visitors and to logged-in users who are not staff."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# The login page is public by design; logging out sends a visitor without a session to the admin home.
OPEN_BY_DESIGN = {"admin:login"}


def _walk(patterns: list, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        route = prefix + _route(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}" if pattern.name else route, route


def _route(pattern: object) -> str:
    """A concrete path for one piece of a URL pattern: a route's <converters> and a regex's groups filled in."""
    text = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")
    # (?P<app_label>auth|inventory|...) → the first choice; (?P<url>.*) → any path.
    text = re.sub(r"\(\?P<\w+>([^|)]*)[^)]*\)", lambda match: "anything" if match[1] == ".*" else match[1], text)
    return re.sub(r"<(?:\w+:)?\w+>", "1", text)


def admin_urls() -> list[tuple[str, str]]:
    found = [(name, "/" + route) for name, route in _walk(get_resolver().url_patterns) if route.startswith("admin/")]
    return sorted(set(found))


ADMIN_URLS = admin_urls()


def test_the_walk_finds_the_shops_admin_pages():
    names = {name for name, _ in ADMIN_URLS}

    assert len(ADMIN_URLS) > 50
    assert {
        "admin:index",
        "admin:inventory_item_changelist",
        "admin:inventory_item_change",
        "admin:orders_order_changelist",
        "admin:conversations_customer_change",
        "admin:tiktok_webhookevent_changelist",
        "admin:app_list",
    } <= names
    assert ("admin:inventory_item_change", "/admin/inventory/item/1/change/") in ADMIN_URLS


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "url"), [entry for entry in ADMIN_URLS if entry[0] not in OPEN_BY_DESIGN])
def test_anonymous_visitors_are_sent_to_the_login(client, method, name, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302, (name, url)
    expected = reverse("admin:index") if name == "admin:logout" else reverse("admin:login")
    assert response["Location"].startswith(expected), (name, url, response["Location"])


@pytest.mark.parametrize(("name", "url"), [entry for entry in ADMIN_URLS if entry[0] not in OPEN_BY_DESIGN])
def test_logged_in_users_who_are_not_staff_are_refused(name, url):
    customer_account = get_user_model().objects.create_user("not-staff", password="whatever-1234")
    client = Client()
    client.force_login(customer_account)

    response = client.get(url)

    if response.status_code == 302:
        expected = reverse("admin:index") if name == "admin:logout" else reverse("admin:login")
        assert response["Location"].startswith(expected), (name, url, response["Location"])
    else:
        assert response.status_code == 403, (name, url, response.status_code)
