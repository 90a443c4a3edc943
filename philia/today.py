"""Reads for the owner's Today page (the admin's home): what needs them, most urgent first, and the week's figures.

Shop-wide and read-only, so it lives here beside the admin site rather than in one app: it reads every app's
models and changes nothing.

Each section of "needs you" is built by one function in `SECTION_BUILDERS`, in order of urgency (time-bound
first: a reply window or a hold that runs out cannot wait; money next; decisions last). A new kind of row
(another branch's model) is one more builder in that list.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.conf import settings
from django.contrib.admin.utils import quote
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from assistant.models import ToolCall
from conversations.models import Customer, Message
from inventory.models import Drop, DropItem, Item
from orders.models import Offer, Order, OrderItem
from philia import inbox
from philia.admin_actions import clip

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class Reasons(TypedDict):  # what `reply_windows_closing` annotates on each customer
        holds_something: bool
        has_open_order: bool


# Rows shown per section; the heading's link leads to all of them.
ROWS_PER_SECTION = 10
# Failed or blocked sends stay on Today this long (the messages list keeps them all).
FAILED_SENDS_FOR = timedelta(days=2)
FIGURES_PERIOD = timedelta(days=7)
CHART_DAYS = 14
Shown = TypeVar("Shown", bound=Model)  # the model of a section's rows


@dataclass(frozen=True)
class Row:
    """One thing for the owner to do: what, where it is handled, since when (or until when)."""

    text: str
    url: str
    since: datetime | None = None
    until: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]
    total: int
    list_url: str


def _customer_url(customer_id: str) -> str:
    return reverse("admin:conversations_customer_change", args=[quote(customer_id)])


def _order_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def _list_url(name: str, **filters: str) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _section(key: str, title: str, rows: QuerySet[Shown], row: Callable[[Shown], Row], list_url: str) -> Section:
    """A section of the first ROWS_PER_SECTION of `rows` (already in the order to show), each made by `row`,
    and how many there are in all."""
    return Section(key, title, [row(found) for found in rows[:ROWS_PER_SECTION]], rows.count(), list_url)


def waiting_for_a_person(*, now: datetime) -> Section:
    return _section(
        "waiting",
        "Waiting for you",
        Customer.objects.filter(handoff_requested_at__isnull=False).order_by("handoff_requested_at", "pk"),
        lambda customer: Row(
            text=f"{customer} asked for a person", url=_customer_url(customer.pk), since=customer.handoff_requested_at
        ),
        _list_url("conversations_customer", asked_for_person="yes"),
    )


def reply_windows_closing(*, now: datetime) -> Section:
    """Customers who hold something or have an open order and whose 48-hour reply window closes soon: after
    it closes only a few follow-ups are allowed."""
    window = timedelta(hours=settings.TIKTOK_WINDOW_HOURS)
    holds = Item.objects.held(now=now).filter(held_by=OuterRef("pk"))
    open_orders = Order.objects.filter(customer=OuterRef("pk"), status__in=[Order.Status.PENDING, Order.Status.PAID])
    customers = (
        Customer.objects.filter(
            last_inbound_at__gt=now - window,
            last_inbound_at__lte=now - window + timedelta(hours=settings.TODAY_SOON_HOURS),
        )
        .annotate(holds_something=Exists(holds), has_open_order=Exists(open_orders))
        .filter(Q(holds_something=True) | Q(has_open_order=True))
        .order_by("last_inbound_at", "pk")
    )

    def row(customer: "WithAnnotations[Customer, Reasons]") -> Row:
        reasons = (("holds items", customer.holds_something), ("has an open order", customer.has_open_order))
        return Row(
            text=f"{customer}'s reply window closes",
            url=reverse("admin:conversations_message_reply", args=[quote(customer.pk)]),
            until=customer.last_inbound_at + window if customer.last_inbound_at else None,
            detail=" and ".join(reason for reason, applies in reasons if applies),
        )

    return _section("windows", "Reply windows closing", customers, row, _list_url("conversations_customer"))


def holds_running_out(*, now: datetime) -> Section:
    items = Item.objects.held(now=now).filter(held_until__lte=now + timedelta(hours=settings.TODAY_SOON_HOURS))
    return _section(
        "holds",
        "Holds running out",
        items.select_related("held_by").order_by("held_until", "pk"),
        lambda item: Row(
            text=f"{item.sku} held by {item.held_by}",
            url=_customer_url(item.held_by_id),
            until=item.held_until,
            detail=f"{item.name} · ${item.price}",
        ),
        _list_url("inventory_item", status__exact="reserved"),
    )


def sends_not_delivered(*, now: datetime) -> Section:
    messages = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        state__in=[Message.State.FAILED, Message.State.BLOCKED],
        created_at__gte=now - FAILED_SENDS_FOR,
    )
    return _section(
        "sends",
        "Messages not sent",
        messages.select_related("customer").order_by("-created_at", "-pk"),
        lambda message: Row(
            text=f"To {message.customer}: {message.get_state_display().lower()}",
            url=_customer_url(message.customer_id),
            since=message.created_at,
            detail=message.error or message.error_code,
        ),
        _list_url("conversations_message", state__in="failed,blocked"),
    )


def deliveries_not_handled(*, now: datetime) -> Section:
    """Events from outside (Stripe's, TikTok's) whose handling failed: still being retried, or given up (then the
    owner was notified, and "Retry" on the event's page tries again). Of every inbox, the latest first."""
    kinds = {model: model._default_manager.filter(status=inbox.Status.FAILED) for model in inbox.inbox_models()}
    failed = [event for events in kinds.values() for event in events.order_by("-received_at", "-pk")[:ROWS_PER_SECTION]]
    failed.sort(key=lambda event: event.received_at, reverse=True)
    totals = {model: events.count() for model, events in kinds.items()}

    def row(event: inbox.InboxEvent) -> Row:
        options = event._meta
        if event.next_attempt_at is None:
            state = f"gave up after {event.attempts} {'try' if event.attempts == 1 else 'tries'}"
        else:
            state = f"tries again at {timezone.localtime(event.next_attempt_at):%H:%M} ({event.attempts} so far)"
        return Row(
            text=f"{event.inbox_label} event {event}",
            url=reverse(f"admin:{options.app_label}_{options.model_name}_change", args=[event.pk]),
            since=event.received_at,
            detail=f"{clip(event.last_error, 200)} · {state}",
        )

    listed = next((model for model, total in totals.items() if total), inbox.inbox_models()[0])
    return Section(
        "deliveries",
        "Deliveries not handled",
        [row(event) for event in failed[:ROWS_PER_SECTION]],
        sum(totals.values()),
        _list_url(listed._meta.label_lower.replace(".", "_"), status__exact=inbox.Status.FAILED),
    )


def _order_row(order: Order, *, since: datetime | None, detail: str = "") -> Row:
    return Row(text=f"{order} · {order.customer} · ${order.total}", url=_order_url(order), since=since, detail=detail)


def _orders_in(status: str, *, key: str, title: str, since: str) -> Section:
    """Orders in `status`, oldest first by their `since` field (when they came to it)."""
    return _section(
        key,
        title,
        Order.objects.filter(status=status).select_related("customer").order_by(since, "pk"),
        lambda order: _order_row(order, since=getattr(order, since)),
        _list_url("orders_order", status__exact=status),
    )


def paid_not_shipped(*, now: datetime) -> Section:
    return _orders_in(Order.Status.PAID, key="to_ship", title="Paid, to ship", since="paid_at")


def awaiting_payment(*, now: datetime) -> Section:
    return _orders_in(Order.Status.PENDING, key="unpaid", title="Awaiting payment", since="created_at")


def offers_to_decide(*, now: datetime) -> Section:
    return _section(
        "offers",
        "Offers to decide",
        Offer.objects.filter(status=Offer.Status.PENDING)
        .select_related("customer", "item")
        .order_by("created_at", "pk"),
        lambda offer: Row(
            text=f"{offer.customer} offers ${offer.amount} for {offer.item.sku}",
            url=_customer_url(offer.customer_id),
            since=offer.created_at,
            detail=f"{offer.item.name} · listed at ${offer.item.price}",
        ),
        _list_url("orders_offer", status__exact="pending"),
    )


def upcoming_drops(*, now: datetime) -> Section:
    """Drops still to come today (the shop's day) or within TODAY_SOON_HOURS, soonest first, with their pieces."""
    end_of_day = local_midnight(now) + timedelta(days=1)
    horizon = max(end_of_day, now + timedelta(hours=settings.TODAY_SOON_HOURS))
    drops = (
        Drop.objects.filter(drops_at__gt=now, drops_at__lte=horizon)
        .prefetch_related(Prefetch("drop_items", DropItem.objects.select_related("item").order_by("item__sku")))
        .order_by("drops_at", "pk")
    )

    def row(drop: Drop) -> Row:
        skus = [drop_item.item.sku for drop_item in drop.drop_items.all()]
        return Row(
            text=f"{drop.name}: {len(skus)} piece{'' if len(skus) == 1 else 's'}",
            url=reverse("admin:inventory_drop_change", args=[drop.pk]),
            until=drop.drops_at,
            detail=", ".join(skus),
        )

    return _section("drops", "Drops today and soon", drops, row, _list_url("inventory_drop"))


def orders_flagged(*, now: datetime) -> Section:
    """Orders with money to sort out: a refund owed (a late or second payment), or a customer who says they paid
    an order still awaiting payment (check and mark it paid). Oldest first."""
    says_paid = Q(status=Order.Status.PENDING, customer_says_paid_at__isnull=False)

    def row(order: Order) -> Row:
        flags = (
            ("needs a refund", order.needs_refund),
            ("customer says paid", order.status == Order.Status.PENDING and order.customer_says_paid_at is not None),
        )
        since = order.customer_says_paid_at if not order.needs_refund else order.updated_at
        return _order_row(order, since=since, detail=", ".join(flag for flag, applies in flags if applies))

    return _section(
        "flagged",
        "Orders flagged",
        Order.objects.filter(Q(needs_refund=True) | says_paid).select_related("customer").order_by("updated_at", "pk"),
        row,
        _list_url("orders_order"),
    )


# Most urgent first: time-bound rows (a window, a hold, a drop), then what did not reach its end (a reply, a
# payment Stripe reported), then money, then decisions.
SECTION_BUILDERS: list[Callable[..., Section]] = [
    waiting_for_a_person,
    reply_windows_closing,
    holds_running_out,
    upcoming_drops,
    sends_not_delivered,
    deliveries_not_handled,
    paid_not_shipped,
    orders_flagged,
    awaiting_payment,
    offers_to_decide,
]


def needs_attention(*, now: datetime | None = None) -> list[Section]:
    """Every section of what needs the owner, most urgent first, empty ones included (the page says "nothing")."""
    now = now or timezone.now()
    return [build(now=now) for build in SECTION_BUILDERS]


# --- Figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    dms: int
    paid_orders: int


@dataclass(frozen=True)
class Figures:
    dms_today: int
    holds: int
    orders: int
    paid_revenue: Decimal
    hold_to_order: float | None  # share of the items held in the period that were ordered; None without holds
    handled_by_bot: float | None  # share of the customers who wrote in the period the owner never had to answer
    conversations: int
    ai_tokens: int
    ai_cost: Decimal
    ai_cost_per_order: Decimal | None
    unpriced_models: list[str] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)


