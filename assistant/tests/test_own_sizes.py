"""Sizes a customer says they wear, read from their words (issue 21, item 3): first person only; searches and
everything else say none."""

import pytest

from assistant.language.sizes import OwnSizes, read_own_sizes


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("i'm an l", OwnSizes(labels=("L",))),
        ("im usually a medium btw", OwnSizes(labels=("M",))),
        ("i wear a size m or l", OwnSizes(labels=("M", "L"))),
        ("hold it, i'm an xl", OwnSizes(labels=("XL",))),
        ("i'm a 32 waist", OwnSizes(waist=32)),
        ("my waist is 30", OwnSizes(waist=30)),
        ("i wear 34 waist jeans", OwnSizes(waist=34)),
        ("my pit to pit is 24", OwnSizes(measurements={"pit_to_pit": 24.0})),
        ("i'm a 22.5 inch pit to pit", OwnSizes(measurements={"pit_to_pit": 22.5})),
        ("i'm a large and my inseam is 30", OwnSizes(labels=("L",), measurements={"inseam": 30.0})),
    ],
)
def test_what_a_customer_says_they_wear_is_read(text, sizes):
    assert read_own_sizes(text) == sizes


@pytest.mark.parametrize(
    "text",
    [
        "i'm a large fan of nike",
        "any levis in 32 waist?",
        "pit to pit at least 22",
        "got any jackets in l?",
        "i'm looking for a large jacket",
        "i'm a 99 waist",
        "<script>i'm an l</script>" + "x" * 10_000,
        "",
    ],
)
def test_searches_and_everything_else_say_no_size(text):
    assert not read_own_sizes(text)
