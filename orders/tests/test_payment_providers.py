"""How customers pay is chosen once, from PAYMENT_PROVIDER (`orders.payment_providers`): the provider it names is
the one placing an order asks, and a name the shop does not know stops it at start-up."""

import runpy
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from conversations.models import Message
from orders.payment_providers import PROVIDERS, ManualPayments, StripePayments, payment_provider
from orders.services import place_order
from philia.tests.factories import make_customer, make_item
from philia.tests.test_project_checks import manage


@pytest.mark.parametrize(("name", "provider"), [("manual", ManualPayments), ("stripe", StripePayments)])
def test_the_provider_is_the_one_payment_provider_names(settings, name, provider):
    settings.PAYMENT_PROVIDER = name

    assert type(payment_provider()) is provider
    assert payment_provider().name == name


def test_a_provider_the_shop_does_not_know_is_refused_as_the_settings_refuse_it(settings):
    settings.PAYMENT_PROVIDER = "paypal"

    with pytest.raises(ImproperlyConfigured) as refused:
        payment_provider()

    assert str(refused.value) == 'PAYMENT_PROVIDER is "manual" or "stripe", not \'paypal\'.'


def test_an_unknown_payment_provider_stops_the_shop_at_start_up_in_one_line():
    result = manage("check", PAYMENT_PROVIDER="paypal")

    assert result.returncode == 1
    assert result.stderr == 'ImproperlyConfigured: PAYMENT_PROVIDER is "manual" or "stripe", not \'paypal\'.\n'


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_every_provider_the_orders_know_is_one_the_settings_accept(monkeypatch, name):
    # The settings module run afresh in this process: what each process does first at start-up.
    monkeypatch.setenv("PAYMENT_PROVIDER", name)

    assert runpy.run_path(str(django_settings.BASE_DIR / "philia" / "settings.py"))["PAYMENT_PROVIDER"] == name


# transaction=True: the payment link is sent to the real worker once the order commits.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "sessions"), [("manual", 0), ("stripe", 1)])
def test_placing_an_order_asks_for_payment_the_providers_way(
    stripe_settings, fake_stripe, dramatiq_worker, name, sessions
):
    stripe_settings.PAYMENT_PROVIDER = name
    customer = make_customer("tt-1", conversation_id="conv-1", last_inbound_at=timezone.now())
    make_item("JACKET-1", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))

    order = place_order(customer=customer)
    dramatiq_worker.drain()

    links = Message.objects.filter(customer=customer, text__startswith=f"Pay for order #{order.pk} ($45.00)")
    assert (len(fake_stripe.sessions), links.count()) == (sessions, sessions)
