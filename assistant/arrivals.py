"""New in your size, told: each customer `propositions.arrivals.arrivals_due` names gets one message with their
pieces, stored as propositions (reason `new_arrival`), never one lined up for a live stream still to show it. Run hourly (`tell_new_arrivals` in assistant/tasks.py) and
by `manage.py propositions new-arrivals`; a second run the same day sends nothing more."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from assistant import wording
from assistant.formatting import item_line
from conversations import services as conversation_services
from conversations.models import Message
from inventory.models import Item
from live.selectors import kept_for_streams
from propositions.arrivals import arrivals_due, claim_notice
from propositions.models import PropositionReason
from propositions.scoring import Target, score
from propositions.selectors import known_sizes
from propositions.services import record_propositions

logger = logging.getLogger(__name__)


def tell_new_arrivals(*, now: datetime | None = None) -> int:
    """Queue today's "new in your size" message to each customer due one; how many were told. Each message, its
    day's notice and its propositions commit together, so a retried or concurrent run tells no one twice."""
    now = now or timezone.now()
    told = 0
    for arrivals in arrivals_due(now=now, kept_back=kept_for_streams()):
        customer = arrivals.customer
        sizes = known_sizes(customer=customer)
        with transaction.atomic():
            if not claim_notice(arrivals=arrivals, now=now):
                continue
            record_propositions(
                customer=customer,
                reason=PropositionReason.NEW_ARRIVAL,
                proposed=[score(item, target=Target(), sizes=sizes, now=now) for item in arrivals.items],
            )
            conversation_services.queue_outbound_message(
                customer=customer,
                text=wording.new_in_your_size("\n".join(_line(item) for item in arrivals.items)),
                role=Message.Role.ASSISTANT,
            )
        told += 1
    logger.info("new arrivals told", extra={"customers": told})
    return told


def _line(item: Item) -> str:
    return item_line({"sku": item.sku, "name": item.name, "size": item.size_label, "price": item.price})
