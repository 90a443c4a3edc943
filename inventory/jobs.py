"""The inventory's work for the worker: a hold's timers, a waitlist's turn, a drop's settlement.

Callers send these from `transaction.on_commit`. A broker outage is logged, never raised: a sweep (or, for a
hold's reminder, nothing) catches up, and the write that asked for the job stands."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def schedule_hold_timers(*, item_id: int, held_until: datetime) -> None:
    """Enqueue the hold's expiry at `held_until`, and its reminder HOLD_REMINDER_HOURS before (when that is
    still ahead). Both jobs do nothing unless the hold is still exactly this one. A broker outage is
    logged: the sweep still expires the hold, and the reminder is skipped."""
    from inventory.tasks import expire_hold, remind_hold

    now = timezone.now()
    until = held_until.isoformat()
    try:
        expire_hold.send_with_options(args=(item_id, until), delay=_milliseconds_until(held_until, now=now))
        remind_at = held_until - timedelta(hours=settings.HOLD_REMINDER_HOURS)
        if settings.HOLD_REMINDER_HOURS and remind_at > now:
            remind_hold.send_with_options(args=(item_id, until), delay=_milliseconds_until(remind_at, now=now))
    except Exception:
        logger.exception("hold timers not enqueued; the sweep will expire the hold", extra={"item_id": item_id})


def _milliseconds_until(moment: datetime, *, now: datetime) -> int:
    return max(0, int((moment - now).total_seconds() * 1000) + 1)


def enqueue_waitlist_turn(*, item_id: int) -> None:
    """Give the piece's waitlist its turn in a worker. A broker outage is logged: the piece stays on sale."""
    from inventory.tasks import offer_to_waitlist

    try:
        offer_to_waitlist.send(item_id)
    except Exception:
        logger.exception("waitlist turn not enqueued", extra={"item_id": item_id})


def enqueue_drop_settlement(*, drop_item_id: int, delay_seconds: float | None = None) -> None:
    """Schedule the drop item's settling job (DROP_SETTLE_SECONDS from now unless told). A broker outage is
    logged: the settle sweep finds the drop item."""
    from inventory.tasks import settle_drop_item

    delay = settings.DROP_SETTLE_SECONDS if delay_seconds is None else delay_seconds
    try:
        settle_drop_item.send_with_options(args=(drop_item_id,), delay=max(0, int(delay * 1000)))
    except Exception:
        logger.exception("drop settlement not enqueued; the sweep will settle it", extra={"drop_item": drop_item_id})
