from django.contrib import admin

from assistant.models import ToolCall
from philia.admin_actions import ReadOnlyAdmin, customer_link


@admin.register(ToolCall)
class ToolCallAdmin(ReadOnlyAdmin):
    """What the assistant did (holds, releases, orders, offers, hand-offs), read-only: a record, not a control."""

    list_display = ("created_at", "customer_link", "what_it_did", "succeeded", "message")
    list_filter = ("tool", "succeeded")
    search_fields = ("customer__tiktok_user_id", "customer__username")
    list_select_related = ("customer",)
    readonly_fields = (
        "idempotency_key",
        "message",
        "customer",
        "tool",
        "arguments",
        "succeeded",
        "result",
        "created_at",
    )
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description="customer", ordering="customer__username")
    def customer_link(self, call: ToolCall) -> str:
        return customer_link(call.customer)

    @admin.display(description="what it did", ordering="tool")
    def what_it_did(self, call: ToolCall) -> str:
        """The action in words ("Held VNT-…"); a tool this list does not know is shown as stored."""
        arguments = call.arguments if isinstance(call.arguments, dict) else {}
        sku, amount = arguments.get("sku", "?"), arguments.get("amount", "?")
        words = {
            "hold_item": f"Held {sku}",
            "release_hold": f"Released the hold on {sku}",
            "place_order": "Placed an order from their holds",
            "make_offer": f"Passed on an offer of ${amount} for {sku}",
            "hand_off_to_owner": "Handed the conversation to you",
            "claim_payment": "Said they paid: flagged for you to confirm",
            "cancel_order": "Cancelled their unpaid order",
            "payment_link": "Asked for the payment link again",
        }
        return words.get(call.tool, f"{call.tool} {call.arguments or ''}".strip())
