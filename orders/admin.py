"""Staff's view of orders, offers and Stripe's events. Orders change only through `orders.services` (the actions)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from orders import offers, services
from orders.models import Carrier, Offer, Order, OrderEvent, StripeEvent
from orders.order_inlines import OrderEventInline, OrderItemInline, PaymentInline, told_text
from orders.transitions import may_move, next_statuses
from philia.admin_actions import (
    BackToPageAfterAction,
    apply_service,
    customer_link,
    service_action,
    staff_user,
    step_form,
)
from philia.inbox_admin import InboxAdmin, pretty_json


@admin.register(Order)
class OrderAdmin(BackToPageAfterAction, admin.ModelAdmin):
    list_display = (
        "__str__", "customer_link", "status", "total_in_dollars", "skus", "flags", "tracking_number", "created_at",
    )  # fmt: skip
    list_filter = ("status", "needs_refund", ("customer_says_paid_at", admin.EmptyFieldListFilter))
    search_fields = ("customer__username", "customer__tiktok_user_id", "lines__item__sku")
    list_select_related = ("customer",)
    inlines = (OrderItemInline, PaymentInline, OrderEventInline)
    actions = ("mark_paid", "mark_shipped", "cancel_orders")
    confirm_actions = {"cancel_orders": "Cancel {count} order(s)? Their items go back on sale."}
    # Every field read-only: the order changes only through the services (the step buttons).
    fields = readonly_fields = (
        "customer", "status", "flags", "total_in_dollars", "payment_reference", "payment_problem", "payment_link",
        "carrier", "tracking_number", "customer_told_shipped", "created_at", "expires_at", "reminded_at", "customer_says_paid_at", "paid_at",
        "shipped_at", "cancelled_at", "updated_at",
    )  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).prefetch_related("lines__item")

    # On an order's page, the rest only when it says something: a phone shows a pending order's few facts, not a
    # page of dashes for tracking, shipping and cancelling that have not happened.
    ALWAYS_SHOWN = ("customer", "status", "total_in_dollars", "created_at", "updated_at")

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        return [name for name in flatten(fields) if name in self.ALWAYS_SHOWN or self._says_something(obj, name)]

    def _says_something(self, order: Order, name: str) -> bool:
        if name == "flags":
            return self.flags(order) != "—"
        if name == "payment_link":
            return bool(order.stripe_session_url)
        if name == "customer_told_shipped":
            return order.status == Order.Status.SHIPPED
        if name in ("expires_at", "reminded_at") and order.status != Order.Status.PENDING:
            return False  # the payment deadline only matters while the order waits for payment
        return getattr(order, name) not in (None, "")

    # The owner's move of an order to each status, as a button on its page: the same action as the list's (it posts
    # to it). Which an order offers is the transitions table's to say (`next_steps`).
    STEP_TO: dict[str, tuple[str, str]] = {
        Order.Status.PAID: ("mark_paid", "Mark paid…"),
        Order.Status.SHIPPED: ("mark_shipped", "Mark shipped…"),
        Order.Status.CANCELLED: ("cancel_orders", "Cancel order"),
    }

    def next_steps(self, order: Order) -> tuple[tuple[str, str], ...]:
        """The buttons of the moves the owner may make from the order's status (`orders.transitions`)."""
        return tuple(
            self.STEP_TO[status] for status in next_statuses(from_status=order.status, by=OrderEvent.Actor.OWNER)
        )

    @admin.display(description="customer", ordering="customer__username")
    def customer_link(self, order: Order) -> str:
        return customer_link(order.customer)

    @admin.display(description="total", ordering="total")
    def total_in_dollars(self, order: Order) -> str:
        return f"${order.total}"

    def fill_change_page(self, context: dict, obj: Order | None, *, add: bool) -> None:
        # Nothing on the page is typed in, so no Save buttons: the order moves on through the step buttons.
        context.update({
            "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
            "title": f"{obj} · {obj.get_status_display()}" if obj is not None else "", "subtitle": None,
            "next_steps": self.next_steps(obj) if obj is not None else (),
        })  # fmt: skip

    @admin.display(description="needs the owner")
    def flags(self, order: Order) -> str:
        flags = []
        if order.needs_refund:
            flags.append("needs refund")
        if order.payment_problem:
            flags.append("payment not accepted")
        if order.customer_says_paid_at and order.status == Order.Status.PENDING:
            flags.append("customer says paid")
        return ", ".join(flags) or "—"

    @admin.display(description="customer told it shipped")
    def customer_told_shipped(self, order: Order) -> str:
        if order.status != Order.Status.SHIPPED:
            return "—"
        shipped = order.events.filter(kind="shipped").select_related("notice").last()
        return told_text(order.shipping_notice, shipped.not_told_because if shipped else "")

    @admin.display(description="Stripe payment link")
    def payment_link(self, order: Order) -> str:
        return order.stripe_session_url or "—"

    @admin.display(description="items")
    def skus(self, order: Order) -> str:
        return ", ".join(line.item.sku for line in order.lines.all())

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are placed from a customer's holds (orders.services.place_order), never typed in.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Deleting would leave its items sold with no order; cancel instead.
        return False

    @staticmethod
    def _movable(orders: list[Order], *, to_status: str) -> set[int]:
        """The orders a step's form asks about: those the owner may move to `to_status`; it leaves the rest as they are."""
        return {
            order.pk
            for order in orders
            if may_move(from_status=order.status, to_status=to_status, by=OrderEvent.Actor.OWNER)
        }

    @admin.action(description="Mark paid (asks for the amount and reference)")
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Order]) -> TemplateResponse | None:
        orders = list(queryset.select_related("customer").order_by("pk"))
        if "apply" not in request.POST:
            return step_form(
                self,
                request,
                action="mark_paid",
                title="Mark orders paid",
                submit_label="Mark paid",
                template="admin/orders/order/mark_paid.html",
                orders=orders,
                movable=self._movable(orders, to_status=Order.Status.PAID),
            )
        entered = {}
        for order in orders:
            raw = request.POST.get(f"amount_{order.pk}", "").strip()
            try:
                amount = Decimal(raw) if raw else order.total
            except InvalidOperation:
                self.message_user(request, f"{order}: {raw!r} is not an amount.", level=messages.ERROR)
                continue
            entered[order.pk] = (amount, request.POST.get(f"reference_{order.pk}", ""))
        apply_service(
            self,
            request,
            [order for order in orders if order.pk in entered],
            lambda order: services.mark_paid(
                order=order,
                amount=entered[order.pk][0],
                payment_reference=entered[order.pk][1],
                staff_user=staff_user(request),
            ),
            done="Marked {count} order(s) paid.",
        )
        return None

    @admin.action(description="Mark shipped (asks for tracking numbers)")
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> TemplateResponse | None:
        orders = list(queryset.select_related("customer").order_by("pk"))
        if "apply" not in request.POST:
            return step_form(
                self,
                request,
                action="mark_shipped",
                title="Mark orders shipped",
                submit_label="Mark shipped",
                template="admin/orders/order/mark_shipped.html",
                orders=orders,
                movable=self._movable(orders, to_status=Order.Status.SHIPPED),
                carriers=Carrier.choices,
            )
        tracking = {order.pk: request.POST.get(f"tracking_{order.pk}", "") for order in orders}
        carriers = {order.pk: request.POST.get(f"carrier_{order.pk}", Carrier.OTHER) for order in orders}
        apply_service(
            self,
            request,
            orders,
            lambda order: services.mark_shipped(
                order=order,
                tracking_number=tracking[order.pk],
                carrier=carriers[order.pk],
                staff_user=staff_user(request),
            ),
            done="Marked {count} order(s) shipped.",
        )
        return None

    @admin.action(description="Cancel (items go back on sale)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        apply_service(
            self,
            request,
            queryset,
            lambda order: services.cancel_order(
                order=order, reason=f"cancelled by {request.user} in the admin", staff_user=staff_user(request)
            ),
            done="Cancelled {count} order(s); their items are on sale again.",
        )


