"""Staff's view of customers. The bot's pause changes only through `conversations.services`."""

from datetime import timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from conversations import services
from conversations.models import Customer
from inventory.models import Item
from philia.admin_actions import apply_service

# A pause this far ahead was made "until resumed" (services.INDEFINITE_PAUSE), not for some hours.
UNTIL_RESUMED_AFTER = timedelta(days=365)


class HoldInline(admin.TabularInline):
    """The items this customer holds right now (release them from the item list)."""

    model = Item
    fk_name = "held_by"
    verbose_name = "current hold"
    verbose_name_plural = "current holds"
    fields = readonly_fields = ("sku", "name", "size_label", "price", "held_until")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return super().get_queryset(request).filter(status=Item.Status.RESERVED, held_until__gt=timezone.now())

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("tiktok_user_id", "username", "display_name", "last_inbound_at", "bot_status", "opted_out_at")
    search_fields = ("username", "display_name", "tiktok_user_id")
    list_filter = (("handoff_requested_at", admin.EmptyFieldListFilter), ("opted_out_at", admin.EmptyFieldListFilter))
    inlines = [HoldInline]
    actions = ("pause_bot", "resume_bot")
    readonly_fields = (
        "bot_status", "bot_paused_until", "handoff_requested_at", "last_inbound_at", "last_read_at",
        "marketing_consent", "opted_out_at", "created_at", "updated_at",
    )  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple[str, ...]:
        # The TikTok user id is the key: set when the customer is added, fixed after.
        return ("tiktok_user_id", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="bot")
    def bot_status(self, customer: Customer) -> str:
        now = timezone.now()
        if not customer.is_bot_paused(now=now):
            status = "active"
        elif customer.bot_paused_until - now > UNTIL_RESUMED_AFTER:
            status = "paused until resumed"
        else:
            status = f"paused until {timezone.localtime(customer.bot_paused_until):%Y-%m-%d %H:%M %Z}"
        if customer.handoff_requested_at is not None:
            status += " · asked for a person"
        return status

    @admin.action(description="Pause the bot (until resumed)")
    def pause_bot(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        apply_service(
            self, request, queryset, lambda customer: services.pause_bot(customer=customer), done="Paused the bot for {count} customer(s)."
        )

    @admin.action(description="Resume the bot")
    def resume_bot(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        apply_service(
            self, request, queryset, lambda customer: services.resume_bot(customer=customer), done="Resumed the bot for {count} customer(s)."
        )
