from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from inventory.models import Item
from orders.services import place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:inventory_item_changelist")


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_staff_see_items_with_holds_and_readable_measurements(admin_client):
    make_item("VNT-NIKE-WB-001", measurements={"pit_to_pit": 24.5, "length": 28})
    make_item(
        "HELD-2", held_by=make_customer("tt-1", username="vintagefan"), held_until=timezone.now() + timedelta(hours=1)
    )

    response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    assert "VNT-NIKE-WB-001" in content and "HELD-2" in content and "@vintagefan" in content
    assert "pit to pit 24.5 in · length 28 in" in content


def test_staff_search_and_filter_items(admin_client):
    make_item("VNT-NIKE-WB-001", brand="Nike", size_label="L")
    make_item("VNT-ADID-TT-004", brand="Adidas", size_label="M")

    searched = admin_client.get(CHANGELIST, {"q": "nike"}).content.decode()
    filtered = admin_client.get(CHANGELIST, {"size_label": "M"}).content.decode()

    assert "VNT-NIKE-WB-001" in searched and "VNT-ADID-TT-004" not in searched
    assert "VNT-ADID-TT-004" in filtered and "VNT-NIKE-WB-001" not in filtered


def test_item_change_page_shows_the_item_with_status_and_hold_read_only(admin_client):
    item = make_item("VNT-NIKE-WB-001", measurements={"pit_to_pit": 24.5})

    response = admin_client.get(reverse("admin:inventory_item_change", args=[item.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "VNT-NIKE-WB-001" in content and "pit to pit 24.5 in" in content
    assert 'name="status"' not in content and 'name="held_by"' not in content and 'name="name"' in content


def test_editing_an_item_in_the_admin_cannot_change_its_hold(admin_client):
    customer = make_customer()
    until = timezone.now() + timedelta(hours=1)
    item = make_item(held_by=customer, held_until=until)

    response = admin_client.post(
        reverse("admin:inventory_item_change", args=[item.pk]),
        {
            "sku": item.sku, "name": "Renamed Jacket", "category": "jacket", "price": "50.00", "condition": "good",
            "measurements": '{"pit_to_pit": 22}', "status": "available", "held_by": "", "held_until": "",
        },
    )  # fmt: skip

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.price, item.status, item.held_by_id) == (
        "Renamed Jacket",
        50,
        Item.Status.RESERVED,
        "customer-1",
    )


def test_new_item_cannot_start_out_held(admin_client):
    response = admin_client.post(
        reverse("admin:inventory_item_add"),
        {"sku": "NEW-1", "name": "New", "category": "jacket", "price": "20.00", "condition": "good",
         "measurements": "{}", "status": "reserved"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Item.objects.exists()


def test_release_hold_action_goes_through_the_service_and_reports_refusals(admin_client):
    held = make_item("HELD-1", held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))
    free = make_item("FREE-2")

    response = admin_client.post(
        CHANGELIST, {"action": "release_holds", "_selected_action": [held.pk, free.pk]}, follow=True
    )

    assert dict(Item.objects.values_list("sku", "status")) == {"HELD-1": "available", "FREE-2": "available"}
    assert messages_of(response) == [
        ("error", "FREE-2 · Test Jacket: FREE-2 is not held."),
        ("success", "Released 1 hold(s)."),
    ]


def test_hide_action_takes_an_item_off_sale(admin_client):
    item = make_item()

    admin_client.post(CHANGELIST, {"action": "hide_items", "_selected_action": [item.pk]})

    assert Item.objects.get().status == Item.Status.HIDDEN


def test_item_list_links_a_held_item_to_its_customer_and_a_sold_item_to_its_order(admin_client):
    buyer = make_customer("tt-1", username="vintagefan")
    make_item("VNT-NIKE-WB-001", held_by=buyer, held_until=timezone.now() + timedelta(hours=1))
    order = place_order(customer=buyer)
    make_item(
        "HELD-2", held_by=make_customer("tt-2", username="holder"), held_until=timezone.now() + timedelta(hours=1)
    )

    listed = admin_client.get(CHANGELIST).content.decode()

    buyer_link = f'<a href="{reverse("admin:conversations_customer_change", args=["tt-1"])}">@vintagefan</a>'
    assert (
        f'{buyer_link} · <a href="{reverse("admin:orders_order_change", args=[order.pk])}">Order #{order.pk}</a>'
        in listed
    )
    assert f'<a href="{reverse("admin:conversations_customer_change", args=["tt-2"])}">@holder</a> until ' in listed
    sold_page = admin_client.get(
        reverse("admin:inventory_item_change", args=[Item.objects.get(sku="VNT-NIKE-WB-001").pk])
    )
    assert (
        f'<a href="{reverse("admin:orders_order_change", args=[order.pk])}">Order #{order.pk}</a>'
        in sold_page.content.decode()
    )


def test_measurements_are_typed_in_boxes_of_inches_not_json(admin_client):
    item = make_item("VNT-NIKE-WB-001", measurements={"pit_to_pit": 24.5, "collar": 15})
    url = reverse("admin:inventory_item_change", args=[item.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {"sku": item.sku, "name": item.name, "category": "jacket", "price": "45.00", "condition": "good",
         "pit_to_pit": "23", "length": "27.5", "sleeve": ""},
    )  # fmt: skip

    assert 'name="pit_to_pit"' in page and 'value="24.5"' in page and 'name="measurements"' not in page
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.measurements == {"pit_to_pit": 23, "length": 27.5, "collar": 15}  # a key without a box is kept


def test_a_measurement_of_zero_is_refused(admin_client):
    item = make_item("VNT-NIKE-WB-001", measurements={"pit_to_pit": 24.5})

    response = admin_client.post(
        reverse("admin:inventory_item_change", args=[item.pk]),
        {"sku": item.sku, "name": item.name, "category": "jacket", "price": "45.00", "condition": "good", "pit_to_pit": "0"},
    )  # fmt: skip

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.measurements == {"pit_to_pit": 24.5}


def test_save_and_add_another_is_on_the_add_page_only(admin_client):
    item = make_item("VNT-ADD-001")

    change = admin_client.get(reverse("admin:inventory_item_change", args=[item.pk])).content.decode()
    add = admin_client.get(reverse("admin:inventory_item_add")).content.decode()

    assert 'name="_addanother"' not in change
    assert 'name="_addanother"' in add
    assert 'name="_continue"' in change
