"""The owner's steps in the admin: answering a waiting customer, resuming the bot, destructive steps asked first."""

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Customer
from conversations.services import request_handoff
from orders.models import Order
from orders.services import place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("tiktok_settings")
def test_replying_from_the_admin_answers_a_waiting_customer_and_the_bot_stays_paused(admin_client):
    customer = make_customer("anna-id", username="anna", conversation_id="conv", last_inbound_at=timezone.now())
    request_handoff(customer=customer)
    url = reverse("admin:conversations_message_reply", args=["anna-id"])

    page = admin_client.get(url).content.decode()
    admin_client.post(url, {"text": "Hi, it's the owner here!"})

    customer = Customer.objects.get()
    assert "Asked for a person at" in page and 'value="resume_bot"' in page
    assert customer.handoff_requested_at is None and customer.is_bot_paused()


def test_resume_the_bot_from_the_reply_page_comes_back_to_it(admin_client):
    make_customer("anna-id", bot_paused_until=timezone.now() + timedelta(days=3650))
    reply_url = reverse("admin:conversations_message_reply", args=["anna-id"])

    response = admin_client.post(
        reverse("admin:conversations_customer_changelist"),
        {"action": "resume_bot", "_selected_action": ["anna-id"], "_back_to": reply_url},
    )

    assert response.status_code == 302 and response.url == reply_url
    assert not Customer.objects.get().is_bot_paused()
    assert 'value="resume_bot"' not in admin_client.get(reply_url).content.decode()


def _pending_order() -> Order:
    customer = make_customer("anna-id", username="anna")
    make_item("VNT-NIKE-WB-001", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    return place_order(customer=customer)


def test_cancelling_from_the_order_page_asks_first_and_only_yes_cancels(admin_client):
    order = _pending_order()
    page_url = reverse("admin:orders_order_change", args=[order.pk])
    posted = {"action": "cancel_orders", "_selected_action": [order.pk], "_back_to": page_url, "_ask_first": "yes"}

    asked = admin_client.post(reverse("admin:orders_order_changelist"), posted)
    status_after_asking = Order.objects.get().status
    confirmed = {key: value for key, value in posted.items() if key != "_ask_first"}
    done = admin_client.post(reverse("admin:orders_order_changelist"), confirmed)

    content = asked.content.decode()
    assert asked.status_code == 200 and "Cancel 1 order(s)? Their items go back on sale." in content
    assert f'<a href="{page_url}" class="button cancel-link">No, go back</a>' in content
    assert status_after_asking == "pending"
    assert done.status_code == 302 and done.url == page_url and Order.objects.get().status == "cancelled"


def test_the_order_page_puts_its_steps_first_and_cancel_apart(admin_client):
    order = _pending_order()

    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    steps = page.index('class="submit-row step-buttons"')
    assert steps < page.index('<fieldset class="module aligned')
    assert page.index('value="mark_paid"') < page.index('class="step-danger"') < page.index('value="cancel_orders"')
    assert 'name="_ask_first" value="yes"' in page[steps : page.index('value="cancel_orders"')]


def test_releasing_holds_from_the_list_asks_first(admin_client):
    customer = make_customer("anna-id")
    item = make_item("VNT-NIKE-WB-001", held_by=customer, held_until=timezone.now() + timedelta(hours=1))

    listed = admin_client.get(reverse("admin:inventory_item_changelist")).content.decode()
    asked = admin_client.post(
        reverse("admin:inventory_item_changelist"),
        {"action": "release_holds", "_selected_action": [item.pk], "_ask_first": "yes"},
    )

    assert 'name="_ask_first" value="yes"' in listed
    assert "Release 1 hold(s)? The items go back on sale for anyone." in asked.content.decode()
    item.refresh_from_db()
    assert item.status == "reserved"


def test_a_customer_page_has_no_delete_nor_save_and_add_another(admin_client):
    make_customer("anna-id")

    page = admin_client.get(reverse("admin:conversations_customer_change", args=["anna-id"])).content.decode()

    assert 'name="_addanother"' not in page and "deletelink" not in page
    assert admin_client.get(reverse("admin:conversations_customer_delete", args=["anna-id"])).status_code == 403


def test_dates_are_written_one_way_in_the_shops_time_zone(settings, admin_client):
    settings.TIME_ZONE = "Europe/Paris"
    make_customer("anna-id", username="anna", last_inbound_at=timezone.datetime(2025, 3, 7, 13, 5, tzinfo=UTC))

    listed = admin_client.get(reverse("admin:conversations_customer_changelist")).content.decode()

    assert '<td class="field-last_message_at nowrap">2025-03-07 14:05</td>' in listed
