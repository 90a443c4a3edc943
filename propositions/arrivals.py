"""New in your size: which customers may hear of new pieces now, and which pieces (issue 21, item 4). The message
is the assistant's (`assistant.arrivals`); this module decides and records.

A customer hears at most once a day (`ArrivalsNotice`, one row per customer and day), only with marketing consent
(`Customer.marketing_consent`, the one consent the shop keeps: news of lives too), not opted out (STOP), within TikTok's reply window, and only of pieces on sale now, put on sale in the
last `NEW_FOR_HOURS`, that fit their known sizes and that they never asked about.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from conversations.models import Customer
from inventory.models import Item
from propositions.models import ArrivalsNotice, CustomerSizes, Interaction
from propositions.scoring import Sizes, Target, size_fit
from propositions.selectors import proposable

NEW_FOR_HOURS = 24
PIECES_PER_NOTICE = 3
# New pieces read per run: a day of a one-person shop's new stock many times over.
NEW_PIECES_READ = 500


@dataclass(frozen=True)
class Arrivals:
    customer: Customer
    items: list[Item]


def arrivals_due(*, now: datetime, kept_back: QuerySet[Any] | None = None) -> list[Arrivals]:
    """Each customer who may hear of new pieces now, with up to `PIECES_PER_NOTICE` of them (newest first); customers
    with none are left out. Three queries, whatever the number of customers: the customers, the new pieces, the
    pieces each already asked about. As with propositions, no piece whose drop is being settled (claimed, nobody can
    hold it) nor one of the ids `kept_back` (a subquery: pieces lined up for a live stream, to be sold on screen)."""
    pieces = proposable(now=now, kept_back=kept_back).filter(created_at__gte=now - timedelta(hours=NEW_FOR_HOURS))
    new = list(pieces.order_by("-created_at", "-pk")[:NEW_PIECES_READ])
    if not new:
        return []
    customers = list(
        Customer.objects.filter(
            marketing_consent=True,
            opted_out_at__isnull=True,
            last_inbound_at__gte=now - timedelta(hours=settings.TIKTOK_WINDOW_HOURS),
            sizes__isnull=False,
        )
        .exclude(Exists(ArrivalsNotice.objects.filter(customer=OuterRef("pk"), day=now.date())))
        .exclude(Q(bot_paused_until__gt=now))
        .select_related("sizes")
    )
    asked = set(Interaction.objects.filter(customer__in=customers, item__in=new).values_list("customer_id", "item_id"))
    due = []
    for customer in customers:
        sizes = _sizes(customer.sizes)
        fitting = [
            item
            for item in new
            if (customer.pk, item.pk) not in asked and size_fit(item, target=Target(), sizes=sizes) == 1.0
        ]
        if fitting:
            due.append(Arrivals(customer=customer, items=fitting[:PIECES_PER_NOTICE]))
    return due


def claim_notice(*, arrivals: Arrivals, now: datetime) -> bool:
    """Record today's notice to the customer; False when one was already recorded (another run got there first).
    Call it in the transaction that queues the message."""
    try:
        with transaction.atomic():
            ArrivalsNotice.objects.create(
                customer=arrivals.customer, day=now.date(), skus=[item.sku for item in arrivals.items], created_at=now
            )
    except IntegrityError:
        return False
    return True


def _sizes(stored: CustomerSizes) -> Sizes:
    return Sizes(labels=frozenset(stored.labels), waist=stored.waist, measurements=dict(stored.measurements))
