"""The database keeps interactions and propositions to what the rules allow, whatever code (or SQL) writes them."""

import pytest
from django.db import IntegrityError, transaction

from conversations.models import Message
from philia.tests.factories import make_customer, make_item
from propositions.models import Interaction, Proposition

pytestmark = pytest.mark.django_db


def inbound(customer, text: str = "is the jacket still available?") -> Message:
    return Message.objects.create(customer=customer, role="user", direction="inbound", text=text)


def test_the_same_interaction_in_the_same_message_is_refused():
    customer, item = make_customer(), make_item()
    message = inbound(customer)
    Interaction.objects.create(customer=customer, item=item, kind="photos", message=message)

    with pytest.raises(IntegrityError, match="interaction_once_per_message"), transaction.atomic():
        Interaction.objects.create(customer=customer, item=item, kind="photos", message=message)


def test_interactions_without_a_message_are_all_kept():
    customer, item = make_customer(), make_item()

    Interaction.objects.create(customer=customer, item=item, kind="bought")
    Interaction.objects.create(customer=customer, item=item, kind="bought")

    assert Interaction.objects.filter(customer=customer, kind="bought").count() == 2


def test_an_unknown_interaction_kind_is_refused():
    with pytest.raises(IntegrityError, match="interaction_kind_valid"), transaction.atomic():
        Interaction.objects.create(customer=make_customer(), item=make_item(), kind="liked")


@pytest.mark.parametrize("confidence", [-0.01, 1.01])
def test_a_confidence_outside_0_to_1_is_refused(confidence):
    with pytest.raises(IntegrityError, match="proposition_confidence_0_to_1"), transaction.atomic():
        Proposition.objects.create(customer=make_customer(), item=make_item(), reason="sold", confidence=confidence)


def test_a_proposition_starts_shown_and_is_refused_an_unknown_outcome():
    proposition = Proposition.objects.create(
        customer=make_customer(), item=make_item(), reason="sold", confidence=0.5, features={"category": 0.3}
    )

    assert proposition.outcome == "shown"
    with pytest.raises(IntegrityError, match="proposition_outcome_valid"), transaction.atomic():
        Proposition.objects.filter(pk=proposition.pk).update(outcome="maybe")


def test_the_same_piece_proposed_twice_in_one_message_is_refused():
    customer, item = make_customer(), make_item()
    message = inbound(customer)
    Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.4, message=message)

    with pytest.raises(IntegrityError, match="proposition_once_per_message"), transaction.atomic():
        Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.4, message=message)


def test_a_piece_deleted_takes_its_history_with_it_and_a_message_deleted_leaves_it():
    customer, item = make_customer(), make_item()
    message = inbound(customer)
    Interaction.objects.create(customer=customer, item=item, kind="details", message=message)
    message.delete()

    assert Interaction.objects.get().message is None
    item.delete()
    assert Interaction.objects.count() == 0