def local_midnight(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def token_prices() -> dict[str, tuple[Decimal, Decimal]]:
    """AI_PRICE_PER_MILLION_TOKENS as {model: (input, output)} dollars per million tokens; bad entries are left out."""
    prices = {}
    for model, value in settings.AI_PRICE_PER_MILLION_TOKENS.items():
        input_price, _, output_price = str(value).partition("/")
        try:
            prices[model] = (Decimal(input_price), Decimal(output_price or input_price))
        except ArithmeticError:
            continue
    return prices


def figures(*, now: datetime | None = None) -> Figures:
    """The figures beside the list, over the last 7 days (DMs: since midnight in TIME_ZONE).

    Holds are the assistant's (its `hold_item` tool calls: holds made by hand in the admin or a command leave
    no record); "handled by the bot" are the customers who wrote without asking for a person or getting a
    staff reply."""
    now = now or timezone.now()
    since = now - FIGURES_PERIOD
    held_skus, ordered = _holds_and_ordered(since=since)
    orders = Order.objects.filter(created_at__gte=since).count()
    revenue = Order.objects.filter(paid_at__gte=since, status__in=[Order.Status.PAID, Order.Status.SHIPPED]).aggregate(
        total=Sum("total")
    )["total"] or Decimal("0.00")
    wrote, needed_owner = _customers_who_wrote(since=since)
    tokens, cost, unpriced = _ai_usage(since=since)
    return Figures(
        dms_today=_customer_messages().filter(created_at__gte=local_midnight(now)).count(),
        holds=len(held_skus),
        orders=orders,
        paid_revenue=revenue,
        hold_to_order=ordered / len(held_skus) if held_skus else None,
        handled_by_bot=(len(wrote) - len(needed_owner)) / len(wrote) if wrote else None,
        conversations=len(wrote),
        ai_tokens=tokens,
        ai_cost=cost.quantize(Decimal("0.0001")),
        ai_cost_per_order=(cost / orders).quantize(Decimal("0.0001")) if orders else None,
        unpriced_models=unpriced,
        days=daily_counts(now=now),
    )


def _customer_messages() -> QuerySet[Message]:
    return Message.objects.filter(direction=Message.Direction.INBOUND, role=Message.Role.USER)


def _holds_and_ordered(*, since: datetime) -> tuple[set[str], int]:
    """The SKUs the assistant held since `since`, and how many of those pieces were ordered since."""
    hold_calls = ToolCall.objects.filter(tool="hold_item", succeeded=True, created_at__gte=since)
    held_skus = {sku for sku in hold_calls.values_list("arguments__sku", flat=True) if sku}
    if not held_skus:
        return held_skus, 0
    ordered = (
        OrderItem.objects.filter(item__sku__in=held_skus, order__created_at__gte=since)
        .values("item_id")
        .distinct()
        .count()
    )
    return held_skus, ordered


def _customers_who_wrote(*, since: datetime) -> tuple[set[str], set[str]]:
    """The customers who wrote since `since`, and those of them the owner had to answer: a staff reply, a
    hand-off to the owner, or a request for a person."""
    wrote = set(_customer_messages().filter(created_at__gte=since).values_list("customer_id", flat=True).distinct())
    staff_replied = Message.objects.filter(role=Message.Role.STAFF, created_at__gte=since, customer_id__in=wrote)
    handed_off = ToolCall.objects.filter(tool="hand_off_to_owner", created_at__gte=since, customer_id__in=wrote)
    asked_for_person = Customer.objects.filter(pk__in=wrote, handoff_requested_at__gte=since)
    needed_owner = (
        set(staff_replied.values_list("customer_id", flat=True))
        | set(handed_off.values_list("customer_id", flat=True))
        | set(asked_for_person.values_list("pk", flat=True))
    )
    return wrote, needed_owner


def _ai_usage(*, since: datetime) -> tuple[int, Decimal, list[str]]:
    """The AI's tokens since `since`, their cost by AI_PRICE_PER_MILLION_TOKENS, and the models with no price."""
    prices = token_prices()
    tokens, cost, unpriced = 0, Decimal("0"), []
    usage = (
        Message.objects.filter(created_at__gte=since)
        .exclude(ai_model="")
        .values("ai_model")
        .annotate(prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
        .order_by("ai_model")
    )
    for row in usage:
        tokens += row["prompt"] + row["completion"]
        if row["ai_model"] in prices:
            input_price, output_price = prices[row["ai_model"]]
            cost += (row["prompt"] * input_price + row["completion"] * output_price) / 1_000_000
        else:
            unpriced.append(row["ai_model"])
    return tokens, cost, unpriced


def daily_counts(*, now: datetime, days: int = CHART_DAYS) -> list[Day]:
    """DMs received and orders paid per day (in TIME_ZONE) for the last `days` days, today last."""
    first = local_midnight(now) - timedelta(days=days - 1)
    zone = timezone.get_current_timezone()

    def per_day(queryset, column: str) -> dict[date, int]:
        return dict(
            queryset.filter(**{f"{column}__gte": first})
            .annotate(day=TruncDate(column, tzinfo=zone))
            .values("day")
            .annotate(count=Count("pk"))
            .values_list("day", "count")
        )

    dms = per_day(_customer_messages(), "created_at")
    paid = per_day(Order.objects.filter(paid_at__isnull=False), "paid_at")
    start = first.date()
    return [
        Day(day=start + timedelta(days=offset), dms=dms.get(start + timedelta(days=offset), 0),
            paid_orders=paid.get(start + timedelta(days=offset), 0))
        for offset in range(days)
    ]  # fmt: skip
