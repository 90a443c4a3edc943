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


def _counter(admin_client, offer: Offer, amount: str, **extra):
    return admin_client.post(
        OFFERS,
        {"action": "counter_offers", "_selected_action": [offer.pk], "apply": "yes", f"counter_{offer.pk}": amount}
        | extra,
        follow=True,
    )


def test_counter_asks_for_the_amount_prefilled_with_the_floor(admin_client):
    offer = _offer()
    done = _offer(status=Offer.Status.ACCEPTED, sku="VNT-LEVI-501-002")

    form = admin_client.post(OFFERS, {"action": "counter_offers", "_selected_action": [offer.pk, done.pk]})

    page = form.content.decode()
    assert form.status_code == 200
    assert f'name="counter_{offer.pk}" value="36.00"' in page
    assert f'name="counter_{done.pk}"' not in page and "Not waiting for a decision: left as it is" in page
    assert "$30.00" in page and "$45.00" in page
    offer.refresh_from_db()
    assert (offer.status, offer.counter_amount) == (Offer.Status.PENDING, None)


def test_counter_at_the_owners_amount_reaches_the_offer_and_the_customer(admin_client):
    offer = _offer()

    response = _counter(admin_client, offer, "39.50")

    offer.refresh_from_db()
    assert (offer.status, offer.counter_amount) == (Offer.Status.COUNTERED, Decimal("39.50"))
    assert _told(offer) == (
        'About your offer of $30.00 for VNT-NIKE-WB-001: the owner can do $39.50. Say "yes" to have it held for you.'
    )
    assert [message.message for message in get_messages(response.wsgi_request)] == ["Countered 1 offer(s)."]


def test_counter_button_on_the_offer_page_comes_back_to_it(admin_client):
    offer = _offer()
    page_url = reverse("admin:orders_offer_change", args=[offer.pk])

    page = admin_client.get(page_url).content.decode()
    response = admin_client.post(
        OFFERS,
        {
            "action": "counter_offers",
            "_selected_action": [offer.pk],
            "apply": "yes",
            f"counter_{offer.pk}": "40",
            "_back_to": page_url,
        },
    )

    assert 'value="counter_offers"' in page and 'value="accept_offers"' in page and 'value="reject_offers"' in page
    assert (response.status_code, response.url) == (302, page_url)
    offer.refresh_from_db()
    assert offer.counter_amount == Decimal("40.00")
    countered_page = admin_client.get(page_url).content.decode()
    assert 'value="counter_offers"' not in countered_page  # only a pending offer can be countered


@pytest.mark.parametrize(
    "amount, reason",
    [
        ("45", "A counter-offer must be more than $0 and less than the price, $45.00: 45 is not."),
        ("60.00", "A counter-offer must be more than $0 and less than the price, $45.00: 60.00 is not."),
        ("0", "A counter-offer must be more than $0 and less than the price, $45.00: 0 is not."),
        ("-5", "A counter-offer must be more than $0 and less than the price, $45.00: -5 is not."),
        ("NaN", "A counter-offer must be more than $0 and less than the price, $45.00: NaN is not."),
        ("thirty", "'thirty' is not an amount."),
        ("", "Enter the amount of the counter-offer."),
    ],
)
def test_a_counter_that_is_not_a_positive_amount_below_the_price_is_refused(admin_client, amount, reason):
    offer = _offer()

    response = _counter(admin_client, offer, amount)

    assert [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)] == [("error", f"{offer}: {reason}")]
    offer.refresh_from_db()
    assert (offer.status, offer.counter_amount, offer.decided_at) == (Offer.Status.PENDING, None, None)
    assert not Message.objects.filter(customer=offer.customer, direction="outbound").exists()


def test_offers_cannot_be_deleted_from_the_admin(admin_client):
    offer = _offer()

    page = admin_client.get(reverse("admin:orders_offer_change", args=[offer.pk])).content.decode()
    delete = admin_client.post(reverse("admin:orders_offer_delete", args=[offer.pk]), {"post": "yes"})
    bulk = admin_client.post(OFFERS, {"action": "delete_selected", "_selected_action": [offer.pk], "post": "yes"})

    assert reverse("admin:orders_offer_delete", args=[offer.pk]) not in page
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Offer.objects.filter(pk=offer.pk).exists()
