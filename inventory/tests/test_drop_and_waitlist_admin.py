"""The owner's view of waitlists and drops, and the extend-once action."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import Drop, Item
from inventory.services import join_waitlist
from philia.tests.factories import make_customer, make_item


@pytest.mark.django_db
def test_the_item_page_shows_its_waitlist_in_order(admin_client):
    item = make_item(held_by=make_customer("holder"), held_until=timezone.now() + timedelta(hours=1))
    join_waitlist(sku=item.sku, customer=make_customer("first-fan"))
    join_waitlist(sku=item.sku, customer=make_customer("second-fan"))

    page = admin_client.get(reverse("admin:inventory_item_change", args=[item.pk])).content.decode()

    assert page.index("#1 ") < page.index("first-fan") < page.index("#2 ") < page.index("second-fan")


@pytest.mark.django_db
def test_the_extend_action_extends_a_hold_once(admin_client, settings):
    settings.HOLD_HOURS = 24
    until = timezone.now() + timedelta(hours=1)
    item = make_item(held_by=make_customer(), held_until=until)
    url = reverse("admin:inventory_item_changelist")

    for _ in range(2):
        admin_client.post(url, {"action": "extend_holds", "_selected_action": [item.pk]})

    assert Item.objects.get().held_until == until + timedelta(hours=24)
    assert Item.objects.get().hold_extended_at is not None


@pytest.mark.django_db
def test_a_drop_is_scheduled_from_the_admin_and_a_bad_one_is_refused(admin_client):
    make_item("VNT-A-001")
    make_item("VNT-B-002", status=Item.Status.SOLD)
    url = reverse("admin:inventory_drop_add")
    at = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    date, time = at.split(" ")

    refused = admin_client.post(url, {"name": "Friday", "drops_at_0": date, "drops_at_1": time, "skus": "VNT-B-002"})
    scheduled = admin_client.post(url, {"name": "Friday", "drops_at_0": date, "drops_at_1": time, "skus": "vnt-a-001"})

    assert refused.status_code == 200
    assert "VNT-B-002 is sold." in refused.content.decode()
    assert scheduled.status_code == 302
    drop = Drop.objects.get()
    assert (drop.name, [di.item.sku for di in drop.drop_items.all()]) == ("Friday", ["VNT-A-001"])
    assert Item.objects.get(sku="VNT-A-001").drops_at == drop.drops_at
    assert admin_client.get(reverse("admin:inventory_drop_change", args=[drop.pk])).status_code == 200
    assert admin_client.get(reverse("admin:inventory_dropclaim_changelist")).status_code == 200
