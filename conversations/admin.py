"""Staff's view of customers. The bot's pause changes only through `conversations.services`."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from conversations import services
from conversations.models import Customer, Message
from conversations.selectors import (
    is_stuck_sending,
    reply_window_closes_at,
    stuck_sending_after,
    stuck_sending_messages,
)
from inventory import services as inventory_services
from inventory.models import Item, ItemQuerySet
from inventory.selectors import current_holds
from philia.admin_actions import (
    BackToPageAfterAction,
    ReadOnlyAdmin,
    apply_service,
    clip,
    customer_link,
    service_action,
)
from philia.errors import DomainError
from propositions.admin import CustomerSizesInline

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _OrdersCount(TypedDict):
    orders_count: int


# A pause this far ahead was made "until resumed" (services.INDEFINITE_PAUSE), not for some hours.
UNTIL_RESUMED_AFTER = timedelta(days=365)


def stuck_minutes() -> int:
    return max(1, int(stuck_sending_after().total_seconds() // 60))


def recent_messages(customer: Customer) -> list[Message]:
    """The customer's last ten messages either way, oldest first (the customer page and the reply page)."""
    return list(customer.messages.order_by("-created_at", "-id")[:10])[::-1]


class WhetherSetFilter(admin.SimpleListFilter):
    """Yes / No: whether the customer's `field` (the moment something happened) is set."""

    field = ""
    yes = "Yes"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", self.yes), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class AskedForAPersonFilter(WhetherSetFilter):
    title = "asked for a person"
    parameter_name = "asked_for_person"
    field = "handoff_requested_at"
    yes = "Yes, waiting for you"


class OptedOutFilter(WhetherSetFilter):
    title = "sent STOP"
    parameter_name = "opted_out"
    field = "opted_out_at"
    yes = "Yes (nothing automated is sent)"


class HoldInline(admin.TabularInline):
    """The items this customer holds right now (extend or release them with the buttons below)."""

    model = Item
    fk_name = "held_by"
    verbose_name = "current hold"
    verbose_name_plural = "current holds"
    fields = readonly_fields = ("sku", "name", "size_label", "price_with_currency", "held_until", "hold_extended_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return super().get_queryset(request).filter(ItemQuerySet.held_q())

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="price")
    def price_with_currency(self, item: Item) -> str:
        return f"${item.price}"


