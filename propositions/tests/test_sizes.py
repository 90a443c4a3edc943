"""A customer's known sizes: only what reads as a size is kept; anything else is refused with a clear reason and
nothing changed (issue 21, item 7: hostile text in sizes)."""

import pytest

from philia.tests.factories import make_customer
from propositions.models import CustomerSizes
from propositions.services import InvalidSizes, learn_sizes, set_sizes

pytestmark = pytest.mark.django_db


def test_sizes_are_kept_in_the_shops_spelling():
    customer = make_customer()

    sizes = set_sizes(customer=customer, labels=["large", " m ", "L"], waist=32, measurements={"pit_to_pit": 22})

    assert (sizes.labels, sizes.waist, sizes.measurements) == (["L", "M"], 32, {"pit_to_pit": 22.0})


def test_setting_sizes_again_replaces_them():
    customer = make_customer()
    set_sizes(customer=customer, labels=["L"], waist=32)

    set_sizes(customer=customer, labels=["XL"])

    stored = CustomerSizes.objects.get(customer=customer)
    assert (stored.labels, stored.waist, stored.measurements) == (["XL"], None, {})


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"labels": ["<script>alert(1)</script>"]}, "'<SCRIPT>ALERT(1)</SC' is not a size."),
        ({"labels": ["L" * 10_000]}, f"'{'L' * 20}' is not a size."),
        ({"labels": ["S", "M", "L", "XL", "XXL", "XS", "XXS"]}, "At most 6 sizes."),
        ({"waist": 320}, "A waist is a whole number of inches from 20 to 60."),
        ({"measurements": {"pit_to_pit": "22; DROP TABLE"}}, "pit_to_pit must be a number of inches."),
        ({"measurements": {"pit_to_pit": float("nan")}}, "pit_to_pit must be a number of inches."),
        ({"measurements": {"pit_to_pit": 1e9}}, "pit_to_pit must be between 0 and 80 inches."),
        ({"measurements": {"<b>": 22}}, "'<b>' is not a measurement."),
    ],
)
def test_what_is_not_a_size_is_refused_and_nothing_changes(arguments, reason):
    customer = make_customer()
    set_sizes(customer=customer, labels=["M"])

    with pytest.raises(InvalidSizes) as refused:
        set_sizes(customer=customer, **arguments)

    assert str(refused.value) == reason
    assert CustomerSizes.objects.get(customer=customer).labels == ["M"]


def test_learnt_sizes_are_added_newest_first_and_replace_a_waist():
    customer = make_customer()
    set_sizes(customer=customer, labels=["M"], waist=30, measurements={"chest": 40})

    learn_sizes(customer=customer, labels=["large"], waist=32, measurements={"pit_to_pit": 22})

    stored = CustomerSizes.objects.get(customer=customer)
    assert (stored.labels, stored.waist, stored.measurements) == (
        ["L", "M"],
        32,
        {"chest": 40.0, "pit_to_pit": 22.0},
    )


def test_learning_what_is_not_a_size_changes_nothing_and_says_so_quietly():
    customer = make_customer()

    assert learn_sizes(customer=customer, labels=["<script>"]) is None
    assert learn_sizes(customer=customer) is None
    assert not CustomerSizes.objects.exists()
