"""`manage.py expire_orders`: the unpaid-orders sweep, by hand."""

from typing import Any

from orders.services import expire_unpaid_orders
from philia.management.arguments import OneLineErrors


class Command(OneLineErrors):
    help = (
        "Cancel every unpaid order whose payment window (ORDER_PAYMENT_HOURS) has run out and put its pieces "
        "back on sale, telling each customer whose reply window is open; prints how many. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_unpaid_orders()
        self.stdout.write(f"Expired {expired} unpaid order(s).")
