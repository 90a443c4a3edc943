"""Both assistants propose other pieces when the one asked for is gone — held by someone else, sold, hidden — or a
search finds nothing, and store what they proposed (issue 21, items 2 and 7). The offline assistant in its replies;
the AI through the read-only `similar_pieces` tool, against the fake OpenAI server on 127.0.0.1."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant.arguments import SimilarTo, parse_arguments
from assistant.models import ToolCall
from assistant.tests.assistant_support import hold, say
from conversations.models import Customer
from inventory.models import Item
from live.services import schedule_stream
from orders.services import place_order
from philia.tests.factories import make_customer, make_item
from propositions.models import CustomerSizes, Interaction, Proposition
from propositions.services import set_sizes
from testing.fake_openai import last_tool_result, respond, text, tool_calls, tool_results


@pytest.fixture
def jackets(db) -> dict[str, Item]:
    """A sold-out Nike windbreaker in L and the jackets that could stand in for it."""
    pieces = [
        ("VNT-WANT-001", "Nike Windbreaker", "Nike", "L", "45.00"),
        ("VNT-NIKE-002", "Nike Track Jacket", "Nike", "L", "50.00"),
        ("VNT-ADID-003", "Adidas Track Jacket", "Adidas", "M", "40.00"),
        ("VNT-PUMA-004", "Puma Windbreaker", "Puma", "L", "48.00"),
        ("VNT-CARH-005", "Carhartt Work Jacket", "Carhartt", "XL", "120.00"),
    ]
    return {
        sku: make_item(sku, name=name, brand=brand, size_label=size, price=price, category="jacket")
        for sku, name, brand, size, price in pieces
    }


def sold_to_someone_else(sku: str) -> None:
    buyer, _ = Customer.objects.get_or_create(tiktok_user_id="someone-else")
    hold(sku, buyer)
    place_order(customer=buyer)


def proposed(customer) -> list[tuple[str, str, str]]:
    return [
        (proposition.item.sku, proposition.reason, proposition.outcome)
        for proposition in Proposition.objects.filter(customer=customer).order_by("-confidence", "id")
    ]


def test_a_sold_piece_is_answered_with_the_best_three_and_they_are_stored_as_shown(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")

    reply = say(anna, "VNT-WANT-001?")

    assert "This one has already sold, sorry!" in reply.text
    similar = reply.text.split("Similar pieces:\n")[1].splitlines()
    assert [line.split(" · ")[0] for line in similar] == ["VNT-NIKE-002", "VNT-PUMA-004", "VNT-ADID-003"]
    assert proposed(anna) == [
        ("VNT-NIKE-002", "sold", "shown"),
        ("VNT-PUMA-004", "sold", "shown"),
        ("VNT-ADID-003", "sold", "shown"),
    ]
    stored = Proposition.objects.filter(customer=anna).first()
    assert stored.instead_of.sku == "VNT-WANT-001"
    assert stored.message == anna.messages.get(direction="inbound")
    assert set(stored.features) == {"category", "size", "price", "brand", "style", "newness"}
    assert 0 < stored.confidence <= 1


def test_a_piece_held_by_someone_else_is_answered_with_its_line_and_similar_pieces(jackets, anna, ben):
    hold("VNT-WANT-001", ben)

    reply = say(anna, "hold VNT-WANT-001 for me")

    assert "You're #1 in line" in reply.text
    assert "Similar pieces:\nVNT-NIKE-002" in reply.text
    assert {reason for _, reason, _ in proposed(anna)} == {"held"}


def test_known_sizes_come_first(jackets, anna):
    set_sizes(customer=anna, labels=["M"])
    sold_to_someone_else("VNT-WANT-001")

    say(anna, "VNT-WANT-001?")

    assert proposed(anna)[0][0] == "VNT-ADID-003"


def test_every_similar_piece_held_proposes_nothing_and_says_only_that_it_sold(jackets, anna, ben):
    sold_to_someone_else("VNT-WANT-001")
    for sku in ("VNT-NIKE-002", "VNT-ADID-003", "VNT-PUMA-004", "VNT-CARH-005"):
        hold(sku, ben, hours=2) if sku != "VNT-CARH-005" else hold(sku, make_customer("third"))

    reply = say(anna, "VNT-WANT-001?")

    assert "This one has already sold, sorry!" in reply.text
    assert "Similar pieces" not in reply.text
    assert proposed(anna) == []


def test_a_piece_sold_meanwhile_is_never_proposed(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")
    say(anna, "VNT-WANT-001?")
    sold_to_someone_else("VNT-NIKE-002")

    reply = say(anna, "VNT-WANT-001?")

    assert "VNT-NIKE-002" not in reply.text.split("Similar pieces:")[1]


def test_a_search_that_finds_nothing_proposes_what_the_scorer_finds_within_its_price(jackets, anna):
    make_item("VNT-NIKE-TEE-9", name="Nike Tee", brand="Nike", category="tshirt", size_label="L", price="25.00")

    reply = say(anna, "any nike jackets under $30?")

    assert reply.text.startswith("I don't have any Nike jackets under $30 right now.")
    assert "VNT-NIKE-TEE-9" in reply.text
    assert proposed(anna) == [("VNT-NIKE-TEE-9", "nothing_found", "shown")]


def test_hostile_text_gets_a_plain_answer_and_nothing_is_proposed(jackets, anna):
    reply = say(anna, "<script>alert('x')</script> size: " + "A" * 10_000)

    assert reply is not None and reply.text
    assert "<script>" not in reply.text
    assert proposed(anna) == []


# --- The AI's similar_pieces tool ----------------------------------------------------------------------------------


def test_the_ai_proposes_similar_pieces_for_a_sold_one(ai_settings, fake_openai, jackets, anna):
    sold_to_someone_else("VNT-WANT-001")
    fake_openai.script(
        tool_calls(("similar_pieces", {"sku": "VNT-WANT-001"})),
        respond(
            lambda request: text(f"It's sold, sorry! You might like {last_tool_result(request)['pieces'][0]['sku']}.")
        ),
    )

    reply = say(anna, "is the nike windbreaker still around?")

    assert reply.source == "ai"
    assert reply.text == "It's sold, sorry! You might like VNT-NIKE-002."
    [result] = tool_results(fake_openai.requests[1])
    assert [piece["sku"] for piece in result["pieces"]] == ["VNT-NIKE-002", "VNT-PUMA-004", "VNT-ADID-003"]
    assert all(0 < piece["confidence"] <= 1 and piece["status"] == "available" for piece in result["pieces"])
    assert [sku for sku, _, _ in proposed(anna)] == ["VNT-NIKE-002", "VNT-PUMA-004", "VNT-ADID-003"]
    assert ToolCall.objects.count() == 0  # a read: nothing acted on
    assert Item.objects.get(sku="VNT-NIKE-002").status == "available"


def test_the_ai_asking_for_an_unknown_sku_is_told_it_is_not_found(ai_settings, fake_openai, jackets, anna):
    fake_openai.script(
        tool_calls(("similar_pieces", {"sku": "VNT-NOPE-404"})),
        respond(lambda request: text("I can't find that one.")),
    )

    say(anna, "anything like the one you had last week?")

    assert tool_results(fake_openai.requests[1])[0]["error"] == "not_found"
    assert proposed(anna) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{}", "sku is required."),
        ('{"sku": "<script>alert(1)</script>"}', "sku is not a SKU."),
        ('{"sku": "VNT-WANT-001", "limit": 50}', "Unexpected argument(s): limit."),
        ('{"sku": 7}', "sku must be a string."),
    ],
)
def test_wrong_similar_pieces_arguments_are_refused(raw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_arguments("similar_pieces", raw)


def test_similar_pieces_arguments_are_stripped():
    assert parse_arguments("similar_pieces", json.dumps({"sku": " VNT-WANT-001 "})) == SimilarTo(sku="VNT-WANT-001")


def test_an_expired_hold_counts_as_on_sale(jackets, anna, ben):
    sold_to_someone_else("VNT-WANT-001")
    hold("VNT-NIKE-002", ben)
    Item.objects.filter(sku="VNT-NIKE-002").update(held_until=timezone.now() - timedelta(minutes=1))

    say(anna, "VNT-WANT-001?")

    assert "VNT-NIKE-002" in [sku for sku, _, _ in proposed(anna)]


def test_holding_a_proposed_piece_moves_its_proposition_to_held(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")
    say(anna, "VNT-WANT-001?")

    say(anna, "hold VNT-NIKE-002")

    assert proposed(anna)[0] == ("VNT-NIKE-002", "sold", "held")
    assert [outcome for _, _, outcome in proposed(anna)[1:]] == ["shown", "shown"]


def test_a_size_the_customer_says_they_wear_ranks_pieces_in_it_first(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")

    say(anna, "hi! i'm usually a medium btw")
    say(anna, "VNT-WANT-001?")

    assert CustomerSizes.objects.get(customer=anna).labels == ["M"]
    assert proposed(anna)[0][0] == "VNT-ADID-003"


def test_what_a_customer_buys_teaches_their_size(jackets, anna):
    say(anna, "hold VNT-CARH-005")
    say(anna, "I want to buy it")

    assert CustomerSizes.objects.get(customer=anna).labels == ["XL"]


def test_hold_it_after_a_piece_and_its_propositions_means_that_piece(jackets, anna, ben):
    hold("VNT-WANT-001", ben)
    say(anna, "is VNT-WANT-001 still available?")

    reply = say(anna, "ok hold it")

    assert reply.text.startswith("Sorry, VNT-WANT-001 · Nike Windbreaker · L · $45 is on hold for another customer")
    assert "You're #1 in line" in reply.text


def test_the_second_one_after_a_piece_and_its_propositions_is_the_first_proposed(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")
    say(anna, "VNT-WANT-001?")

    reply = say(anna, "tell me about the second one")

    assert reply.text.startswith("VNT-NIKE-002 · Nike Track Jacket")


def test_a_piece_lined_up_for_a_stream_to_come_is_not_proposed_in_place_of_a_sold_one(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")
    schedule_stream(title="Sunday live", skus=["VNT-NIKE-002"])

    reply = say(anna, "VNT-WANT-001?")

    similar = reply.text.split("Similar pieces:\n")[1].splitlines()
    assert [line.split(" · ")[0] for line in similar] == ["VNT-PUMA-004", "VNT-ADID-003", "VNT-CARH-005"]


def test_the_ask_for_a_gone_piece_is_recorded_with_what_was_proposed_in_one_statement(jackets, anna):
    sold_to_someone_else("VNT-WANT-001")

    with CaptureQueriesContext(connection) as queries:
        say(anna, "VNT-WANT-001?")

    writes = [query["sql"] for query in queries if "INSERT INTO propositions_" in query["sql"]]
    assert len(writes) == 1  # one commit for the reply's records
    recorded = Interaction.objects.filter(customer=anna).order_by("id").values_list("kind", "item__sku")
    assert list(recorded) == [
        ("asked_for_gone", "VNT-WANT-001"),
        ("proposition_shown", "VNT-NIKE-002"),
        ("proposition_shown", "VNT-PUMA-004"),
        ("proposition_shown", "VNT-ADID-003"),
    ]


def test_the_ask_for_a_gone_piece_is_recorded_when_nothing_is_proposed(jackets, anna, ben):
    sold_to_someone_else("VNT-WANT-001")
    for sku in ("VNT-NIKE-002", "VNT-ADID-003", "VNT-PUMA-004"):
        hold(sku, ben)
    hold("VNT-CARH-005", make_customer("third"))

    say(anna, "VNT-WANT-001?")

    recorded = Interaction.objects.filter(customer=anna).values_list("kind", "item__sku")
    assert list(recorded) == [("asked_for_gone", "VNT-WANT-001")]
