"""`manage.py propositions evaluate`: the week's figures per reason, and the scorer against the newest of the same
category replayed over the stored interactions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from philia.tests.factories import aged, make_customer, make_item
from propositions.evaluation import Figures, replay, weekly_figures
from propositions.models import Interaction, Proposition

pytestmark = pytest.mark.django_db


def test_the_weeks_figures_count_how_far_each_proposition_went():
    customer, item = make_customer(), make_item()
    for outcome in ("shown", "asked", "held", "bought", "bought"):
        Proposition.objects.create(customer=customer, item=item, reason="sold", confidence=0.5, outcome=outcome)
    Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.5)
    old = Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.5)
    Proposition.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))

    figures = weekly_figures(now=timezone.now() + timedelta(seconds=1))

    assert figures == [Figures("held", 1, 0, 0, 0), Figures("sold", 5, 4, 3, 2)]
    assert figures[1].rate == 0.4


def test_the_replay_scores_what_the_customer_went_on_to_hold_against_the_newest():
    customer = make_customer()
    gone = aged(make_item("GONE", brand="Nike", category="jacket", size_label="L", price="45", status="sold"), 10)
    liked = aged(make_item("LIKED", brand="Nike", category="jacket", size_label="L", price="45"), 9)
    for number in range(3):  # newer jackets of other brands and sizes: the baseline's pick
        aged(make_item(f"NEWER-{number}", brand="Puma", category="jacket", size_label="S", price="200"), 8.5)
    asked_at = timezone.now() - timedelta(days=8)
    Interaction.objects.create(customer=customer, item=gone, kind="asked_for_gone", created_at=asked_at)
    Interaction.objects.create(customer=customer, item=liked, kind="held", created_at=asked_at + timedelta(hours=1))

    result = replay(now=timezone.now())

    assert (result.asks, result.scorer, result.baseline) == (1, pytest.approx(1 / 3), 0.0)


def test_evaluate_prints_both_with_no_data_yet():
    out = StringIO()

    call_command("propositions", "evaluate", stdout=out)

    assert out.getvalue().splitlines() == [
        "last 7 days      shown  asked   held bought   rate",
        "replay, last 14 days: 0 asks for a gone piece followed by another piece held or bought; precision@3 scorer "
        "0.000, newest of the same category 0.000",
    ]
