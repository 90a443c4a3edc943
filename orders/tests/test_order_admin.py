from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from inventory.models import Item
from orders.models import Offer, Order
from orders.services import mark_paid, place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def order() -> Order:
    customer = make_customer("tt-1", username="vintagefan")
    make_item("VNT-NIKE-WB-001", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    return place_order(customer=customer)


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_staff_see_orders_and_find_them_by_customer_or_sku(admin_client, order):
    listed = admin_client.get(CHANGELIST)
    by_username = admin_client.get(CHANGELIST, {"q": "vintagefan"}).content.decode()
    by_sku = admin_client.get(CHANGELIST, {"q": "VNT-NIKE"}).content.decode()
    by_other = admin_client.get(CHANGELIST, {"q": "nobody"}).content.decode()

    assert listed.status_code == 200
    assert "VNT-NIKE-WB-001" in listed.content.decode() and "45.00" in listed.content.decode()
    assert f"Order #{order.pk}" in by_username and f"Order #{order.pk}" in by_sku
    assert f"Order #{order.pk}" not in by_other


def test_order_page_shows_its_items_at_the_price_paid_and_its_history(admin_client, order):
    Item.objects.update(price="99.00")

    content = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "VNT-NIKE-WB-001" in content and "45.00" in content and "placed" in content


def test_mark_paid_action_goes_through_the_service(admin_client, order):
    response = admin_client.post(
        CHANGELIST, {"action": "mark_paid", "_selected_action": [order.pk], "apply": "yes"}, follow=True
    )

    assert Order.objects.get().status == Order.Status.PAID
    assert messages_of(response) == [("success", "Marked 1 order(s) paid.")]


def test_mark_paid_twice_shows_the_refusal(admin_client, order):
    mark_paid(order=order)

    response = admin_client.post(
        CHANGELIST, {"action": "mark_paid", "_selected_action": [order.pk], "apply": "yes"}, follow=True
    )

    assert messages_of(response) == [
        ("error", f"Order #{order.pk}: Order #{order.pk} is paid; it cannot be marked paid.")
    ]


def test_mark_shipped_asks_for_tracking_numbers_then_ships(admin_client, order):
    mark_paid(order=order)

    form = admin_client.post(CHANGELIST, {"action": "mark_shipped", "_selected_action": [order.pk]})
    shipped = admin_client.post(
        CHANGELIST,
        {"action": "mark_shipped", "_selected_action": [order.pk], "apply": "yes", f"tracking_{order.pk}": "1Z999"},
        follow=True,
    )

    assert form.status_code == 200 and f'name="tracking_{order.pk}"' in form.content.decode()
    assert (Order.objects.get().status, Order.objects.get().tracking_number) == (Order.Status.SHIPPED, "1Z999")
    assert messages_of(shipped) == [("success", "Marked 1 order(s) shipped.")]


def test_mark_shipped_without_a_tracking_number_is_refused(admin_client, order):
    mark_paid(order=order)

    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_shipped", "_selected_action": [order.pk], "apply": "yes", f"tracking_{order.pk}": " "},
        follow=True,
    )

    assert Order.objects.get().status == Order.Status.PAID
    assert messages_of(response)[0][0] == "error"


def test_cancel_action_puts_the_items_back_on_sale(admin_client, order):
    admin_client.post(CHANGELIST, {"action": "cancel_orders", "_selected_action": [order.pk]})

    assert Order.objects.get().status == Order.Status.CANCELLED
    assert Item.objects.get().status == Item.Status.AVAILABLE


def test_offers_list_opens(admin_client):
    assert admin_client.get(reverse("admin:orders_offer_changelist")).status_code == 200


def test_offers_list_shows_the_offer_beside_the_price_and_links_the_customer(admin_client):
    customer = make_customer("tt-1", username="haggler")
    Offer.objects.create(customer=customer, item=make_item("VNT-NIKE-WB-001", price="45.00"), amount="35.00")

    listed = admin_client.get(reverse("admin:orders_offer_changelist")).content.decode()

    assert '<td class="field-offered">$35.00</td>' in listed and '<td class="field-price_now">$45.00</td>' in listed
    assert f'<a href="{reverse("admin:conversations_customer_change", args=["tt-1"])}">@haggler</a>' in listed


