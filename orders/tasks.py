"""Workers for orders: an unpaid order's deadline, and the sweep behind it."""

import dramatiq
from dramatiq_crontab import cron

from orders.offers import expire_offers
from orders.services import expire_order, expire_unpaid_orders, remind_unpaid_orders
from orders.stripe_payments import create_payment_link, handle_stripe_event_row

# Its own queue: a deadline is hours away, and test workers drain every queue but this one's delay queue.
DEADLINES_QUEUE = "order_deadlines"


@dramatiq.actor(queue_name=DEADLINES_QUEUE, max_retries=3, time_limit=60_000)
def expire_order_job(order_id: int) -> None:
    """Sent, delayed, when the order is placed: expires it at its deadline unless it was paid or cancelled."""
    expire_order(order_id=order_id)


# A safety net for lost delayed jobs, and the one place reminders are sent from.
@cron("*/5 * * * *")
@dramatiq.actor(max_retries=0, time_limit=120_000)
def sweep_unpaid_orders() -> None:
    """Remind customers whose unpaid order is about to run out, and expire the ones that ran out. Idempotent."""
    remind_unpaid_orders()
    expire_unpaid_orders()


@cron("*/5 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_offers() -> None:
    """Mark pending and countered offers past OFFER_HOURS as expired (they are also treated as expired when
    read, so this only keeps the admin's list true). Idempotent."""
    expire_offers()


@dramatiq.actor(max_retries=5, min_backoff=2_000, max_backoff=60_000, time_limit=60_000)
def send_payment_link(order_id: int) -> None:
    """Create the order's Stripe Checkout Session and send the customer its link (or the manual way to pay)."""
    create_payment_link(order_id=order_id)


# Retried only when not even a failure could be recorded (the database is down); a recorded failure is the sweep's
# to try again, with backoff (philia.inbox). The time limit stays under STRIPE_STALE_EVENT_SECONDS.
@dramatiq.actor(max_retries=5, min_backoff=2_000, max_backoff=60_000, time_limit=60_000)
def handle_stripe_event(stripe_event_id: int) -> None:
    """Act on one stored Stripe webhook event. Idempotent."""
    handle_stripe_event_row(stripe_event_id=stripe_event_id)
