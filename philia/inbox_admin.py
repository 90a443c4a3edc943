"""One admin list for every inbox (TikTok's webhook events, Stripe's events): read-only, filtered by status, each row
with its tries, its next try and what it did or why it failed, and "Retry" (`philia.inbox.reopen`)."""

import json
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from philia import inbox
from philia.admin_actions import clip


class InboxAdmin(admin.ModelAdmin):
    """Put `inbox_columns` in `list_display` and `inbox_fields` in `fields` next to the kind's own."""

    inbox_columns = ("status", "attempts", "next_attempt_at", "result")
    inbox_fields = (
        "status", "received_at", "attempts", "started_at", "processed_at", "next_attempt_at", "requeued_at",
        "outcome", "last_error",
    )  # fmt: skip
    list_filter: ClassVar[tuple[str, ...]] = ("status",)
    date_hierarchy = "received_at"
    actions = ("retry",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(flatten(self.fields or ()))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="outcome or error")
    def result(self, event: inbox.InboxEvent) -> str:
        return clip(event.last_error if event.status == inbox.Status.FAILED else event.outcome, 80)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        options = self.model._meta
        return request.user.has_perm(f"{options.app_label}.change_{options.model_name}")

    @admin.action(description="Retry (safe: nothing is done twice)", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[inbox.InboxEvent]) -> None:
        reopened = inbox.reopen(queryset)
        self.message_user(request, f"Handling {len(reopened)} event(s) again.")


def pretty_json(value: object) -> str:
    """A stored body for a detail page: indented JSON, wrapped; a lone surrogate shown escaped (it cannot be UTF-8)."""
    return preformatted(json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace").decode())


def preformatted(text: str) -> str:
    return format_html('<pre style="white-space:pre-wrap">{}</pre>', text)
