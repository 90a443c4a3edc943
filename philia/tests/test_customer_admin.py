from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Customer
from conversations.services import pause_bot
from orders.services import place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:conversations_customer_changelist")


def test_staff_find_customers_and_see_the_bot_status(admin_client):
    make_customer("tt-1", username="vintagefan", display_name="Vintage Fan")
    pause_bot(customer=make_customer("tt-2", username="quietone"))

    listed = admin_client.get(CHANGELIST).content.decode()
    searched = admin_client.get(CHANGELIST, {"q": "Vintage Fan"}).content.decode()

    assert "vintagefan" in listed and "active" in listed and "paused until resumed" in listed
    assert "vintagefan" in searched and "quietone" not in searched


def test_customer_page_shows_current_holds(admin_client):
    customer = make_customer("tt-1")
    make_item("VNT-NIKE-WB-001", held_by=customer, held_until=timezone.now() + timedelta(hours=2))
    make_item("RUN-OUT-2", held_by=customer, held_until=timezone.now() - timedelta(hours=2))

    response = admin_client.get(reverse("admin:conversations_customer_change", args=["tt-1"]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "VNT-NIKE-WB-001" in content and "RUN-OUT-2" not in content


def test_pause_and_resume_actions_go_through_the_services(admin_client):
    make_customer("tt-1")

    admin_client.post(CHANGELIST, {"action": "pause_bot", "_selected_action": ["tt-1"]})
    paused = Customer.objects.get().is_bot_paused()
    admin_client.post(CHANGELIST, {"action": "resume_bot", "_selected_action": ["tt-1"]})

    assert paused is True
    assert Customer.objects.get().bot_paused_until is None


def test_customer_page_lists_their_orders_with_links(admin_client):
    customer = make_customer("tt-1", username="vintagefan")
    make_item("VNT-NIKE-WB-001", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    order = place_order(customer=customer)
    make_customer("tt-2", username="nobuyer")

    page = admin_client.get(reverse("admin:conversations_customer_change", args=["tt-1"])).content.decode()
    empty = admin_client.get(reverse("admin:conversations_customer_change", args=["tt-2"])).content.decode()
    listed = admin_client.get(CHANGELIST).content.decode()

    assert (
        f'<a href="{reverse("admin:orders_order_change", args=[order.pk])}">Order #{order.pk}</a> · Awaiting payment · $45.00'
        in page
    )
    assert "No orders yet." in empty
    assert '<td class="field-orders_count">1</td>' in listed and '<td class="field-orders_count">0</td>' in listed


def test_customers_who_asked_for_a_person_are_one_filter_away(admin_client):
    make_customer("tt-1", username="wantsaperson", handoff_requested_at=timezone.now())
    make_customer("tt-2", username="happywithbot")

    waiting = admin_client.get(CHANGELIST, {"asked_for_person": "yes"}).content.decode()

    assert "@wantsaperson" in waiting and "@happywithbot" not in waiting


def test_customer_page_says_when_they_asked_for_a_person_and_resumes_the_bot_from_there(admin_client):
    customer = make_customer("tt-1", handoff_requested_at=timezone.now())
    pause_bot(customer=customer)
    url = reverse("admin:conversations_customer_change", args=["tt-1"])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(CHANGELIST, {"action": "resume_bot", "_selected_action": ["tt-1"], "_back_to": url})

    asked_at = timezone.localtime(customer.handoff_requested_at)
    assert (
        "Asked for a person at" in page and f"{asked_at:%Y-%m-%d %H:%M}" in page and "Handoff requested at" not in page
    )
    assert 'value="resume_bot"' in page and 'value="pause_bot"' not in page
    assert response.url == url
    assert Customer.objects.get().handoff_requested_at is None and not Customer.objects.get().is_bot_paused()
