"""How well the propositions do (issue 21, item 5, first part): the week's figures per reason from the stored
outcomes, and a replay of the stored interactions that scores the scorer against "the newest of the same category"
on the last `HELD_OUT_DAYS` days (precision@3).

The replay's approximations, as the rows allow: the pieces a customer could have been offered at a moment are those
put on sale by then (their state at that moment is not stored, so a piece sold since still counts), and the sizes are
the customer's as known now.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from inventory.models import Item
from propositions.models import Interaction, InteractionKind, Proposition, PropositionOutcome
from propositions.scoring import Target, score
from propositions.selectors import CANDIDATES, MIN_CONFIDENCE, known_sizes

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
    def rate(self) -> float:
        """Bought per proposition shown."""
        return self.bought / self.shown if self.shown else 0.0


@dataclass(frozen=True)
class Replay:
    asks: int  # asks for a gone piece followed by a hold or a purchase of another piece
    scorer: float  # precision@3
    baseline: float


def weekly_figures(*, now: datetime) -> list[Figures]:
    """Per reason, the propositions of the 7 days before `now` and how far each went (one query)."""
    asked = [PropositionOutcome.ASKED, PropositionOutcome.HELD, PropositionOutcome.BOUGHT]
    rows = (
        Proposition.objects.filter(created_at__gte=now - timedelta(days=7), created_at__lt=now)
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


def replay(*, now: datetime) -> Replay:
    """precision@3 of the scorer and of the baseline over the asks for a gone piece in the held-out days."""
    since = now - timedelta(days=HELD_OUT_DAYS)
    asks = Interaction.objects.filter(kind=InteractionKind.ASKED_FOR_GONE, created_at__gte=since, created_at__lt=now)
    taken = defaultdict(list)
    for customer_id, item_id, at in Interaction.objects.filter(
        kind__in=[InteractionKind.HELD, InteractionKind.BOUGHT], created_at__gte=since
    ).values_list("customer_id", "item_id", "created_at"):
        taken[customer_id].append((item_id, at))
    hits: dict[str, list[float]] = {"scorer": [], "baseline": []}
    seen: set[tuple[str, int]] = set()
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
        scored = sorted(
            (score(item, target=target, sizes=sizes, now=ask.created_at) for item in then),
            key=lambda found: (-found.confidence, -found.item.created_at.timestamp(), found.item.pk),
        )
        top = [found.item.pk for found in scored if found.confidence >= MIN_CONFIDENCE][:3]
        newest = [item.pk for item in then if item.category == ask.item.category][:3]
        hits["scorer"].append(len(wanted.intersection(top)) / 3)
        hits["baseline"].append(len(wanted.intersection(newest)) / 3)
    count = len(hits["scorer"])
    return Replay(
        asks=count,
        scorer=sum(hits["scorer"]) / count if count else 0.0,
        baseline=sum(hits["baseline"]) / count if count else 0.0,
    )
