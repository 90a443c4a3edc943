"""The admin's list of Stripe's events: read-only, what each did or why it failed, and Retry."""

from typing import Any

import pytest
from django.urls import reverse

from orders.models import StripeEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dramatiq_broker")]

EVENTS = reverse("admin:orders_stripeevent_changelist")


def _event(event_id: str, **fields) -> StripeEvent:
    payload: dict[str, Any] = {"id": event_id, "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}
    return StripeEvent.objects.create(event_id=event_id, event_type=payload["type"], payload=payload, **fields)


def test_the_list_shows_what_each_event_did_or_why_it_failed_and_its_page_the_payload(admin_client):
    _event("evt_done", status="done", attempts=1, outcome="payment recorded")
    failed = _event("evt_failed", status="failed", attempts=2, last_error="Busy: try again")

    listed = admin_client.get(EVENTS).content.decode()
    only_failed = admin_client.get(EVENTS, {"status__exact": "failed"}).content.decode()
    page = admin_client.get(reverse("admin:orders_stripeevent_change", args=[failed.pk])).content.decode()

    assert '<td class="field-result">payment recorded</td>' in listed
    assert '<td class="field-result">Busy: try again</td>' in listed
    assert "evt_failed" in only_failed and "evt_done" not in only_failed
    assert "&quot;cs_1&quot;" in page
    assert admin_client.get(reverse("admin:orders_stripeevent_add")).status_code == 403


def test_retry_reopens_the_selected_events_and_sends_them_once_committed(
    admin_client, django_capture_on_commit_callbacks
):
    failed = _event("evt_failed", status="failed", attempts=5, last_error="KeyError: 'id'")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(EVENTS, {"action": "retry", "_selected_action": [failed.pk]}, follow=True)

    assert list(StripeEvent.objects.values_list("status", "attempts", "last_error", "next_attempt_at")) == [
        ("received", 5, "", None)
    ]
    assert len(callbacks) == 1
    assert "Handling 1 event(s) again." in response.content.decode()
