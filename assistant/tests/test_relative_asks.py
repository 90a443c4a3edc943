"""Relative asks, offline: "anything cheaper than the carhartt?", "same but in L", "something longer than this
one?". The demo stock in PostgreSQL; the piece compared with is never listed and nothing is held."""

import pytest

from assistant.language.relative import read_relative
from assistant.tests.assistant_support import shop_state, text_of
from inventory.models import Item


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


def listed(text: str) -> list[str]:
    """The SKUs a reply lists, in order."""
    return [line.split(" · ")[0] for line in text.splitlines() if line.startswith("VNT-")]


@pytest.mark.parametrize(
    ("message", "comparison", "anchor", "rest"),
    [
        ("anything cheaper than the carhartt?", "cheaper", "the carhartt", "anything ?"),
        ("got any tees cheaper than the nirvana one", "cheaper", "the nirvana one", "got any tees"),
        (
            "got anything nicer than the windbreaker in l? like pricier",
            "dearer",
            "the windbreaker",
            "got anything nicer in l? like",
        ),
        (
            "any tees a bit dearer than the nasa one but under 50",
            "dearer",
            "the nasa one",
            "any tees a bit but under 50",
        ),
        ("anything like the patagonia but cheaper?", "cheaper", "the patagonia", "anything but ?"),
        ("got any with a bigger waist than these?", "bigger", "these", "got any with a waist ?"),
        ("too long for me, anything shorter?", "shorter", "", "too long for me, anything ?"),
        ("same but in l?", "same", "", "but in l?"),
        ("same but in a 10?", "same", "", "but size 10?"),
        ("the same but cheaper", "cheaper", "", "the but"),
        ("cheaper version of the carhartt?", "cheaper", "the carhartt", "?"),
        ("is there a cheaper alternative to the trench", "cheaper", "the trench", "is there a"),
        ("longer than the dress i saw", "longer", "the dress", "i saw"),
    ],
)
def test_a_relative_ask_is_read_as_a_comparison_a_piece_and_a_search(message, comparison, anchor, rest):
    ask = read_relative(message)

    assert ask is not None
    assert (ask.comparison, ask.anchor) == (comparison, anchor)
    assert " ".join(ask.rest.split()) == rest


@pytest.mark.parametrize(
    "message",
    [
        "anything cheaper than $50?",
        "pit to pit bigger than 22",
        "jackets longer than 30 inches",
        "is it bigger than a medium?",
        "do you have the carhartt in xl",
        "is it still available or no longer?",
        "got any nike jackets in L?",
    ],
)
def test_a_number_or_a_plain_search_is_no_relative_ask(message):
    assert read_relative(message) is None


def test_jackets_cheaper_than_the_carhartt_closest_first_without_the_carhartt(stock, anna):
    before = shop_state()

    text = text_of(anna, "anything cheaper than the carhartt?")

    assert text.startswith("Here's what I have: jackets cheaper than the Carhartt Detroit Jacket ($120):")
    assert listed(text) == [
        "VNT-LEVI-TRUC-015",
        "VNT-COLM-BUG-013",
        "VNT-WRNG-TRUC-010",
        "VNT-NIKE-WB-001",
        "VNT-ADID-TT-004",
    ]
    assert shop_state() == before


def test_a_garment_word_in_the_message_overrides_the_pieces_kind(stock, anna):
    text = text_of(anna, "got any sweatshirts cheaper than the patagonia")

    assert listed(text) == ["VNT-CHAM-RW-006", "VNT-NIKE-SWSH-014"]


def test_longer_than_the_piece_just_shown(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "something longer than this one?")

    assert text.startswith("Here's what I have: jackets longer than the Vintage Nike Windbreaker (28\" length):")
    assert listed(text) == ["VNT-COLM-BUG-013", "VNT-BURB-TREN-016"]


def test_shorter_after_a_piece_too_long_never_lists_it(stock, anna):
    text_of(anna, "VNT-BURB-TREN-016")

    text = text_of(anna, "too long for me, anything shorter?")

    assert "VNT-BURB-TREN-016" not in text
    assert len(listed(text)) == 5


def test_bigger_is_a_bigger_size_or_a_wider_pit_to_pit(stock, anna):
    text = text_of(anna, "anything bigger than the adidas track jacket?")

    assert listed(text) == [
        "VNT-BURB-TREN-016",  # M too, but 23" pit to pit against 21.5"
        "VNT-LEVI-TRUC-015",
        "VNT-NIKE-WB-001",
        "VNT-TNF-NUP-009",
        "VNT-CARH-DJ-002",
    ]
    assert "VNT-WRNG-TRUC-010" not in text  # an M with the same 21.5" pit to pit


def test_a_bigger_waist_than_the_jeans_in_view(stock, anna):
    text_of(anna, "VNT-LEVI-501-003")

    text = text_of(anna, "any pants with a bigger waist than these?")

    assert listed(text) == ["VNT-DICK-874-012"]


def test_a_piece_without_the_measurement_is_said_plainly(stock, anna):
    Item.objects.filter(sku="VNT-HARL-TEE-008").update(measurements={"pit_to_pit": 24})

    text = text_of(anna, "any tees longer than the harley?")

    assert text.startswith(
        "I don't have the length of the Harley-Davidson 1998 Tour Tee, so I can't tell which pieces are longer"
    )
    assert listed(text) == []


def test_nothing_cheaper_says_so_and_offers_the_closest(stock, anna):
    text = text_of(anna, "anything cheaper than the adidas track jacket?")

    assert text.startswith(
        "I don't have any jackets cheaper than the Adidas Firebird Track Jacket ($38) right now. The closest I have:"
    )
    assert listed(text) == ["VNT-NIKE-WB-001", "VNT-WRNG-TRUC-010", "VNT-COLM-BUG-013"]


def test_same_but_in_another_size_keeps_the_kind(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "same but in M?")

    # Jackets in M, the closest in price to the $45 windbreaker first.
    assert listed(text) == ["VNT-WRNG-TRUC-010", "VNT-ADID-TT-004", "VNT-TNF-NUP-009", "VNT-BURB-TREN-016"]


def test_the_messages_own_filters_narrow_the_answer(stock, anna):
    text = text_of(anna, "anything under $50 cheaper than the levis trucker in M")

    assert text.startswith("Here's what I have: jackets in M under $50 cheaper than the Levi's Type III Trucker")
    assert listed(text) == ["VNT-WRNG-TRUC-010", "VNT-ADID-TT-004"]


def test_several_pieces_fit_the_name_so_it_asks_which(stock, anna):
    text = text_of(anna, "anything cheaper than the jacket?")

    assert text.startswith("Which one do you mean?")


def test_a_relative_ask_about_a_held_piece_holds_nothing(stock, anna, ben):
    text_of(ben, "I'll take VNT-CARH-DJ-002")
    before = shop_state()

    text = text_of(anna, "any jackets cheaper than the carhartt? i'd take one")

    assert "VNT-CARH-DJ-002" not in text
    assert shop_state() == before
