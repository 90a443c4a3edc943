"""The toolbox's typed results: what each action answers, the JSON the AI model reads for it, and
the same result rebuilt from its ToolCall row when a message is handled again."""

from decimal import Decimal

from assistant.models import ToolCall
from assistant.results import (
    REPLAY,
    HandedOff,
    Held,
    HeldBySomeoneElse,
    HoldLimit,
    NotFound,
    NotHeldByYou,
    NothingToOrder,
    OfferCountered,
    OrderPlaced,
    Refused,
    Released,
    SearchResults,
    Sold,
    ToolError,
)
from assistant.tests.assistant_support import hold, inbound
from assistant.tools import Toolbox
from inventory.item_query import ItemQuery
from inventory.models import Item

NIKE = "VNT-NIKE-WB-001"
CARHARTT = "VNT-CARH-DJ-002"


def test_a_hold_handled_again_replays_an_equal_result_from_its_row(stock, anna):
    message = inbound(anna, f"hold {NIKE}")

    first = Toolbox(customer=anna, message=message).hold_item(sku=NIKE)
    again = Toolbox(customer=anna, message=message).hold_item(sku=NIKE.lower())

    assert isinstance(first, Held)
    assert again == first
    assert (first.extended, first.hold_hours, first.item["sku"], first.item["status"]) == (
        False,
        24,
        NIKE,
        "held_by_you",
    )
    row = ToolCall.objects.get()
    assert (row.tool, row.arguments, row.succeeded, row.result) == ("hold_item", {"sku": NIKE}, True, first.wire())


def test_every_action_replays_the_same_typed_result(stock, anna):
    message = inbound(anna, "do it all")
    toolbox = Toolbox(customer=anna, message=message)
    results = [
        toolbox.hold_item(sku=NIKE),
        toolbox.make_offer(sku=CARHARTT, amount=Decimal("90")),
        toolbox.place_order(),
        toolbox.release_hold(sku=NIKE),
        toolbox.hand_off_to_owner(reason="wants a person"),
    ]

    replayed = Toolbox(customer=anna, message=message)
    again = [
        replayed.hold_item(sku=NIKE),
        replayed.make_offer(sku=CARHARTT, amount=Decimal("90.00")),
        replayed.place_order(),
        replayed.release_hold(sku=NIKE),
        replayed.hand_off_to_owner(reason="anything"),
    ]

    assert [type(result) for result in results] == [Held, OfferCountered, OrderPlaced, NotHeldByYou, HandedOff]
    assert again == results
    assert replayed.actions == results
    assert ToolCall.objects.count() == 5


def test_a_refusal_replays_as_the_same_refusal(stock, anna, ben):
    hold(NIKE, ben)
    message = inbound(anna, f"hold {NIKE}")

    first = Toolbox(customer=anna, message=message).hold_item(sku=NIKE)
    again = Toolbox(customer=anna, message=message).hold_item(sku=NIKE)

    assert isinstance(first, HeldBySomeoneElse)
    assert again == first
    assert first.available_again_at == Item.objects.get(sku=NIKE).held_until
    assert ToolCall.objects.get().succeeded is False


def test_a_refusal_reads_ok_error_and_message_first_as_the_model_always_saw_it(stock, anna, ben):
    held = hold(NIKE, ben)
    result = Toolbox(customer=anna, message=inbound(anna, "hold it")).hold_item(sku=NIKE)

    wire = result.wire()

    assert list(wire) == ["ok", "error", "message", "item", "available_again_at", "waitlist_place", "already_in_line"]
    assert wire == {
        "ok": False,
        "error": "held_by_someone_else",
        "message": "Another customer is holding this item; this customer is now on its waitlist.",
        "item": {
            "sku": NIKE,
            "name": "Vintage Nike Windbreaker",
            "brand": "Nike",
            "size": "L",
            "price": "45.00",
            "status": "held",
            "available_again_at": held.held_until.isoformat(),
        },
        "available_again_at": held.held_until.isoformat(),
        "waitlist_place": 1,
        "already_in_line": False,
    }


def test_wire_forms_of_the_refusals():
    assert NotFound(sku="VNT-NOPE-999").wire() == {
        "ok": False,
        "error": "not_found",
        "message": "No item with SKU VNT-NOPE-999.",
        "sku": "VNT-NOPE-999",
    }
    assert NotHeldByYou(sku=NIKE).wire() == {
        "ok": False,
        "error": "not_held_by_you",
        "message": f"{NIKE} is not on hold for you.",
        "sku": NIKE,
    }
    assert NothingToOrder().wire() == {
        "ok": False,
        "error": "no_holds",
        "message": "Nothing is on hold for you, so there is nothing to order yet.",
    }
    assert Refused(message="Nope.").wire() == {"ok": False, "error": "refused", "message": "Nope."}
    assert ToolError(error="not_shown", message="Search first.").wire() == {
        "ok": False,
        "error": "not_shown",
        "message": "Search first.",
    }
    assert HoldLimit(message="At most 3.", limit=3, holds=[]).wire() == {
        "ok": False,
        "error": "hold_limit",
        "message": "At most 3.",
        "limit": 3,
        "holds": [],
    }


def test_a_success_carries_its_next_step_and_a_relaxed_search_says_what_it_ignored():
    assert HandedOff().wire() == {"ok": True, "paused": True}
    assert SearchResults(query="jackets", items=[], relaxed=True).wire() == {
        "ok": True,
        "query": "jackets",
        "items": [],
        "relaxed": "ignored the free words",
    }
    assert SearchResults(query="jackets", items=[]).wire() == {"ok": True, "query": "jackets", "items": []}


def test_replay_tells_the_outcomes_apart_by_their_error_code(stock, anna):
    sold = Sold(item={"sku": NIKE, "status": "sold"})

    assert REPLAY["hold_item"].validate_python(sold.wire()) == sold
    assert REPLAY["hold_item"].validate_python({"ok": False, "error": "refused", "message": "No."}) == Refused(
        message="No."
    )
    assert REPLAY["release_hold"].validate_python({"ok": True, "item": {"sku": NIKE}}) == Released(item={"sku": NIKE})


def test_a_search_that_finds_nothing_for_its_words_says_it_relaxed_them(stock, anna):
    toolbox = Toolbox(customer=anna, message=inbound(anna, "nike zzzqqq"))

    result = toolbox.search_items(query=ItemQuery(brands=("Nike",), words=("zzzqqq",)))

    assert result.relaxed is True
    assert {facts["brand"] for facts in result.items} == {"Nike"}
