"""assistant.language.spelling: misspelt shop words read as meant, never a real word read as another.

Pure functions of the text (the stock's brands are passed in); the cases are what customers wrote.
"""

import pytest

from assistant.language import parse_search
from assistant.language.spelling import Correction, read_misspellings, understood

BRANDS = ["Nike", "Levi's", "Carhartt", "Adidas", "Champion", "Ralph Lauren", "Tommy Hilfiger", "Patagonia"]
BRAND_KEYS = ["nike", "levis", "carhartt", "adidas", "champion", "ralph lauren", "tommy hilfiger", "patagonia"]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("jakcet", "jacket"),
        ("jakcets", "jackets"),
        ("jaket", "jacket"),
        ("sweatshrit", "sweatshirt"),
        ("sweatshrits", "sweatshirts"),
        ("tshrits", "tshirts"),
        ("jeens", "jeans"),
        ("truker", "trucker"),
        ("flanels", "flannels"),
        ("sweaterr", "sweater"),
        ("blakc", "black"),
        ("purpel", "purple"),
        ("meduim", "medium"),
        ("wasit", "waist"),
        ("nikke", "nike"),
        ("adiddas", "adidas"),
        ("champian", "champion"),
        ("luaren", "lauren"),
        ("hilfigger", "hilfiger"),
    ],
)
def test_a_misspelt_shop_word_is_read_as_the_word_meant(typed, read):
    assert read_misspellings(typed, brands=BRAND_KEYS) == (read, (Correction(typed=typed, read=read),))


@pytest.mark.parametrize(
    "word",
    ["coat", "coats", "cost", "short", "shorts", "shirt", "best", "vest", "means", "jeans", "meant", "black", "back"],
)
def test_a_real_word_is_never_read_as_another(word):
    assert read_misspellings(word, brands=BRAND_KEYS) == (word, ())


@pytest.mark.parametrize(
    "text",
    [
        "how much does shipping cost",
        "what does that mean",
        "best price?",
        "is it too short for me",
        "do you have any coats",
    ],
)
def test_a_message_of_real_words_is_left_as_written(text):
    assert read_misspellings(text, brands=BRAND_KEYS) == (text, ())


def test_a_typo_near_two_different_shop_words_is_left_alone():
    """ "shrts" is one letter from "shirts" and from "shorts": the shop does not guess."""
    assert read_misspellings("any shrts", brands=BRAND_KEYS) == ("any shrts", ())


def test_a_typo_clearly_nearer_one_of_two_shop_words_is_read_as_it():
    """ "gren" is one typo from "green" (a letter missing) and from "grey" (a letter wrong), but keeps every letter of
    "green" in order: green."""
    assert read_misspellings("anything in gren", brands=BRAND_KEYS) == (
        "anything in green",
        (Correction(typed="gren", read="green"),),
    )


def test_a_brand_not_in_stock_is_never_a_guess():
    assert read_misspellings("nikke", brands=["adidas"]) == ("nikke", ())


def test_short_words_skus_and_shorthand_are_left_alone():
    text = "tee vnt-nike-wb-001 wld u hld"

    assert read_misspellings(text, brands=BRAND_KEYS) == (text, ())


def test_a_brands_plural_is_read_silently():
    assert read_misspellings("nikes", brands=BRAND_KEYS) == ("nike", (Correction("nikes", "nike", misspelt=False),))


def test_the_reply_says_what_was_read():
    corrections = (Correction("blakc", "black"), Correction("nikes", "nike", False), Correction("tshrits", "tshirts"))
    assert understood(corrections) == "I read 'blakc' and 'tshrits'"
    assert understood(()) == ""


@pytest.mark.parametrize(
    ("text", "described", "notes"),
    [
        ("any jakcets in L?", "jackets in L", ("I read 'jakcets'",)),
        ("levis jeans 32 wasit", "Levi's jeans in waist 32", ("I read 'wasit'",)),
        ("blakc tees?", "black tees", ("I read 'blakc'",)),
        ("any tees in meduim", "tees in M", ("I read 'meduim'",)),
        ("hold the levis truker", "Levi's trucker", ("I read 'truker'",)),
        ("purpel jacket?", "purple jacket", ("I read 'purpel'",)),
        ("patagucci fleece?? 👀", "Patagonia fleece", ()),
        ("do u have any carhart", "Carhartt pieces", ()),
        ("do u have any ralph luaren", "Ralph Lauren pieces", ("I read 'luaren'",)),
        ("any champions", "Champion pieces", ()),
    ],
)
def test_a_search_reads_the_words_meant_and_notes_the_misspellings(text, described, notes):
    query = parse_search(text, brands=BRANDS)

    assert (query.describe(), query.notes) == (described, notes)


def test_the_word_cost_is_never_a_coat():
    query = parse_search("how much does shipping cost", brands=BRANDS)

    assert (query.categories, query.words, query.notes) == ((), ("shipping",), ())
