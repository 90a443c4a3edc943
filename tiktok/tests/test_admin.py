"""The admin's inbox (webhook events, replay) and the stored TikTok tokens."""

import pytest
from django.urls import reverse

from conversations.models import Customer
from testing.tiktok import im_receive_msg_body, post_webhook
from tiktok.models import TikTokCredential, WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]

EVENTS = reverse("admin:tiktok_webhookevent_changelist")


def test_inbox_filters_by_status_and_shows_the_decoded_body(admin_client):
    post_webhook(admin_client, im_receive_msg_body("the denim jacket?", message_id="in-1"))
    post_webhook(admin_client, im_receive_msg_body("x", message_id="other-biz", business_id="someone-else"))
    event = WebhookEvent.objects.get(tiktok_message_id="in-1")

    done = admin_client.get(EVENTS, {"status__exact": "done"}).content.decode()
    detail = admin_client.get(reverse("admin:tiktok_webhookevent_change", args=[event.pk])).content.decode()

    assert "other-biz" in done and "in-1" not in done
    assert "For another business (user_openid does not match)." in done
    assert "the denim jacket?" in detail


def test_inbox_names_events_in_words_and_links_the_customer(admin_client):
    customer = Customer.objects.create(tiktok_user_id="tt-anna", username="buyer_anna", conversation_id="conv-anna")
    post_webhook(
        admin_client, im_receive_msg_body("hello", message_id="in-1", conversation_id="conv-anna", user_id="tt-anna")
    )

    listed = admin_client.get(EVENTS).content.decode()

    assert '<td class="field-event_in_words">Customer wrote</td>' in listed
    assert f'<a href="{reverse("admin:conversations_customer_change", args=[customer.pk])}">{customer}</a>' in listed


def test_retry_action_reopens_the_event_for_handling(admin_client, django_capture_on_commit_callbacks):
    post_webhook(admin_client, im_receive_msg_body("hello", message_id="in-1"))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(status="failed", last_error="boom")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(EVENTS, {"action": "retry", "_selected_action": [event.pk]}, follow=True)

    event.refresh_from_db()
    assert (event.status, event.last_error) == ("received", "")
    assert len(callbacks) == 1
    assert "Handling 1 event(s) again." in response.content.decode()


def test_tokens_are_stored_from_the_admin_and_shown_as_in_use(admin_client, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""

    response = admin_client.post(
        reverse("admin:tiktok_tiktokcredential_add"),
        {"access_token": " act-123456 ", "refresh_token": "rft-1", "access_token_expires_at_0": "", "access_token_expires_at_1": "",
         "refresh_token_expires_at_0": "", "refresh_token_expires_at_1": ""},
    )  # fmt: skip

    assert response.status_code == 302
    credential = TikTokCredential.objects.get()
    assert (credential.access_token, credential.refresh_token) == ("act-123456", "rft-1")
    listing = admin_client.get(reverse("admin:tiktok_tiktokcredential_changelist")).content.decode()
    assert "…3456" in listing and "Yes" in listing
    assert admin_client.get(reverse("admin:tiktok_tiktokcredential_add")).status_code == 403
