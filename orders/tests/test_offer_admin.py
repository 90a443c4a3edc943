from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message
from inventory.models import Item
from orders.models import Offer
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

OFFERS = reverse("admin:orders_offer_changelist")


def _offer(status=Offer.Status.PENDING, amount="30.00", sku="VNT-NIKE-WB-001"):
    customer = make_customer(
        f"tt-{sku}", username="vintagefan", conversation_id="conv-1", last_inbound_at=timezone.now()
    )
    item = make_item(sku, price="45.00")
    return Offer.objects.create(
        customer=customer,
        item=item,
        amount=Decimal(amount),
        status=status,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _told(offer: Offer) -> str:
    return Message.objects.filter(customer=offer.customer, direction="outbound").latest("pk").text


def test_the_owner_sees_offers_by_status(admin_client):
    _offer()
    pending = admin_client.get(OFFERS, {"status__exact": "pending"}).content.decode()
    expired = admin_client.get(OFFERS, {"status__exact": "expired"}).content.decode()

    assert "VNT-NIKE-WB-001" in pending and "$30.00" in pending
    assert "VNT-NIKE-WB-001" not in expired
    for status in ("Countered, waiting for the customer", "Accepted", "Expired", "Waiting for the owner"):
        assert status in admin_client.get(OFFERS).content.decode()


def test_accept_action_holds_the_piece_at_the_offer_and_tells_the_customer(admin_client):
    offer = _offer()

    admin_client.post(OFFERS, {"action": "accept_offers", "_selected_action": [offer.pk]}, follow=True)

    offer.refresh_from_db()
    assert (offer.status, offer.agreed_price) == (Offer.Status.ACCEPTED, Decimal("30.00"))
    assert Item.objects.get().held_by_id == offer.customer_id
    assert "accepted! It's held for you at $30.00" in _told(offer)


def test_reject_and_counter_actions_go_through_the_services(admin_client):
    rejected = _offer()
    admin_client.post(OFFERS, {"action": "reject_offers", "_selected_action": [rejected.pk]}, follow=True)
    rejected.refresh_from_db()
    assert rejected.status == Offer.Status.DECLINED
    assert "the price stays $45.00" in _told(rejected)

    countered = Offer.objects.create(
        customer=rejected.customer,
        item=rejected.item,
        amount=Decimal("20"),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    admin_client.post(OFFERS, {"action": "counter_at_floor", "_selected_action": [countered.pk]}, follow=True)
    countered.refresh_from_db()
    assert (countered.status, countered.counter_amount) == (Offer.Status.COUNTERED, Decimal("36.00"))
    assert "the owner can do $36.00" in _told(countered)


def test_an_action_on_an_offer_not_pending_says_why(admin_client):
    offer = _offer(status=Offer.Status.EXPIRED)

    response = admin_client.post(OFFERS, {"action": "accept_offers", "_selected_action": [offer.pk]}, follow=True)

    messages = [message.message for message in get_messages(response.wsgi_request)]
    assert messages == [f"{offer}: This offer is expired, not waiting for a decision."]
    assert Item.objects.get().status == Item.Status.AVAILABLE
