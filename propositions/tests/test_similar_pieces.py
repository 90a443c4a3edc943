"""`similar_pieces`: up to three pieces on sale now that stand in for the one wanted, read in one query and scored;
never a held, sold, hidden or not-yet-dropped piece, never the piece itself (issue 21, items 2 and 7)."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Message
from inventory.item_query import ItemQuery
from inventory.models import DropItem, Item
from inventory.services import schedule_drop
from philia.tests.factories import make_customer, make_item
from propositions import services
from propositions.models import Interaction, Proposition
from propositions.scoring import Sizes, Target, score
from propositions.selectors import (
    CANDIDATE_FIELDS,
    CANDIDATES,
    candidates,
    known_sizes,
    scored_candidates,
    similar_pieces,
    similar_pieces_for,
)
from propositions.services import Proposal, record_propositions, record_propositions_to_many, set_sizes

pytestmark = pytest.mark.django_db


def jacket(sku: str, **fields) -> Item:
    values = {"name": "Vintage Jacket", "brand": "Nike", "category": "jacket", "size_label": "L", "price": "45.00"}
    return make_item(sku, **{**values, **fields})


def skus(found) -> list[str]:
    return [scored.item.sku for scored in found]


def test_the_closest_three_are_proposed_best_first_with_their_features():
    now = timezone.now()
    wanted = jacket("WANTED", status="sold")
    jacket("SAME-ALL")
    jacket("OTHER-BRAND", brand="Adidas")
    jacket("OTHER-SIZE", size_label="S", brand="Adidas")
    jacket("FAR-PRICE", brand="Adidas", size_label="S", price="200.00")
    make_item("A-TEE", name="Tee", brand="Stussy", category="tshirt", size_label="L")

    found = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)

    assert skus(found) == ["SAME-ALL", "OTHER-BRAND", "OTHER-SIZE"]
    assert [scored.confidence for scored in found] == pytest.approx(
        [0.95, 0.8, 0.55], abs=0.001
    )  # no era: half the style
    assert set(found[0].features) == {"category", "size", "price", "brand", "style", "newness"}


def test_held_sold_hidden_and_upcoming_pieces_and_the_piece_itself_are_never_proposed():
    now = timezone.now()
    other = make_customer("other")
    wanted = jacket("WANTED")
    jacket("HELD", held_by=other, held_until=now + timedelta(hours=3))
    jacket("SOLD", status="sold")
    jacket("HIDDEN", status="hidden")
    jacket("UPCOMING", drops_at=now + timedelta(days=1))
    jacket("HOLD-RAN-OUT", held_by=other, held_until=now - timedelta(minutes=1))

    found = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)

    assert skus(found) == ["HOLD-RAN-OUT"]  # on sale again: its hold ran out


def test_every_similar_piece_held_proposes_nothing():
    now = timezone.now()
    other = make_customer("other")
    wanted = jacket("WANTED", status="sold")
    for number in range(3):
        jacket(f"HELD-{number}", held_by=other, held_until=now + timedelta(hours=3))

    assert similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now) == []


def test_a_piece_sold_since_the_last_look_is_not_proposed():
    now = timezone.now()
    wanted = jacket("WANTED", status="sold")
    jacket("STILL-HERE")
    gone = jacket("SOLD-MEANWHILE")
    assert skus(similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)) == [
        "SOLD-MEANWHILE",
        "STILL-HERE",
    ]

    Item.objects.filter(pk=gone.pk).update(status="sold")

    assert skus(similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)) == ["STILL-HERE"]


def test_candidates_are_read_in_one_query():
    wanted = jacket("WANTED", status="sold")
    for number in range(10):
        jacket(f"J-{number}")

    with CaptureQueriesContext(connection) as queries:
        similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=timezone.now())

    assert len(queries) == 1


def test_a_search_that_found_nothing_is_answered_within_its_price_limits():
    now = timezone.now()
    jacket("CHEAP", price="30.00", brand="Adidas")
    jacket("DEAR", price="90.00", brand="Adidas")
    query = ItemQuery(brands=("Nike",), categories=("jacket",), max_price=Decimal("40"), sizes=("XL",))

    assert skus(similar_pieces(target=Target.of_query(query), sizes=Sizes(), now=now)) == ["CHEAP"]


def test_a_customer_with_no_known_size_has_empty_sizes_and_still_gets_propositions():
    now = timezone.now()
    customer = make_customer()
    wanted = jacket("WANTED", status="sold")
    jacket("ANOTHER", size_label="M")

    sizes = known_sizes(customer=customer)

    assert sizes == Sizes()
    assert skus(similar_pieces(target=Target.of_item(wanted), sizes=sizes, now=now)) == ["ANOTHER"]


def test_known_sizes_rank_a_piece_in_the_customers_size_first():
    now = timezone.now()
    customer = make_customer()
    set_sizes(customer=customer, labels=["M"])
    wanted = jacket("WANTED", status="sold", size_label="L")
    jacket("IN-L", size_label="L")
    jacket("IN-M", size_label="M")

    found = similar_pieces(target=Target.of_item(wanted), sizes=known_sizes(customer=customer), now=now)

    assert skus(found) == ["IN-M", "IN-L"]


def test_propositions_are_stored_shown_with_their_interactions_once_per_message():
    now = timezone.now()
    customer = make_customer()
    message = Message.objects.create(customer=customer, role="user", direction="inbound", text="WANTED?")
    wanted = jacket("WANTED", status="sold")
    jacket("ANOTHER")
    found = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)

    for _ in range(2):
        record_propositions(customer=customer, reason="sold", proposed=found, instead_of=wanted, message=message)

    proposition = Proposition.objects.get()
    assert (proposition.item.sku, proposition.instead_of, proposition.outcome) == ("ANOTHER", wanted, "shown")
    assert proposition.confidence == found[0].confidence
    assert proposition.features == found[0].features
    assert list(Interaction.objects.values_list("kind", "item__sku")) == [("proposition_shown", "ANOTHER")]


def test_many_customers_propositions_are_all_stored_however_many_statements_they_take(monkeypatch):
    # A drop's losers are recorded together, at most ROWS_PER_STATEMENT pieces and asks a statement (PostgreSQL
    # takes at most 65,535 parameters): here 2 a statement, 5 customers with 2 pieces and an ask each.
    now = timezone.now()
    wanted = jacket("WANTED", status="sold")
    jacket("ANOTHER")
    jacket("A-THIRD", brand="Adidas")
    found = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now)
    customers = [make_customer(f"loser-{number}") for number in range(5)]
    messages = [
        Message.objects.create(customer=each, role="user", direction="inbound", text="mine") for each in customers
    ]
    proposals = [
        Proposal(customer_id=each.pk, message_id=message.pk, proposed=found, asked_for_gone=True)
        for each, message in zip(customers, messages, strict=True)
    ]
    monkeypatch.setattr(services, "ROWS_PER_STATEMENT", 2)

    with CaptureQueriesContext(connection) as queries:
        record_propositions_to_many(reason="lost_claim", proposals=proposals, instead_of=wanted)

    assert len(queries) == 5
    shown = set(Proposition.objects.values_list("customer_id", "item__sku", "confidence"))
    assert shown == {(each.pk, scored.item.sku, scored.confidence) for each in customers for scored in found}
    kinds = sorted(Interaction.objects.values_list("customer_id", "kind", "item__sku"))
    assert kinds == sorted(
        [(each.pk, "asked_for_gone", "WANTED") for each in customers]
        + [(each.pk, "proposition_shown", scored.item.sku) for each in customers for scored in found]
    )


def test_a_piece_being_settled_in_a_drop_and_the_pieces_kept_back_are_not_proposed():
    now = timezone.now()
    wanted = jacket("WANTED", status="sold")
    jacket("CLAIMED")
    jacket("KEPT")
    jacket("FREE")
    drop = schedule_drop(drops_at=now + timedelta(hours=1), skus=["CLAIMED"])
    drop.drops_at = now - timedelta(minutes=1)
    drop.save(update_fields=["drops_at"])
    Item.objects.filter(sku="CLAIMED").update(drops_at=drop.drops_at)
    DropItem.objects.filter(drop=drop).update(first_claim_at=now - timedelta(seconds=5))  # claimed, not settled
    kept = Item.objects.filter(sku="KEPT").values("pk")

    found = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now, kept_back=kept)

    assert skus(found) == ["FREE"]
    DropItem.objects.filter(drop=drop).update(settled_at=now)
    settled = similar_pieces(target=Target.of_item(wanted), sizes=Sizes(), now=now, kept_back=kept)
    assert sorted(skus(settled)) == ["CLAIMED", "FREE"]


def test_the_pieces_proposed_are_read_as_the_orm_reads_them():
    now = timezone.now()
    customer = make_customer()
    set_sizes(customer=customer, measurements={"pit_to_pit": 22})
    wanted = jacket("WANTED", status="sold")
    other = make_customer("other")
    measurements = {"pit_to_pit": 22.5, "length": 27}
    jacket(
        "ANOTHER",
        era="90s",
        size_label="S",
        measurements=measurements,
        held_by=other,
        held_until=now - timedelta(days=1),
    )

    [found] = similar_pieces_for(customer=customer, target=Target.of_item(wanted), now=now)

    stored = Item.objects.get(sku="ANOTHER")
    for name in ("pk", *CANDIDATE_FIELDS):
        assert getattr(found.item, name) == getattr(stored, name), name
    assert found.item.created_at.tzinfo == stored.created_at.tzinfo
    assert found == similar_pieces(target=Target.of_item(wanted), sizes=known_sizes(customer=customer), now=now)[0]
    assert found.features["size"] == 0.25  # not the size wanted, but the pit to pit within an inch of theirs


@pytest.mark.parametrize(
    "sizes",
    [
        {"labels": ["M"], "waist": 32},
        {"measurements": {"pit_to_pit": 22, "length": 28}},  # a label that is not theirs: the measurements tell
        {"labels": ["L"], "measurements": {"pit_to_pit": 23}},
    ],
)
def test_the_best_are_those_scoring_every_candidate_in_full_finds(sizes):
    # Candidates that cannot be among the best are not scored in full (`Scorer.most_confident`), and what a size
    # label, a kind and a brand give is worked out once for the pieces that share them: the pieces proposed, their
    # confidences and features are those of scoring each and ranking them all.
    now = timezone.now()
    rng = random.Random(21)
    customer = make_customer()
    set_sizes(customer=customer, **sizes)
    for number in range(60):
        make_item(
            f"P-{number}",
            name=rng.choice(["Track Jacket", "Band Tee", "Work Jacket", "Denim Jeans", "Fleece"]),
            brand=rng.choice(["Nike", "Adidas", "Carhartt", "Levi's", ""]),
            category=rng.choice(["jacket", "tshirt", "jeans"]),
            size_label=rng.choice(["S", "M", "L", "W32 L30", "32", "XL"]),
            era=rng.choice(["80s", "90s", ""]),
            price=f"{rng.randint(10, 150)}.00",
            measurements=rng.choice([{}, {"pit_to_pit": rng.randint(20, 25), "length": rng.randint(26, 30)}]),
        )
        Item.objects.filter(sku=f"P-{number}").update(created_at=now - timedelta(days=rng.randint(0, 90)))
    for wanted in Item.objects.order_by("pk")[:20]:
        target, sizes = Target.of_item(wanted), known_sizes(customer=customer)
        every = [score(item, target=target, sizes=sizes, now=now) for item in candidates(target=target, now=now)]
        ranked = sorted(every, key=lambda found: (-found.confidence, -found.item.created_at.timestamp(), found.item.pk))
        expected = [(found.item.sku, found.confidence, found.features) for found in ranked if found.confidence >= 0.25]

        found = similar_pieces_for(customer=customer, target=target, now=now)

        assert [(each.item.sku, each.confidence, each.features) for each in found] == expected[:3]


def test_the_candidates_read_by_kind_and_brand_are_the_newest_of_the_whole_stock_that_match():
    # The candidates are read as the newest of each category and of each brand, each from its own index, merged:
    # the same pieces, in the same order, as walking the whole stock newest first (the greater id first at the same
    # time) for those of the kind or brand, more of them than are read.
    now = timezone.now()
    rng = random.Random(7)
    brands = ["Nike", "nike", "Adidas", "Carhartt", ""]
    Item.objects.bulk_create(
        Item(
            sku=f"P-{number}",
            name="Piece",
            brand=rng.choice(brands),
            category=rng.choice(["jacket", "tshirt", "jeans", "shoes"]),
            price=Decimal(rng.randint(10, 150)),
            status=rng.choice(["available"] * 5 + ["sold", "hidden"]),
        )
        for number in range(400)
    )
    for item in Item.objects.all():  # a few share a time: the greater id comes first
        Item.objects.filter(pk=item.pk).update(created_at=now - timedelta(hours=rng.randint(0, 300)))
    wanted = Item.objects.filter(brand="Nike", category="jacket").first()
    assert wanted is not None
    targets = [
        Target.of_item(wanted),
        Target(categories=frozenset({"jacket", "jeans"}), brands=frozenset({"NIKE", "CARHARTT"})),
        Target(brands=frozenset({"ADIDAS"}), min_price=Decimal(20), max_price=Decimal(120)),
        Target(categories=frozenset({"tshirt"}), excluded_ids=frozenset({wanted.pk})),
        Target(),
    ]
    counts = []
    for target in targets:
        same = Q(category__in=target.categories) if target.categories else Q()
        for brand in target.brands:
            same |= Q(brand__iexact=brand)
        walked = Item.objects.free(now=now).exclude(pk__in=target.excluded_ids).filter(same)
        if target.min_price is not None:
            walked = walked.filter(price__gte=target.min_price, price__lte=target.max_price)
        columns = ("pk", "brand", "category", "price", "created_at")
        expected = list(walked.order_by("-created_at", "-id").values_list(*columns)[:CANDIDATES])

        read = [
            tuple(getattr(piece, name) for name in columns)
            for piece in scored_candidates(target=target, now=now).pieces
        ]

        assert [tuple(getattr(item, name) for name in columns) for item in candidates(target=target, now=now)] == read
        assert read == expected
        counts.append(len(read))
    assert counts[0] == counts[1] == counts[4] == CANDIDATES  # more match than are read
