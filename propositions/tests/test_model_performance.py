"""ModelPerformance (issue 21, item 5): the week's figures per reason as rows, the nightly re-fit of the scorer's
weights — adopted only when they beat the current ones on the held-out weeks, a row written either way — the scorer
reading the adopted weights, and the seeded simulation the docs' figures come from."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item
from philia.tests.factories import aged, make_customer, make_item
from propositions import tasks
from propositions.models import CustomerSizes, Interaction, ModelPerformance, Proposition
from propositions.refit import MIN_POSITIVES, MIN_SHOWN, monday, record_week, refit
from propositions.scoring import WEIGHTS, Sizes, Target
from propositions.selectors import similar_pieces
from propositions.weights import current_weights, forget_weights

pytestmark = pytest.mark.django_db


def test_the_weeks_rows_count_how_far_each_proposition_went_and_are_brought_up_to_date():
    now = timezone.now()
    customer, item = make_customer(), make_item()
    for outcome in ("shown", "asked", "held", "bought"):
        Proposition.objects.create(customer=customer, item=item, reason="sold", confidence=0.5, outcome=outcome)
    Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.5, outcome="bought")
    last_week = Proposition.objects.create(customer=customer, item=item, reason="held", confidence=0.5)
    Proposition.objects.filter(pk=last_week.pk).update(created_at=now - timedelta(days=8))

    record_week(now=now + timedelta(seconds=1))
    Proposition.objects.create(customer=customer, item=item, reason="sold", confidence=0.5)
    record_week(now=now + timedelta(seconds=2))

    rows = ModelPerformance.objects.filter(kind="week").order_by("reason")
    assert [(r.week, r.reason, r.shown, r.asked, r.held, r.bought, r.rate) for r in rows] == [
        (monday(now), "held", 1, 1, 1, 1, 1.0),
        (monday(now), "sold", 5, 3, 2, 1, 0.2),
    ]


def held_out_case(*, takes: str) -> None:
    """Customers asking, in the last 2 weeks, for a sold Nike jacket they cannot have, then holding either the Nike
    shirt in their size (`takes="fit"`) or a Nike jacket not in their size (`takes="decoy"`). The hand-set weights put
    the three jackets (category, brand, price) above the shirt (brand and size only)."""
    gone = aged(make_item("GONE", name="Jacket", brand="Nike", category="jacket", size_label="L", status="sold"), 40)
    decoys = [aged(make_item(f"DECOY-{n}", name="Coat", brand="Nike", category="jacket", size_label="S"), 30) for n in range(3)]  # fmt: skip
    fit = aged(make_item("FIT", name="Shirt", brand="Nike", category="shirt", size_label="M", price="300"), 30)
    for number in range(4):
        customer = make_customer(f"held-out-{number}")
        CustomerSizes.objects.create(customer=customer, labels=["M"])
        asked_at = timezone.now() - timedelta(days=10 - number)
        Interaction.objects.create(customer=customer, item=gone, kind="asked_for_gone", created_at=asked_at)
        taken = fit if takes == "fit" else decoys[number % 3]
        Interaction.objects.create(customer=customer, item=taken, kind="held", created_at=asked_at + timedelta(hours=2))


def propositions_where_size_predicts(count: int, *, positives_every: int = 2) -> None:
    """`count` propositions made 3 to 8 weeks ago, held when the piece was in the customer's size, else ignored (one
    in `positives_every` in their size); the other features random."""
    rng, customer, item = random.Random(5), make_customer("trained-on"), make_item("SHOWN")
    rows = []
    for number in range(count):
        size = 1.0 if number % positives_every == 0 else 0.0
        values = {"category": rng.random() < 0.8, "size": size, "price": rng.random(), "brand": rng.random() < 0.5,
                  "style": rng.random(), "newness": rng.random()}  # fmt: skip
        rows.append(Proposition(
            customer=customer, item=item, reason="held", confidence=0.5, outcome="held" if size else "ignored",
            features={name: round(WEIGHTS[name] * float(value), 4) for name, value in values.items()},
            created_at=timezone.now() - timedelta(days=rng.uniform(21, 56)),
        ))  # fmt: skip
    Proposition.objects.bulk_create(rows)


def test_the_refit_adopts_weights_that_do_better_on_the_held_out_weeks_and_the_scorer_uses_them():
    held_out_case(takes="fit")
    propositions_where_size_predicts(300)

    row = refit()

    assert (row.kind, row.adopted, row.sample_size, row.positives, row.held_out) == ("refit", True, 300, 150, 4)
    assert row.current_weights == WEIGHTS
    assert row.weights["size"] == max(row.weights.values()) and row.weights["size"] > 0.5
    assert sum(row.weights.values()) == pytest.approx(1, abs=1e-3)
    assert (row.precision, row.current_precision) == (pytest.approx(1 / 3), 0.0)
    assert "adopted" in row.note
    forget_weights()
    assert current_weights() == row.weights
    customer = make_customer("after")
    found = similar_pieces(target=Target.of_item(Item.objects.get(sku="GONE")), sizes=Sizes(labels=frozenset({"M"})),
                           now=timezone.now())  # fmt: skip
    assert found[0].item.sku == "FIT" and customer


def test_the_refit_keeps_the_current_weights_when_the_fitted_ones_do_worse():
    held_out_case(takes="decoy")
    propositions_where_size_predicts(300)

    row = refit()

    assert (row.adopted, row.precision, row.current_precision) == (False, 0.0, pytest.approx(1 / 3))
    assert row.weights["size"] > 0.5 and "current weights kept" in row.note
    forget_weights()
    assert current_weights() == WEIGHTS


@pytest.mark.parametrize(("count", "positives_every"), [(MIN_SHOWN - 1, 2), (MIN_SHOWN + 100, 50)])
def test_with_too_little_data_nothing_is_fitted_and_the_row_says_why(count, positives_every):
    propositions_where_size_predicts(count, positives_every=positives_every)
    assert MIN_POSITIVES > (MIN_SHOWN + 100) / 50

    row = refit()

    assert (row.adopted, row.weights, row.precision, row.sample_size) == (False, {}, None, count)
    assert row.note.startswith(f"Too little data: {count} propositions")
    assert ModelPerformance.objects.filter(kind="refit").count() == 1


def test_the_scorer_reads_the_newest_adopted_weights_once_in_a_while_else_the_hand_set_ones():
    forget_weights()
    assert current_weights() == WEIGHTS
    tried = {**dict.fromkeys(WEIGHTS, 0.0), "size": 1.0}
    ModelPerformance.objects.create(kind="refit", week=monday(timezone.now()), weights=tried, adopted=True)
    ModelPerformance.objects.create(kind="refit", week=monday(timezone.now()), weights={"size": 2.0})  # not adopted
    assert current_weights() == WEIGHTS  # kept in the process a while
    forget_weights()
    with CaptureQueriesContext(connection) as queries:
        assert current_weights() == tried
        assert current_weights() == tried
    assert len(queries) == 1
    ModelPerformance.objects.create(kind="refit", week=monday(timezone.now()), weights={"size": -1}, adopted=True)
    forget_weights()
    assert current_weights() == WEIGHTS  # weights that are not weights are never used


def test_the_nightly_job_is_declared_with_its_limits():
    assert tasks.refit_weights.options["max_retries"] == 0
    assert tasks.refit_weights.options["time_limit"] == 600_000
    tasks.refit_weights.fn()
    assert ModelPerformance.objects.filter(kind="refit", adopted=False).count() == 1


def test_the_simulation_is_the_same_for_the_same_seed_and_prints_both_scores():
    call_command("seed", stdout=StringIO())
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("propositions", "evaluate", "--simulate", "--seed", "3", stdout=out)
        outputs.append(out.getvalue().splitlines())

    assert outputs[0] == outputs[1]
    assert outputs[0][0].startswith("simulated (seed 3): 120 customers")
    assert "precision@3 scorer" in outputs[0][3] and "newest of the same category" in outputs[0][3]
    assert outputs[0][4].startswith("re-fit: ")


def test_the_rows_are_listed_read_only_in_the_admin(admin_client):
    ModelPerformance.objects.create(kind="refit", week=monday(timezone.now()), note="Too little data: 3 propositions")

    page = admin_client.get("/admin/propositions/modelperformance/").content.decode()

    assert "Too little data: 3 propositions" in page
    assert admin_client.get("/admin/propositions/modelperformance/add/").status_code == 403
