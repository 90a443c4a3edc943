"""What a customer does with a piece is recorded where it happens, in the Toolbox's reads and actions: one INSERT
each, nothing read for it, and nothing twice for a message answered again (issue 21, item 1)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant import notices
from assistant.tests.assistant_support import hold, inbound, say
from assistant.tools import Toolbox
from inventory.models import DropClaim, Item
from inventory.services import add_items, schedule_drop
from propositions.models import Interaction

NIKE = "VNT-NIKE-WB-001"
CARHARTT = "VNT-CARH-DJ-002"


def recorded(customer) -> list[tuple[str, str]]:
    return [
        (interaction.kind, interaction.item.sku)
        for interaction in Interaction.objects.filter(customer=customer).order_by("id").select_related("item")
    ]


def test_asking_about_a_piece_by_its_sku_records_asked_about_with_the_message(stock, anna):
    say(anna, f"{NIKE}?")

    interaction = Interaction.objects.get(customer=anna)
    assert (interaction.kind, interaction.item.sku) == ("asked_about", NIKE)
    assert interaction.message == anna.messages.filter(direction="inbound").get()


def test_a_hold_records_held(stock, anna):
    say(anna, f"I'll take {NIKE}")

    assert recorded(anna) == [("held", NIKE)]


def test_asking_for_a_piece_someone_else_holds_records_asked_for_a_gone_piece(stock, anna, ben):
    hold(NIKE, ben)

    say(anna, f"is {NIKE} still available?")
    say(anna, f"hold {NIKE} for me")

    assert [(kind, sku) for kind, sku in recorded(anna) if kind != "proposition_shown"] == [
        ("asked_for_gone", NIKE),
        ("asked_for_gone", NIKE),
    ]
    assert {kind for kind, _ in recorded(anna)} == {"asked_for_gone", "proposition_shown"}  # similar pieces proposed
    assert recorded(ben) == []  # a hold taken by hand (reserve_item), not through the assistant


def test_photos_offers_and_buying_are_recorded(stock, anna):
    say(anna, f"pics of {NIKE}?")
    say(anna, f"would you take $30 for {CARHARTT}?")
    say(anna, f"hold {NIKE}")
    say(anna, "I want to buy it")

    assert recorded(anna) == [
        ("photos", NIKE),
        ("offer", CARHARTT),
        ("held", NIKE),
        ("bought", NIKE),
    ]


def test_a_message_answered_again_records_nothing_twice(stock, anna):
    message = inbound(anna, f"{NIKE}?")
    for _ in range(2):
        toolbox = Toolbox(customer=anna, message=message)
        toolbox.get_item(sku=NIKE)
        toolbox.note_asked(toolbox.items([NIKE]))

    assert recorded(anna) == [("details", NIKE), ("asked_about", NIKE)]


def test_a_hold_writes_its_interaction_with_one_insert_and_no_read_for_it(stock, anna):
    toolbox = Toolbox(customer=anna, message=inbound(anna, f"hold {NIKE}"))

    with CaptureQueriesContext(connection) as queries:
        toolbox.hold_item(sku=NIKE)

    touching = [query["sql"] for query in queries if "propositions_" in query["sql"]]
    assert len(touching) == 1  # the insert, and the outcome of what was proposed moved on, in one statement
    assert touching[0].startswith("WITH recorded AS (INSERT INTO propositions_interaction")


def test_unknown_skus_are_left_out_of_what_was_asked(stock, anna):
    toolbox = Toolbox(customer=anna, message=inbound(anna, "VNT-NOPE-404?"))

    toolbox.note_asked([{"sku": "VNT-NOPE-404", "status": "available"}, {"sku": NIKE.lower(), "status": "sold"}])

    assert recorded(anna) == [("asked_for_gone", NIKE)]


def test_losing_a_drop_claim_records_lost_claim_with_the_claiming_message(stock, anna, ben):
    add_items(items=[{"sku": "VNT-DROP-001", "name": "Red Varsity Jacket", "category": "jacket", "price": "120"}])
    scheduled = schedule_drop(drops_at=timezone.now() + timedelta(hours=1), skus=["VNT-DROP-001"], name="Friday")
    scheduled.drops_at = timezone.now() - timedelta(minutes=1)
    scheduled.save(update_fields=["drops_at"])
    Item.objects.filter(sku="VNT-DROP-001").update(drops_at=scheduled.drops_at)
    say(anna, "VNT-DROP-001")
    say(ben, "VNT-DROP-001 pls")

    notices.settle_drop_item(drop_item_id=DropClaim.objects.first().drop_item_id, received_at={})

    winner = Item.objects.get(sku="VNT-DROP-001").held_by
    loser = ben if winner == anna else anna
    [lost] = Interaction.objects.filter(kind="lost_claim")
    assert (lost.customer, lost.item.sku) == (loser, "VNT-DROP-001")
    assert lost.message == loser.messages.get(direction="inbound")
    assert not Interaction.objects.filter(customer=winner, kind="lost_claim").exists()
