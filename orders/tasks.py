"""Workers for orders: an unpaid order's deadline, and the sweep behind it."""

import dramatiq
from dramatiq_crontab import cron

from orders.services import expire_order, expire_unpaid_orders, remind_unpaid_orders


@dramatiq.actor(max_retries=3, time_limit=60_000)
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