@admin.register(Customer)
class CustomerAdmin(BackToPageAfterAction, admin.ModelAdmin):
    list_display = ("__str__", "display_name", "last_message_at", "bot_status", "orders_count")
    list_display_links = ("__str__",)
    search_fields = ("username", "display_name", "tiktok_user_id")
    list_filter = (AskedForAPersonFilter, OptedOutFilter)
    inlines = [HoldInline, CustomerSizesInline]
    actions = ("pause_bot", "resume_bot", "extend_holds", "release_holds")
    # What the owner reads first (who, the conversation, the bot, orders); TikTok's ids and timestamps last.
    fieldsets = (
        (None, {"fields": ("username", "display_name", "conversation")}),
        ("Assistant", {"fields": ("bot_status", "asked_for_person_at")}),
        ("Orders", {"fields": ("orders",)}),
        (
            "TikTok and record",
            {
                "classes": ("collapse",),
                "fields": (
                    "tiktok_user_id", "conversation_id", "last_inbound_at", "last_read_at", "marketing_consent",
                    "marketing_consent_at", "opted_out_at", "created_at", "updated_at",
                ),
            },
        ),
    )  # fmt: skip
    readonly_fields = (
        "bot_status", "bot_paused_until", "handoff_requested_at", "last_inbound_at", "last_read_at",
        "marketing_consent", "marketing_consent_at", "opted_out_at", "created_at", "updated_at", "conversation", "orders", "asked_for_person_at",
    )  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).annotate(orders_count=Count("orders"))

    @admin.display(description="asked for a person at")
    def asked_for_person_at(self, customer: Customer) -> str:
        """Cleared when the owner resumes the bot."""
        if customer.handoff_requested_at is None:
            return "—"
        return f"{timezone.localtime(customer.handoff_requested_at):%Y-%m-%d %H:%M}"

    def fill_change_page(self, context: dict, obj: Customer | None, *, add: bool) -> None:
        if obj is not None:  # the add page has no bot to pause
            step = ("resume_bot", "Resume the bot") if obj.is_bot_paused() else ("pause_bot", "Pause the bot")
            holds = (
                (("extend_holds", "Extend their holds (once)"), ("release_holds", "Release their holds"))
                if current_holds(customer=obj).exists()
                else ()
            )
            context["next_steps"] = (step, *holds)
            context["show_save_and_add_another"] = False  # customers come from TikTok, one at a time

    def has_delete_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        # Deleting would take the conversation with it (and is refused once they have ordered): pause instead.
        return False

    @admin.display(description="last wrote to you", ordering="last_inbound_at")
    def last_message_at(self, customer: Customer) -> datetime | None:
        return customer.last_inbound_at

    @admin.display(description="orders", ordering="orders_count")
    def orders_count(self, customer: "WithAnnotations[Customer, _OrdersCount]") -> int:
        return customer.orders_count

    @admin.display(description="orders")
    def orders(self, customer: Customer) -> str:
        """Each order with its status and total, linking to the order (mark paid or shipped there)."""
        if customer._state.adding:
            return "—"
        orders = list(customer.orders.order_by("-created_at"))
        if not orders:
            return "No orders yet."
        return format_html(
            '<ul style="margin-left:0">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {} · ${} · {}</li>',
                (
                    (reverse("admin:orders_order_change", args=[order.pk]), order, order.get_status_display(),
                     order.total, f"{timezone.localtime(order.created_at):%Y-%m-%d %H:%M}")
                    for order in orders
                ),
            ),
        )  # fmt: skip

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> tuple:
        if obj is None:  # adding: only what can be typed in
            return ((None, {"fields": ("tiktok_user_id", "username", "display_name", "conversation_id")}),)
        return self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple[str, ...]:
        # The TikTok user id is the key: set when the customer is added, fixed after.
        return ("tiktok_user_id", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="conversation")
    def conversation(self, customer: Customer) -> str:
        """The last messages either way, with delivery states, and the way to reply (through the outbox)."""
        if customer._state.adding:
            return "—"
        recent = recent_messages(customer)
        lines = format_html_join(
            "",
            "<li>{} · {}{}: {}</li>",
            (
                (f"{timezone.localtime(m.created_at):%Y-%m-%d %H:%M}", m.get_role_display(),
                 f" [{m.get_state_display().lower()}]" if m.state else "", m.text or f"({m.content_type})")
                for m in recent
            ),
        )  # fmt: skip
        reply_url = reverse("admin:conversations_message_reply", args=[quote(customer.pk)])
        messages_url = reverse("admin:conversations_message_changelist") + "?" + urlencode({"customer": customer.pk})
        return format_html(
            '<ul style="margin-left:0">{}</ul><p><a class="button" href="{}">Reply</a> <a href="{}">All messages</a></p>',
            lines or mark_safe("<li>No messages yet.</li>"), reply_url, messages_url,
        )  # fmt: skip

    @admin.display(description="bot")
    def bot_status(self, customer: Customer) -> str:
        now = timezone.now()
        paused_until = customer.bot_paused_until
        if paused_until is None or not customer.is_bot_paused(now=now):
            status = "active"
        elif paused_until - now > UNTIL_RESUMED_AFTER:
            status = "paused until resumed"
        else:
            status = f"paused until {timezone.localtime(paused_until):%Y-%m-%d %H:%M %Z}"
        if customer.handoff_requested_at is not None:
            status += " · asked for a person"
        return status

    pause_bot = service_action(
        lambda customer: services.pause_bot(customer=customer),
        description="Pause the bot (until resumed)",
        done="Paused the bot for {count} customer(s).",
    )
    resume_bot = service_action(
        lambda customer: services.resume_bot(customer=customer),
        description="Resume the bot",
        done="Resumed the bot for {count} customer(s).",
    )

    @admin.action(description="Extend their holds (once per hold)")
    def extend_holds(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        holds = [item for customer in queryset for item in current_holds(customer=customer)]
        apply_service(
            self,
            request,
            holds,
            lambda item: inventory_services.extend_hold(sku=item.sku),
            done="Extended {count} hold(s).",
        )

    @admin.action(description="Release their holds (put back on sale)")
    def release_holds(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        holds = [item for customer in queryset for item in current_holds(customer=customer)]
        apply_service(
            self,
            request,
            holds,
            lambda item: inventory_services.release_hold(sku=item.sku),
            done="Released {count} hold(s).",
        )


# --- Messages: the conversation and the outbox (TikTok channel) ---------------------------------------


class StuckSendingFilter(admin.SimpleListFilter):
    """Rows left in `sending` by a worker that stopped mid-call: check TikTok, they are never resent."""

    title = "stuck in sending"
    parameter_name = "stuck"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", f"Yes (sending for over {stuck_minutes()} minutes)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if self.value() == "yes":
            return queryset.filter(pk__in=stuck_sending_messages().values("pk"))
        return queryset


class StaffReplyForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        max_length=services.MAX_TEXT_LENGTH,
        help_text="Sent through TikTok like every reply (window and quota are checked). The bot then pauses "
        "for this customer so it does not talk over you.",
    )


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The conversation record and the outbox. Read-only: messages are written by the services."""

    # Narrow enough to read the text: direction follows from who wrote it, and the delivery column says
    # in words what state, attempts, error code and the stuck flag would say in five columns.
    list_display = ("created_at", "customer_link", "role", "short_text", "delivery")
    list_filter = ("state", StuckSendingFilter, "role", "direction", "content_type")
    search_fields = ("text", "customer__username", "customer__tiktok_user_id", "tiktok_message_id")
    list_select_related = ("customer",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description="customer", ordering="customer__username")
    def customer_link(self, message: Message) -> str:
        return customer_link(message.customer)

    @admin.display(description="text")
    def short_text(self, message: Message) -> str:
        if not message.text:
            return f"(photo {message.image_name})" if message.image_name else f"({message.content_type})"
        return clip(message.text, 120)

    @admin.display(description="delivery", ordering="state")
    def delivery(self, message: Message) -> str:
        """Blank for what the customer sent; for the shop's messages, whether it reached them and if not why."""
        if not message.state:
            return ""
        if is_stuck_sending(message=message):
            return f"Stuck in sending (over {stuck_minutes()} min): check TikTok, it is never resent"
        delivery = message.get_state_display()
        reason = clip(message.error or message.error_code, 80)
        return f"{delivery}: {reason}" if reason else delivery

    def get_urls(self) -> list:
        reply = self.admin_site.admin_view(self.reply_view)
        return [
            path("reply/<path:customer_id>/", reply, name="conversations_message_reply"),
            *super().get_urls(),
        ]

    def reply_view(self, request: HttpRequest, customer_id: str) -> HttpResponse:
        """Staff write to a customer from the admin: the reply goes through the same outbox."""
        customer = Customer.objects.filter(pk=unquote(customer_id)).first()
        if customer is None:
            raise Http404("No such customer.")
        if not request.user.has_perm("conversations.change_customer"):
            raise PermissionDenied
        form = StaffReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = services.reply_as_staff(customer=customer, text=form.cleaned_data["text"])
            except (DomainError, ValueError) as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                self.message_user(
                    request, f"Reply to {customer} queued (message {message.pk}); the bot is paused.", messages.SUCCESS
                )
                return redirect("admin:conversations_customer_change", quote(customer.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reply to {customer}",
            "opts": Customer._meta,
            "customer": customer,
            "form": form,
            "recent": recent_messages(customer),
            "window_closes_at": reply_window_closes_at(customer=customer),
            "bot_paused": customer.is_bot_paused(),
        }
        return TemplateResponse(request, "admin/conversations/message/reply.html", context)
