"""A deterministic simulation of customers asking for gone pieces of the stock in the shop (the demo stock of
`manage.py seed`), for the evaluation's figures when no real interactions exist yet (`manage.py propositions evaluate
--simulate`). Seeded: the same stock and seed give the same rows, hence the same figures.

It puts the pieces on sale (their `created_at`) at random over the `STOCK_DAYS` days before now, makes `CUSTOMERS`
customers (`sim-…`) of one known size each, and `ASKS` asks for a gone piece over the last `ASK_DAYS` days. Each ask
is answered as the shop would have with the hand-set weights — up to 3 pieces proposed — and the customer then holds
(and half the time buys) the piece they like best among those of the same category or brand on sale then, with a
chance that rises with how much they like it. What simulated customers like (`TASTE`) is not what the hand-set weights
say: their size and the price matter most, the category less. Earlier simulated customers and their rows are deleted
first; nothing else is changed but the pieces' `created_at`.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.models import Item
from propositions.models import CustomerSizes, Interaction, InteractionKind, Proposition, PropositionOutcome
from propositions.scoring import WEIGHTS, Sizes, Target, feature_values, letter_sizes, weigh
from propositions.selectors import CANDIDATES, best_first

PREFIX = "sim-"
STOCK_DAYS, ASK_DAYS = 84, 56
CUSTOMERS, ASKS = 120, 1500
TASTE = {"category": 0.5, "size": 2.5, "price": 2.0, "brand": 0.3, "style": 0.3, "newness": 0.2}
# How likely a customer is to take their favourite: sigmoid(liking − this).
RELUCTANCE = 2.5


@dataclass(frozen=True)
class Simulated:
    customers: int
    asks: int
    propositions: int
    taken: int  # asks followed by a hold


@transaction.atomic
def simulate(*, seed: int = 21, now: datetime | None = None) -> Simulated:
    now = now or timezone.now()
    rng = random.Random(seed)
    items, customers, sizes = _stock_and_customers(rng, now=now)
    interactions: list[Interaction] = []
    propositions: list[Proposition] = []
    asks = taken = 0
    for _ in range(ASKS):
        at = now - timedelta(days=rng.uniform(0, ASK_DAYS))
        customer = rng.choice(customers)
        on_sale = [item for item in items if item.created_at <= at]
        gone = rng.choice(on_sale)
        others = sorted(
            (item for item in on_sale if item != gone and (item.category == gone.category or item.brand == gone.brand)),
            key=lambda item: (item.created_at, item.pk),
            reverse=True,
        )[:CANDIDATES]
        if not others:
            continue
        asks += 1
        interactions.append(
            Interaction(customer=customer, item=gone, kind=InteractionKind.ASKED_FOR_GONE, created_at=at)
        )
        target = Target.of_item(gone)
        values = {item.pk: feature_values(item, target=target, sizes=sizes[customer.pk], now=at) for item in others}
        favourite, outcome = _customer_acts(rng, values=values, others=others, at=at, interactions=interactions,
                                            customer=customer)  # fmt: skip
        taken += outcome != PropositionOutcome.IGNORED
        for found in _proposed(others, values):
            if found.item == favourite and outcome != PropositionOutcome.IGNORED:
                result = outcome
            elif rng.random() < 0.3:
                result = PropositionOutcome.ASKED
            else:
                result = PropositionOutcome.IGNORED if at < now - timedelta(days=7) else PropositionOutcome.SHOWN
            propositions.append(Proposition(
                customer=customer, item=found.item, instead_of=gone, reason="sold", confidence=found.confidence,
                features=found.features, outcome=result, created_at=at,
            ))  # fmt: skip
    Interaction.objects.bulk_create(interactions)
    Proposition.objects.bulk_create(propositions)
    return Simulated(customers=len(customers), asks=asks, propositions=len(propositions), taken=taken)


def _stock_and_customers(rng: random.Random, *, now: datetime) -> tuple[list[Item], list[Customer], dict[str, Sizes]]:
    """The pieces, put on sale at random over the `STOCK_DAYS` before now, and new simulated customers of one size."""
    Customer.objects.filter(tiktok_user_id__startswith=PREFIX).delete()
    items = list(Item.objects.order_by("sku"))
    if len(items) < 6:
        raise ValueError("Too few pieces to simulate: run `manage.py seed` first.")
    for item in items:
        item.created_at = now - timedelta(days=rng.uniform(ASK_DAYS / 4, STOCK_DAYS))
    Item.objects.bulk_update(items, ["created_at"])
    labels = sorted({label for item in items for label in letter_sizes(item.size_label)}) or ["M"]
    customers = Customer.objects.bulk_create(
        Customer(tiktok_user_id=f"{PREFIX}{number:03}", username=f"{PREFIX}{number:03}") for number in range(CUSTOMERS)
    )
    sizes = {customer.pk: Sizes(labels=frozenset({rng.choice(labels)})) for customer in customers}
    CustomerSizes.objects.bulk_create(
        CustomerSizes(customer=customer, labels=sorted(sizes[customer.pk].labels)) for customer in customers
    )
    return items, customers, sizes


def _customer_acts(
    rng: random.Random, *, values: dict, others: list[Item], at: datetime, interactions: list, customer: Customer
) -> tuple[Item, str]:
    """The piece the customer likes best (`TASTE`) and what they do with it: hold it, buy it, or nothing (ignored)."""
    liking = {pk: sum(TASTE[name] * value for name, value in found.items()) + rng.gauss(0, 0.5)
              for pk, found in values.items()}  # fmt: skip
    favourite = max(others, key=lambda item: liking[item.pk])
    if rng.random() >= 1 / (1 + math.exp(RELUCTANCE - liking[favourite.pk])):
        return favourite, PropositionOutcome.IGNORED
    held_at = at + timedelta(hours=rng.uniform(1, 48))
    interactions.append(Interaction(customer=customer, item=favourite, kind=InteractionKind.HELD, created_at=held_at))
    if rng.random() >= 0.5:
        return favourite, PropositionOutcome.HELD
    interactions.append(
        Interaction(
            customer=customer, item=favourite, kind=InteractionKind.BOUGHT, created_at=held_at + timedelta(hours=1)
        )
    )
    return favourite, PropositionOutcome.BOUGHT


def _proposed(others: list[Item], values: dict) -> list:
    """What the shop proposed then: the hand-set weights' top 3 at `MIN_CONFIDENCE` or more (newest first on a tie)."""
    scored = [weigh(item, values[item.pk], WEIGHTS) for item in others]
    return best_first((found.confidence, found.item.created_at.timestamp(), found.item.pk, found) for found in scored)
