"""An order's page in the admin, below its facts: its lines at the price paid, its payments and refunds, and its
history with whether the customer was told. All read-only: the rows are written by the services only."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from conversations.models import Message
from orders.models import OrderEvent, OrderItem, Payment


class ReadOnlyInline(admin.TabularInline):
    """History shown on the order's page; rows are written by the services only."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = readonly_fields = ("item", "price_paid", "still_in_order")
    verbose_name = "item (price at purchase)"
    verbose_name_plural = "items (price at purchase)"

    @admin.display(description="price at purchase")
    def price_paid(self, line: OrderItem) -> str:
        return f"${line.price}"

    @admin.display(description="still in the order", boolean=True)
    def still_in_order(self, line: OrderItem) -> bool:
        return line.is_active


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = (
        "created_at",
        "kind",
        "provider",
        "amount",
        "currency",
        "accepted",
        "reference",
        "recorded_by",
    )
    verbose_name_plural = "payments and refunds"


def told_text(notice: Message | None, not_told_because: str = "") -> str:
    """Whether and when the customer was told, from the DM queued for it (its state) or the reason none was."""
    if notice is None:
        return f"Not told: {not_told_because}" if not_told_because else "—"
    match notice.state:
        case Message.State.SENT:
            return (
                f"Yes, {date_format(timezone.localtime(notice.sent_at), 'DATETIME_FORMAT')}"
                if notice.sent_at
                else "Yes"
            )
        case Message.State.QUEUED:
            return "Queued, not sent yet" + (f" (last try: {notice.error})" if notice.error else "")
        case Message.State.SENDING:
            return "Sending"
        case Message.State.DRY_RUN:
            return "No: a dry run (no TikTok access token)"
        case _:
            return (
                f"No: {notice.get_state_display().lower()} ({notice.error or notice.error_code or 'no reason given'})"
            )


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("created_at", "what_happened", "status_change", "who", "customer_told", "note")
    verbose_name_plural = "history"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("staff_user", "notice")

    @admin.display(description="customer told")
    def customer_told(self, event: OrderEvent) -> str:
        return told_text(event.notice, event.not_told_because)

    @admin.display(description="what happened")
    def what_happened(self, event: OrderEvent) -> str:
        return event.kind.replace("_", " ").capitalize()

    @admin.display(description="status")
    def status_change(self, event: OrderEvent) -> str:
        if event.from_status and event.to_status and event.from_status != event.to_status:
            return f"{event.from_status} → {event.to_status}"
        return event.to_status or "—"

    @admin.display(description="by")
    def who(self, event: OrderEvent) -> str:
        if event.staff_user is not None:
            return f"{event.get_actor_display()} ({event.staff_user})"
        return event.get_actor_display()