@admin.register(Offer)
class OfferAdmin(BackToPageAfterAction, admin.ModelAdmin):
    """Offers are decided by the owner's rules as they come in; a pending one waits for the owner, who can
    accept, reject or counter it here (through `orders.offers`; the customer is told)."""

    list_display = (
        "item",
        "customer_link",
        "offered",
        "counter_amount",
        "agreed_price",
        "price_now",
        "status",
        "created_at",
        "expires_at",
        "decided_at",
    )
    list_filter = ("status",)
    search_fields = ("item__sku", "item__name", "customer__username", "customer__tiktok_user_id")
    list_select_related = ("item", "customer")
    readonly_fields = (
        "customer",
        "item",
        "amount",
        "status",
        "counter_amount",
        "agreed_price",
        "hold_since",
        "expires_at",
        "created_at",
        "decided_at",
    )
    actions = ("accept_offers", "counter_offers", "counter_at_floor", "reject_offers")
    # Buttons on a pending offer's page: the same actions as the list's (they post to it).
    NEXT_STEPS = (("accept_offers", "Accept"), ("counter_offers", "Counter…"), ("reject_offers", "Reject"))

    def fill_change_page(self, context: dict, obj: Offer | None, *, add: bool) -> None:
        waiting = obj is not None and obj.status == Offer.Status.PENDING
        context["next_steps"] = self.NEXT_STEPS if waiting else ()

    accept_offers = service_action(
        lambda offer: offers.owner_accept_offer(offer=offer),
        description="Accept (holds the piece for the customer at the offered price)",
        done="Accepted {count} offer(s).",
    )
    reject_offers = service_action(
        lambda offer: offers.owner_reject_offer(offer=offer),
        description="Reject (the listed price stays)",
        done="Rejected {count} offer(s).",
    )

    @admin.action(description="Counter (asks for the amount)")
    def counter_offers(self, request: HttpRequest, queryset: QuerySet[Offer]) -> TemplateResponse | None:
        pending = list(queryset.select_related("item", "customer").order_by("pk"))
        if "apply" not in request.POST:
            return step_form(
                self,
                request,
                action="counter_offers",
                title="Counter offers",
                submit_label="Send counter-offer",
                template="admin/orders/offer/counter_offers.html",
                offers=pending,
            )
        amounts = {}
        for offer in pending:
            raw = request.POST.get(f"counter_{offer.pk}", "").strip()
            try:
                amounts[offer.pk] = Decimal(raw)
            except InvalidOperation:
                problem = f"{raw!r} is not an amount." if raw else "Enter the amount of the counter-offer."
                self.message_user(request, f"{offer}: {problem}", level=messages.ERROR)
        apply_service(
            self,
            request,
            [offer for offer in pending if offer.pk in amounts],
            lambda offer: offers.owner_counter_offer(offer=offer, amount=amounts[offer.pk]),
            done="Countered {count} offer(s).",
        )
        return None

    @admin.action(description="Counter at the item's floor price")
    def counter_at_floor(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        apply_service(
            self,
            request,
            queryset.select_related("item"),
            lambda offer: offers.owner_counter_offer(offer=offer, amount=offer.item.floor_price),
            done="Countered {count} offer(s).",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Offer | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Offer | None = None) -> bool:
        return False  # an offer is the record of what was asked and agreed: it expires, it is never deleted

    @admin.display(description="customer", ordering="customer__username")
    def customer_link(self, offer: Offer) -> str:
        return customer_link(offer.customer)

    @admin.display(description="offered", ordering="amount")
    def offered(self, offer: Offer) -> str:
        return f"${offer.amount}"

    @admin.display(description="price now", ordering="item__price")
    def price_now(self, offer: Offer) -> str:
        return f"${offer.item.price}"


@admin.register(StripeEvent)
class StripeEventAdmin(InboxAdmin):
    """Stripe's events as stored (`philia.inbox_admin`: read-only, Retry): what each did to its order, or why not."""

    list_display = ("received_at", "event_type", "event_id", "order", *InboxAdmin.inbox_columns)
    list_filter = ("status", "event_type")
    list_select_related = ("order",)
    search_fields = ("event_id", "outcome")
    fields = ("event_id", "event_type", "order", *InboxAdmin.inbox_fields, "payload_as_sent")

    @admin.display(description="payload")
    def payload_as_sent(self, event: StripeEvent) -> str:
        return pretty_json(event.payload)