def test_order_list_links_the_customer_and_shows_dollars(admin_client, order):
    listed = admin_client.get(CHANGELIST).content.decode()

    assert f'<a href="{reverse("admin:conversations_customer_change", args=["tt-1"])}">@vintagefan</a>' in listed
    assert '<td class="field-total_in_dollars">$45.00</td>' in listed


def test_order_page_offers_its_next_steps_as_buttons_instead_of_save(admin_client, order):
    url = reverse("admin:orders_order_change", args=[order.pk])

    pending = admin_client.get(url).content.decode()
    mark_paid(order=order)
    paid = admin_client.get(url).content.decode()

    assert 'name="_save"' not in pending and 'name="_continue"' not in pending
    assert 'name="total"' not in pending and 'name="customer"' not in pending  # nothing on the order can be typed over
    assert (
        'value="mark_paid"' in pending and 'value="cancel_orders"' in pending and 'value="mark_shipped"' not in pending
    )
    assert 'value="mark_shipped"' in paid and 'value="mark_paid"' not in paid
    assert f"Order #{order.pk} · Paid" in paid and "Still in the order" in paid and "$45.00" in paid


def test_mark_paid_button_on_the_order_page_returns_to_the_order(admin_client, order):
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "mark_paid",
            "_selected_action": [order.pk],
            "apply": "yes",
            "_back_to": reverse("admin:orders_order_change", args=[order.pk]),
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:orders_order_change", args=[order.pk])
    assert Order.objects.get().status == Order.Status.PAID


def test_an_action_never_sends_the_owner_to_another_site(admin_client, order):
    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_paid", "_selected_action": [order.pk], "apply": "yes", "_back_to": "//evil.example/"},
    )

    assert response.url == CHANGELIST


def test_mark_shipped_form_asks_no_tracking_number_for_an_unpaid_order(admin_client, order):
    form = admin_client.post(CHANGELIST, {"action": "mark_shipped", "_selected_action": [order.pk]}).content.decode()

    assert f'name="tracking_{order.pk}"' not in form
    assert "Not paid yet: left as it is" in form


def test_each_step_form_asks_only_about_the_orders_it_applies_to(admin_client, order):
    other = make_customer("tt-2", username="second")
    make_item("VNT-LEVI-501-002", price="38.00", held_by=other, held_until=timezone.now() + timedelta(hours=1))
    paid = mark_paid(order=place_order(customer=other))
    both = {"_selected_action": [order.pk, paid.pk]}

    paying = admin_client.post(CHANGELIST, {"action": "mark_paid", **both}).content.decode()
    shipping = admin_client.post(CHANGELIST, {"action": "mark_shipped", **both}).content.decode()

    assert f'name="amount_{order.pk}"' in paying and f'name="amount_{paid.pk}"' not in paying
    assert "Not awaiting payment: left as it is" in paying and 'value="Mark paid"' in paying
    assert f'name="tracking_{paid.pk}"' in shipping and f'name="tracking_{order.pk}"' not in shipping
    assert "Not paid yet: left as it is" in shipping and 'value="Mark shipped"' in shipping
    assert paying.count('name="_selected_action"') == 1 and shipping.count('name="_selected_action"') == 1
    assert "<title>Mark orders paid |" in paying and "<title>Mark orders shipped |" in shipping


def _labels(page: str) -> set[str]:
    import re

    return set(re.findall(r'<div class="flex-container">\s*<label>([^<]+):</label>', page))


def test_order_page_shows_only_the_facts_its_status_has(admin_client, order):
    from orders.services import mark_shipped

    change = reverse("admin:orders_order_change", args=[order.pk])
    pending = _labels(admin_client.get(change).content.decode())
    mark_paid(order=order)
    mark_shipped(order=order, tracking_number="1Z999")
    shipped = _labels(admin_client.get(change).content.decode())

    assert {"Customer", "Status", "Total", "Expires at"} <= pending
    assert not pending & {"Tracking number", "Shipped at", "Paid at", "Cancelled at", "Customer told it shipped"}
    assert {"Tracking number", "Paid at", "Shipped at", "Customer told it shipped"} <= shipped
    assert not shipped & {"Expires at", "Cancelled at"}
