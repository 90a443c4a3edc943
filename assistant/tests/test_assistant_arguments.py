"""The AI path's tool arguments: one strict pydantic model per tool, the messages the model gets when a
call is wrong, and the tool schemas generated from the models (the same as the hand-written ones
were, plus constraints OpenAI's strict mode accepts)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.ai import tool_definitions
from assistant.arguments import HoldItem, MakeOffer, SearchItems, parse_arguments

# `tool_definitions()` as it was written by hand before the models generated it.
BEFORE = json.loads((Path(__file__).parent / "fixtures" / "tool_definitions.json").read_text())
SKU_PATTERN = "^[A-Za-z0-9][A-Za-z0-9-]{1,63}$"
AMOUNT_RANGE = {"exclusiveMinimum": 0, "exclusiveMaximum": 100000}
# The payment tools added after the hand-written definitions were frozen (no arguments: always this customer's).
ORDER_TALK = {
    "claim_payment": "The customer says they paid: flag their unpaid orders for the owner to confirm (never marks "
    "them paid).",
    "cancel_order": "The customer asks to cancel their order: cancel their latest unpaid order (paid ones are "
    "refused).",
    "payment_link": "The customer asks for the payment link again: the open link, or a fresh one that arrives in a "
    "moment.",
}

# Tools with arguments added since (their SKU pattern is popped before comparing, as for the others).
ADDED_LATER = {
    "find_piece": {
        "type": "function",
        "function": {
            "name": "find_piece",
            "description": 'Which piece the customer means by a description ("the levi\'s trucker", "the black tee I\'m '
            'holding"), read against their holds, the pieces last shown and the whole shop, held, sold and hidden '
            "pieces too. Returns `pieces`, each with its status for this customer (available, held_by_you, held: on "
            "hold for someone else, sold, bought_by_you, upcoming_drop, hidden: not on sale, only its name), or "
            "`candidates` when several fit: ask which one. Holds nothing.",
            "strict": True,
            "parameters": {
                "type": "object",
                "properties": {"description": {"type": "string"}},
                "required": ["description"],
                "additionalProperties": False,
            },
        },
    },
    "similar_pieces": {
        "type": "function",
        "function": {
            "name": "similar_pieces",
            "description": "Pieces on sale now that could stand in for one the customer cannot have (on hold for "
            "someone else, sold, not on sale): up to 3, best first, each with a confidence from 0 to 1. Call it when "
            "get_item or find_piece says the piece asked for is gone, and offer what it returns. Holds nothing.",
            "strict": True,
            "parameters": {
                "type": "object",
                "properties": {"sku": {"type": "string"}},
                "required": ["sku"],
                "additionalProperties": False,
            },
        },
    },
    "accept_counter": {
        "type": "function",
        "function": {
            "name": "accept_counter",
            "description": 'The customer says yes to the shop\'s counter-offer on an item ("ok deal", "yes I\'ll take '
            'it at that"): hold it for them at the counter price. Only a counter-offer the shop made to this customer '
            "and still open; returns the offer decided, like make_offer.",
            "strict": True,
            "parameters": {
                "type": "object",
                "properties": {"sku": {"type": "string"}},
                "required": ["sku"],
                "additionalProperties": False,
            },
        },
    },
}


def test_generated_tool_definitions_are_the_hand_written_ones_plus_sku_patterns_and_amount_ranges() -> None:
    added: dict[tuple[str, str], dict[str, object]] = {}
    generated = json.loads(json.dumps(tool_definitions()))
    for tool in generated:
        for param, schema in tool["function"]["parameters"]["properties"].items():
            extra = {
                key: schema.pop(key) for key in ("pattern", "exclusiveMinimum", "exclusiveMaximum") if key in schema
            }
            if extra:
                added[(tool["function"]["name"], param)] = extra

    assert [tool for tool in generated if tool["function"]["name"] not in ORDER_TALK | ADDED_LATER] == BEFORE
    assert [tool for tool in generated if tool["function"]["name"] in ADDED_LATER] == list(ADDED_LATER.values())
    assert {tool["function"]["name"]: tool for tool in generated if tool["function"]["name"] in ORDER_TALK} == {
        name: {
            "type": "function",
            "function": {
                "name": name,
                "description": description,
                "strict": True,
                "parameters": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
            },
        }
        for name, description in ORDER_TALK.items()
    }
    assert added == {
        ("search_items", "max_price"): AMOUNT_RANGE,
        ("search_items", "min_price"): AMOUNT_RANGE,
        ("search_items", "min_pit_to_pit"): AMOUNT_RANGE,
        ("get_item", "sku"): {"pattern": SKU_PATTERN},
        ("similar_pieces", "sku"): {"pattern": SKU_PATTERN},
        ("hold_item", "sku"): {"pattern": SKU_PATTERN},
        ("release_hold", "sku"): {"pattern": SKU_PATTERN},
        ("make_offer", "sku"): {"pattern": SKU_PATTERN},
        ("make_offer", "amount"): AMOUNT_RANGE,
        ("accept_counter", "sku"): {"pattern": SKU_PATTERN},
    }


def test_generated_properties_use_only_keywords_strict_mode_accepts():
    keywords = {
        key
        for tool in tool_definitions()
        for schema in tool["function"]["parameters"]["properties"].values()
        for key in schema
    }

    # No maxLength (strict mode refuses it; validation keeps it), no title, default or anyOf.
    assert keywords == {"type", "enum", "pattern", "exclusiveMinimum", "exclusiveMaximum"}


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("hold_item", "{not json", "Arguments are not valid JSON."),
        ("hold_item", "[1]", "Arguments must be a JSON object."),
        ("hold_item", "null", "Arguments must be a JSON object."),
        ("hold_item", '{"sku": "VNT-NIKE-WB-001", "price": 1, "customer": "x"}', "Unexpected argument(s): customer, price."),
        ("hold_item", "{}", "sku is required."),
        ("hold_item", '{"sku": null}', "sku is required."),
        ("hold_item", '{"sku": 42}', "sku must be a string of at most 200 characters."),
        ("hold_item", json.dumps({"sku": "A" * 201}), "sku must be a string of at most 200 characters."),
        ("get_item", '{"sku": "DROP TABLE"}', "sku is not a SKU."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": true}', "amount must be a number."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": "30"}', "amount must be a number."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": NaN}', "amount must be a number."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": Infinity}', "amount must be a number."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": 0}', "amount is out of range."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": 100000}', "amount is out of range."),
        ("make_offer", '{"sku": "VNT-NIKE-WB-001"}', "amount is required."),
        ("search_items", '{"kind": "spaceship"}', "kind must be one of accessory, dress, jacket, jeans, other, shirt, "
         "shoes, shorts, skirt, sweater, sweatshirt, trousers, tshirt."),
        ("search_items", '{"brand": 7}', "brand must be a string of at most 200 characters."),
        ("search_items", '{"max_price": -5}', "max_price is out of range."),
        ("hand_off_to_owner", "{}", "reason is required."),
    ],
)  # fmt: skip
def test_wrong_arguments_are_refused_with_what_is_wrong(name, raw, message):
    with pytest.raises(ValueError) as refused:
        parse_arguments(name, raw)

    assert str(refused.value) == message


def test_right_arguments_are_stripped_and_nullable_ones_may_be_left_out():
    assert parse_arguments("hold_item", '{"sku": "  VNT-NIKE-WB-001 "}') == HoldItem(sku="VNT-NIKE-WB-001")
    assert parse_arguments("make_offer", '{"sku": "VNT-NIKE-WB-001", "amount": 30}') == MakeOffer(
        sku="VNT-NIKE-WB-001", amount=30.0
    )
    assert parse_arguments("search_items", "{}") == SearchItems()
    assert parse_arguments("search_items", '{"brand": " Nike ", "kind": null}') == SearchItems(brand="Nike")
    assert (
        parse_arguments("place_order", None)
        == parse_arguments("place_order", "")
        == parse_arguments("place_order", "{}")
    )


def test_a_search_call_becomes_the_item_query_with_whole_dollar_prices(stock):
    query = parse_arguments(
        "search_items", '{"kind": "jacket", "max_price": 60, "min_price": 20.5, "min_pit_to_pit": 22}'
    ).item_query()

    assert (query.categories, query.max_price, query.min_price, query.measurements_min) == (
        ("jacket",),
        Decimal("60"),
        Decimal("20.5"),
        (("pit_to_pit", 22.0),),
    )
    assert "between $20.5 and $60" in query.describe()
