"""New in your size (issue 21, item 4): customers who asked for it hear of new pieces that fit them, at most once a
day, up to 3, never a piece they asked about; STOP, "no suggestions", a closed window or a piece hidden again before
the run mean nothing is sent."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from assistant.arrivals import tell_new_arrivals
from assistant.tests.assistant_support import say
from conversations.models import Customer, Message
from inventory.models import Item
from live.services import schedule_stream
from philia.tests.factories import make_item
from propositions.models import ArrivalsNotice, Proposition
from propositions.services import set_sizes


def new_piece(sku: str, size: str = "M", created_at=None, **fields) -> Item:
    item = make_item(sku, name=f"Jacket {sku}", size_label=size, category="jacket", **fields)
    if created_at is not None:  # auto_now_add: set after
        Item.objects.filter(pk=item.pk).update(created_at=created_at)
    return item


def told(customer) -> list[str]:
    return list(
        Message.objects.filter(customer=customer, direction="outbound", text__startswith="New in your size")
        .order_by("id")
        .values_list("text", flat=True)
    )


@pytest.fixture
def subscribed(anna) -> Customer:
    """Anna, who wears M and asked to hear of new pieces just now."""
    set_sizes(customer=anna, labels=["M"])
    reply = say(anna, "let me know when new pieces in my size come in")
    assert reply is not None
    assert reply.text.startswith("Done! I'll message you when new pieces in your size come in")
    return anna


def test_asking_records_the_consent_with_its_time_and_asks_for_a_size_when_none_is_known(anna):
    reply = say(anna, "pls dm me new arrivals")

    anna.refresh_from_db()
    assert anna.marketing_consent and anna.marketing_consent_at is not None
    assert "What size do you wear?" in reply.text


def test_new_pieces_that_fit_are_told_once_a_day_up_to_three_newest_first(subscribed):
    now = timezone.now()
    for number in range(5):
        new_piece(f"VNT-NEW-00{number}", created_at=now - timedelta(minutes=number))
    new_piece("VNT-NEW-XL", size="XL")

    assert tell_new_arrivals() == 1
    assert tell_new_arrivals() == 0  # run again the same day: nothing more

    [text] = told(subscribed)
    assert [line.split(" · ")[0] for line in text.splitlines()[1:4]] == ["VNT-NEW-000", "VNT-NEW-001", "VNT-NEW-002"]
    assert "VNT-NEW-XL" not in text
    assert text.endswith('Say "no suggestions" to stop these.')
    assert set(Proposition.objects.filter(customer=subscribed).values_list("reason", "outcome")) == {
        ("new_arrival", "shown")
    }
    assert ArrivalsNotice.objects.get(customer=subscribed).skus == ["VNT-NEW-000", "VNT-NEW-001", "VNT-NEW-002"]


def test_a_piece_the_customer_asked_about_is_never_told(subscribed):
    new_piece("VNT-NEW-001")
    new_piece("VNT-NEW-002")
    say(subscribed, "VNT-NEW-001?")

    tell_new_arrivals()

    [text] = told(subscribed)
    assert "VNT-NEW-002" in text and "VNT-NEW-001" not in text


def test_a_piece_hidden_again_or_held_before_the_run_is_not_told(subscribed, ben):
    hidden = new_piece("VNT-NEW-001")
    new_piece("VNT-NEW-002", held_by=ben, held_until=timezone.now() + timedelta(hours=2))
    Item.objects.filter(pk=hidden.pk).update(status="hidden")

    assert tell_new_arrivals() == 0
    assert told(subscribed) == []


def test_a_piece_lined_up_for_a_stream_still_to_come_is_not_told(subscribed):
    """It is to be sold on screen: a DM naming it first would take it from the live's viewers."""
    lined_up = new_piece("VNT-NEW-001")
    new_piece("VNT-NEW-002")
    schedule_stream(title="Sunday live", skus=[lined_up.sku], at=timezone.now() + timedelta(hours=3))

    assert tell_new_arrivals() == 1

    [text] = told(subscribed)
    assert "VNT-NEW-002" in text and "VNT-NEW-001" not in text


@pytest.mark.parametrize("text", ["no suggestions", "STOP"])
def test_no_suggestions_or_stop_means_nothing_is_sent(subscribed, text):
    say(subscribed, text)
    new_piece("VNT-NEW-001")

    assert tell_new_arrivals() == 0
    assert told(subscribed) == []


def test_no_suggestions_is_said_back_and_recorded_with_its_time(subscribed):
    reply = say(subscribed, "no more suggestions pls")

    assert reply.text == "Got it, no more suggestions from me. Just ask whenever you want to see what's new!"
    subscribed.refresh_from_db()
    assert not subscribed.marketing_consent


def test_a_customer_whose_window_closed_or_with_no_size_hears_nothing(subscribed, ben):
    Customer.objects.filter(pk=subscribed.pk).update(last_inbound_at=timezone.now() - timedelta(hours=49))
    say(ben, "let me know when new pieces in my size come in")
    new_piece("VNT-NEW-001")

    assert tell_new_arrivals() == 0


def test_old_pieces_are_not_new(subscribed):
    new_piece("VNT-OLD-001", created_at=timezone.now() - timedelta(days=2))

    assert tell_new_arrivals() == 0


def test_the_command_runs_it_and_says_how_many(subscribed):
    new_piece("VNT-NEW-001")
    out = StringIO()

    call_command("propositions", "new-arrivals", stdout=out)
    call_command("propositions", "new-arrivals", stdout=out)

    assert out.getvalue().splitlines() == [
        "1 customer(s) told of new pieces in their size.",
        "0 customer(s) told of new pieces in their size.",
    ]


ASK = 'Want me to message you when new pieces in your size come in? Just say "dm me new arrivals".'


def test_the_shop_asks_once_after_learning_a_size_and_yes_is_the_consent(stock, anna):
    first = say(anna, "im a medium, any jackets?")
    again = say(anna, "actually im an L")

    assert first is not None and first.text.endswith(ASK)
    assert again is not None and ASK not in again.text
    consent = say(anna, "dm me new arrivals")
    anna.refresh_from_db()
    assert consent is not None and anna.marketing_consent and anna.marketing_consent_at is not None


def test_a_customer_who_gave_or_withdrew_consent_is_never_asked(stock, anna, ben):
    say(anna, "let me know when new pieces in my size come in")
    say(ben, "no more suggestions pls")
    Customer.objects.filter(pk=ben.pk).update(marketing_consent_at=timezone.now())  # had consented, withdrew

    for customer in (anna, ben):
        reply = say(customer, "i wear a medium")
        assert reply is not None and ASK not in reply.text


def test_a_message_that_says_no_size_asks_nothing(stock, anna):
    reply = say(anna, "any jackets?")

    assert reply is not None and ASK not in reply.text
