"""How well the propositions do (issue 21, item 5, first part): the week's figures per reason from the stored
outcomes, and a replay of the stored interactions that scores the scorer against "the newest of the same category"
on the last `HELD_OUT_DAYS` days (precision@3).

The replay's approximations, as the rows allow: the pieces a customer could have been offered at a moment are those
put on sale by then (their state at that moment is not stored, so a piece sold since still counts), and the sizes are
the customer's as known now.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from inventory.models import Item
from propositions.models import Interaction, InteractionKind, Proposition, PropositionOutcome, PropositionReason
from propositions.scoring import Target, feature_values, weighed
from propositions.selectors import CANDIDATES, best_first, known_sizes
from propositions.weights import current_weights

HELD_OUT_DAYS = 14
# What counts as a piece the customer really wanted: they held or bought it within this many days of the ask.
WANTED_WITHIN_DAYS = 7


@dataclass(frozen=True)
class Figures:
    reason: str
    shown: int
    asked: int
    held: int
    bought: int

    @property
    def label(self) -> str:
        return PropositionReason(self.reason).label if self.reason in PropositionReason.values else self.reason

    @property
    def rate(self) -> float:
        """Bought per proposition shown."""
        return self.bought / self.shown if self.shown else 0.0


@dataclass(frozen=True)
class Replay:
    asks: int  # asks for a gone piece followed by a hold or a purchase of another piece
    scorer: float  # precision@3
    baseline: float


def weekly_figures(*, now: datetime, since: datetime | None = None) -> list[Figures]:
    """Per reason, the propositions made from `since` (7 days before `now` unless given) to `now` and how far each
    went (one query)."""
    asked = [PropositionOutcome.ASKED, PropositionOutcome.HELD, PropositionOutcome.BOUGHT]
    rows = (
        Proposition.objects.filter(created_at__gte=since or now - timedelta(days=7), created_at__lt=now)
        .values("reason")
        .annotate(
            shown=Count("pk"),
            asked=Count("pk", filter=Q(outcome__in=asked)),
            held=Count("pk", filter=Q(outcome__in=asked[1:])),
            bought=Count("pk", filter=Q(outcome=PropositionOutcome.BOUGHT)),
        )
        .order_by("reason")
    )
    return [Figures(row["reason"], row["shown"], row["asked"], row["held"], row["bought"]) for row in rows]


@dataclass(frozen=True)
class Case:
    """One ask for a gone piece replayed: what the customer went on to hold or buy, each piece on sale by then as
    (id, put on sale at, its feature values), newest first, and the baseline's 3 newest of the same category."""

    wanted: frozenset[int]
    candidates: list[tuple[int, float, dict[str, float]]]
    newest: list[int]


def replay(*, now: datetime, weights: Mapping[str, float] | None = None) -> Replay:
    """precision@3 of the scorer (the weights in use unless given) and of the baseline over the asks for a gone
    piece in the held-out days."""
    cases = replay_cases(now=now)
    return Replay(
        asks=len(cases),
        scorer=precision_at_3(cases, weights or current_weights()),
        baseline=sum(len(case.wanted.intersection(case.newest)) / 3 for case in cases) / len(cases) if cases else 0.0,
    )


def precision_at_3(cases: list[Case], weights: Mapping[str, float]) -> float:
    """The share of the scorer's top 3 (by `weights`, at least `MIN_CONFIDENCE`, ranked as the shop ranks them) the
    customers went on to want."""
    if not cases:
        return 0.0
    hits = 0.0
    for case in cases:
        top = best_first((weighed(values, weights)[0], at, pk, pk) for pk, at, values in case.candidates)
        hits += len(case.wanted.intersection(top)) / 3
    return hits / len(cases)


def replay_cases(*, now: datetime, days: int = HELD_OUT_DAYS) -> list[Case]:
    """The asks for a gone piece of the `days` before `now` that the customer followed, within
    `WANTED_WITHIN_DAYS`, by holding or buying another piece (one per customer and piece asked for)."""
    since = now - timedelta(days=days)
    asks = Interaction.objects.filter(kind=InteractionKind.ASKED_FOR_GONE, created_at__gte=since, created_at__lt=now)
    taken = defaultdict(list)
    for customer_id, item_id, at in Interaction.objects.filter(
        kind__in=[InteractionKind.HELD, InteractionKind.BOUGHT], created_at__gte=since
    ).values_list("customer_id", "item_id", "created_at"):
        taken[customer_id].append((item_id, at))
    cases, seen = [], set()
    for ask in asks.select_related("item", "customer").order_by("created_at"):
        wanted = {
            item_id
            for item_id, at in taken[ask.customer_id]
            if item_id != ask.item_id and ask.created_at < at <= ask.created_at + timedelta(days=WANTED_WITHIN_DAYS)
        }
        if not wanted or (ask.customer_id, ask.item_id) in seen:
            continue
        seen.add((ask.customer_id, ask.item_id))
        then = list(
            Item.objects.filter(created_at__lte=ask.created_at)
            .filter(Q(category=ask.item.category) | Q(brand__iexact=ask.item.brand or "\x00"))
            .exclude(pk=ask.item_id)
            .order_by("-created_at", "-pk")[:CANDIDATES]
        )
        target, sizes = Target.of_item(ask.item), known_sizes(customer=ask.customer)
        values = [
            (item.pk, item.created_at.timestamp(), feature_values(item, target=target, sizes=sizes, now=ask.created_at))
            for item in then
        ]
        newest = [item.pk for item in then if item.category == ask.item.category][:3]
        cases.append(Case(wanted=frozenset(wanted), candidates=values, newest=newest))
    return cases
