"""Staff's view of TikTok deliveries and of the shop's TikTok tokens. Changes go through the services."""

import json
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms import ModelForm
from django.http import HttpRequest

from conversations.models import Customer
from philia.admin_actions import customer_link
from philia.inbox_admin import InboxAdmin, preformatted, pretty_json
from tiktok import credentials, envelopes
from tiktok.client import TikTokError
from tiktok.models import TikTokCredential, WebhookEvent

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Writer(TypedDict):
    """Who wrote an event, annotated on the admin's list (`WebhookEventAdmin.get_queryset`)."""

    customer_pk: str | None
    customer_username: str | None


# What each TikTok event is, for the owner reading the inbox (TikTok's names stay in the filter and the page).
EVENT_NAMES = {
    envelopes.RECEIVE_MESSAGE: "Customer wrote",
    envelopes.SEND_MESSAGE: "Shop's message sent",
    envelopes.RECEIVE_MESSAGE_EU: "Customer wrote (EU: not readable)",
    envelopes.MARK_READ: "Read receipt",
}


@admin.register(WebhookEvent)
class WebhookEventAdmin(InboxAdmin):
    """The TikTok inbox (`philia.inbox_admin`: read-only, Retry), with who wrote and what TikTok sent."""

    list_display = ("received_at", "event_in_words", "customer", "tiktok_message_id", *InboxAdmin.inbox_columns)
    list_filter = ("status", "event")
    search_fields = ("tiktok_message_id", "conversation_id", "dedupe_key")
    fields = ("event", "tiktok_message_id", "dedupe_key", "conversation_id", *InboxAdmin.inbox_fields, "pretty_body")

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        # The customer behind each event, found by its conversation (events carry no customer of their own).
        customers = Customer.objects.filter(conversation_id=OuterRef("conversation_id")).exclude(conversation_id="")
        return (
            super()
            .get_queryset(request)
            .annotate(
                customer_pk=Subquery(customers.values("pk")[:1]),
                customer_username=Subquery(customers.values("username")[:1]),
            )
        )

    @admin.display(description="event", ordering="event")
    def event_in_words(self, event: WebhookEvent) -> str:
        return EVENT_NAMES.get(event.event, event.event)

    @admin.display(description="customer")
    def customer(self, event: "WithAnnotations[WebhookEvent, _Writer]") -> str:
        if event.customer_pk is None:
            return ""
        return customer_link(Customer(tiktok_user_id=event.customer_pk, username=event.customer_username or ""))

    @admin.display(description="body (content decoded)")
    def pretty_body(self, event: WebhookEvent) -> str:
        try:
            envelope = json.loads(event.raw_body)
            if isinstance(envelope.get("content"), str):
                envelope["content"] = json.loads(envelope["content"])
        except (ValueError, AttributeError):
            return preformatted(event.raw_body)
        return pretty_json(envelope)


class TikTokCredentialForm(ModelForm):
    class Meta:
        model = TikTokCredential
        fields = ("access_token", "access_token_expires_at", "refresh_token", "refresh_token_expires_at")


@admin.register(TikTokCredential)
class TikTokCredentialAdmin(admin.ModelAdmin):
    """The one row of stored tokens: paste them here once; the scheduled refresh keeps them current."""

    form = TikTokCredentialForm
    list_display = (
        "__str__",
        "access_token_hint",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "refreshed_at",
        "in_use",
    )
    readonly_fields = ("in_use", "refreshed_at", "last_refresh_error", "updated_at")
    actions = ("refresh_now",)

    def get_fields(self, request: HttpRequest, obj: TikTokCredential | None = None) -> tuple[str, ...]:
        return (*TikTokCredentialForm.Meta.fields, *self.readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not TikTokCredential.objects.exists()

    @admin.display(description="access token")
    def access_token_hint(self, credential: TikTokCredential) -> str:
        return f"…{credential.access_token[-4:]}" if credential.access_token else "—"

    @admin.display(description="in use")
    def in_use(self, credential: TikTokCredential) -> str:
        if settings.TIKTOK_ACCESS_TOKEN:
            return "No: TIKTOK_ACCESS_TOKEN in the environment overrides these."
        return "Yes" if credential.access_token else "No access token: replies are dry runs."

    def save_model(self, request: HttpRequest, obj: TikTokCredential, form: ModelForm, change: bool) -> None:
        credentials.store_tokens(**{name: form.cleaned_data[name] for name in TikTokCredentialForm.Meta.fields})

    @admin.action(description="Refresh the access token now")
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[TikTokCredential]) -> None:
        try:
            credentials.refresh_access_token()
        except (credentials.TokenRefreshUnavailable, TikTokError) as exc:
            self.message_user(request, f"Not refreshed: {exc}", level=messages.ERROR)
        else:
            self.message_user(request, "Access token refreshed; the new refresh token is stored.", messages.SUCCESS)
