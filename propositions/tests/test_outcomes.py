"""A proposition's outcome follows what the customer did with the piece afterwards — shown → asked → held → bought,
never back — in the statement that records the interaction; still only shown after 7 days, it is ignored."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Message
from philia.tests.factories import make_customer, make_item
from propositions.models import InteractionKind, Proposition
from propositions.services import mark_ignored, record_interaction, record_interaction_by_sku

pytestmark = pytest.mark.django_db


def propose(customer, item, *, days_ago: float = 0) -> Proposition:
    return Proposition.objects.create(
        customer=customer,
        item=item,
        reason="sold",
        confidence=0.6,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def inbound(customer) -> Message:
    return Message.objects.create(customer=customer, role="user", direction="inbound", text="…")


def outcome_of(proposition: Proposition) -> str:
    proposition.refresh_from_db()
    return proposition.outcome


def test_asking_holding_and_buying_move_the_outcome_on():
    customer, item = make_customer(), make_item()
    proposition = propose(customer, item)

    record_interaction_by_sku(customer=customer, kind=InteractionKind.PHOTOS, skus=[item.sku.lower()])
    assert outcome_of(proposition) == "asked"
    record_interaction(customer=customer, kind=InteractionKind.HELD, items=[item], message=inbound(customer))
    assert outcome_of(proposition) == "held"
    record_interaction(customer=customer, kind=InteractionKind.BOUGHT, items=[item.pk])
    assert outcome_of(proposition) == "bought"


def test_an_outcome_never_moves_back():
    customer, item = make_customer(), make_item()
    proposition = propose(customer, item)
    record_interaction(customer=customer, kind=InteractionKind.HELD, items=[item])

    record_interaction(customer=customer, kind=InteractionKind.DETAILS, items=[item])

    assert outcome_of(proposition) == "held"


def test_another_customer_another_piece_or_an_old_proposition_is_left_alone():
    customer, other, item, another = make_customer(), make_customer("other"), make_item(), make_item("VNT-TEST-002")
    mine, old = propose(customer, item), propose(customer, another, days_ago=8)

    record_interaction(customer=other, kind=InteractionKind.HELD, items=[item])
    record_interaction(customer=customer, kind=InteractionKind.HELD, items=[another])

    assert (outcome_of(mine), outcome_of(old)) == ("shown", "shown")


def test_recording_and_moving_the_outcome_is_one_statement():
    customer, item = make_customer(), make_item()
    proposition = propose(customer, item)

    with CaptureQueriesContext(connection) as queries:
        record_interaction(customer=customer, kind=InteractionKind.HELD, items=[item])

    assert len(queries) == 1
    assert outcome_of(proposition) == "held"


def test_propositions_only_shown_for_7_days_are_ignored_once():
    customer = make_customer()
    stale, fresh, asked = (
        propose(customer, make_item("VNT-TEST-001"), days_ago=8),
        propose(customer, make_item("VNT-TEST-002"), days_ago=6),
        propose(customer, make_item("VNT-TEST-003"), days_ago=9),
    )
    Proposition.objects.filter(pk=asked.pk).update(outcome="asked")

    assert mark_ignored() == 1
    assert mark_ignored() == 0
    assert [outcome_of(p) for p in (stale, fresh, asked)] == ["ignored", "shown", "asked"]
