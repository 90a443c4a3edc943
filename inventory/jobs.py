"""The inventory's work for the worker: a hold's timers, a waitlist's turn, a drop's settlement.

Each is asked for by its actor's name through `philia.jobs` and sent once the caller's transaction commits (at once
outside one), so this app imports no tasks module. The actors that tell a customer — `remind_hold`,
`offer_to_waitlist`, `settle_drop_item` — are the assistant's (assistant/tasks.py), which words what the shop says;
`expire_hold` is inventory's own. A broker outage is logged, never raised: a sweep (or, for a hold's reminder,
nothing) catches up, and the write that asked for the job stands."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from philia import jobs


def schedule_hold_timers(*, item_id: int, held_until: datetime) -> None:
    """Once committed, the hold's expiry at `held_until`, and its reminder HOLD_REMINDER_HOURS before (when that is
    still ahead). Both jobs do nothing unless the hold is still exactly this one."""
    now = timezone.now()
    timers = [("expire_hold", held_until, "the sweep will expire the hold")]
    remind_at = held_until - timedelta(hours=settings.HOLD_REMINDER_HOURS)
    if settings.HOLD_REMINDER_HOURS and remind_at > now:
        timers.append(("remind_hold", remind_at, "the hold gets no reminder"))
    for actor, moment, unless_sent in timers:
        delay_ms = _milliseconds_until(moment, now=now)
        jobs.enqueue_on_commit(actor, item_id, held_until.isoformat(), delay_ms=delay_ms, unless_sent=unless_sent)


def _milliseconds_until(moment: datetime, *, now: datetime) -> int:
    """A job's delay to run just after `moment` (none for a moment past)."""
    return max(0, int((moment - now).total_seconds() * 1000) + 1)


def enqueue_waitlist_turn(*, item_id: int) -> None:
    """Once committed, give the piece's waitlist its turn in a worker."""
    jobs.enqueue_on_commit("offer_to_waitlist", item_id, unless_sent="the piece stays on sale")


def enqueue_drop_settlement(*, drop_item_id: int, delay_seconds: float | None = None) -> None:
    """Once committed, schedule the drop item's settling job (DROP_SETTLE_SECONDS from now unless told)."""
    delay = settings.DROP_SETTLE_SECONDS if delay_seconds is None else delay_seconds
    jobs.enqueue_on_commit(
        "settle_drop_item",
        drop_item_id,
        delay_ms=max(0, int(delay * 1000)),
        unless_sent="the sweep will settle it",
    )
