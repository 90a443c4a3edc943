"""The ids of the work in hand — the webhook event, the order, the conversation a job or a request is about — so
that every log line it writes (`logs.WithWorkIds`) and every error it reports to Sentry carry them, without each
log call or each app having to say so.

A Dramatiq job's ids are its actor's arguments of those names (`handle_event(event_id, conversation)`,
`expire_order_job(order_id)`); a request's, its URL's (`/admin/orders/order/12/change/` is about order 12). Only
row ids and TikTok's conversation id: never a customer's name or words.
"""

import inspect
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any

import dramatiq
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch
from dramatiq.broker import MessageProxy

# The names an id goes by, in log fields and Sentry tags alike. An actor's or a URL's parameter of one of these
# names is that id; the others below are spelled differently where they come from.
ID_NAMES = (
    "event_id",  # a TikTok webhook event (tiktok.WebhookEvent)
    "stripe_event_id",  # a stored Stripe event (orders.StripeEvent)
    "order_id",
    "conversation_id",  # TikTok's conversation id
    "message_id",  # a conversations.Message (an outbound reply, usually)
    "notification_id",
    "item_id",
    "drop_item_id",
)
# assistant.tasks.handle_event's `conversation` is its conversation key: TikTok's conversation id, or `event-<id>` for
# an event without one (no conversation then).
PARAMETER_ALIASES = {"conversation": "conversation_id"}
NOT_A_CONVERSATION_PREFIX = "event-"
# The admin's pages of one row (`<app>_<model>_change`, `_delete`, `_history`): which id their `object_id` is.
ADMIN_MODEL_IDS = {
    "tiktok_webhookevent": "event_id",
    "orders_stripeevent": "stripe_event_id",
    "orders_order": "order_id",
    "conversations_message": "message_id",
    "notifications_notification": "notification_id",
    "inventory_item": "item_id",
}
ADMIN_ROW_PAGES = ("change", "delete", "history")

Id = int | str

_work_ids: ContextVar[Mapping[str, Id] | None] = ContextVar("philia_work_ids", default=None)
_on_bind: list[Callable[[dict[str, str]], None]] = []


def current_ids() -> Mapping[str, Id]:
    """The ids of the work in hand in this thread (empty outside a job or a request)."""
    return _work_ids.get() or {}


def bind_ids(ids: Mapping[str, object]) -> None:
    """Add `ids` (those of ID_NAMES with a value) to the work in hand, and tell the listeners (Sentry's tags) their
    text."""
    found = {name: value for name, value in ids.items() if name in ID_NAMES and isinstance(value, Id) and value != ""}
    if not found:
        return
    _work_ids.set({**current_ids(), **found})
    for listener in _on_bind:
        listener({name: str(value) for name, value in found.items()})


def clear_ids() -> None:
    _work_ids.set(None)


def on_bind(listener: Callable[[dict[str, str]], None]) -> None:
    """Call `listener` with the ids each time some are bound (philia.observability.sentry tags its scope)."""
    if listener not in _on_bind:
        _on_bind.append(listener)


def ids_of_call(function: Callable[..., Any], args: Iterable[Any], kwargs: Mapping[str, Any]) -> dict[str, Id]:
    """The ids among the arguments of a call of `function`, by parameter name."""
    try:
        bound = _signature(function).bind_partial(*args, **kwargs)
    except TypeError:  # arguments that do not fit: the job fails on its own, without ids
        return {}
    ids = {}
    for parameter, value in bound.arguments.items():
        name = PARAMETER_ALIASES.get(parameter, parameter)
        if name == "conversation_id" and str(value).startswith(NOT_A_CONVERSATION_PREFIX):
            continue
        if name in ID_NAMES and isinstance(value, Id):
            ids[name] = value
    return ids


def ids_of_url(match: ResolverMatch | None) -> dict[str, Id]:
    """The ids in a resolved URL: its parameters of those names, and the row of an admin page."""
    if match is None:
        return {}
    ids = {name: value for name, value in match.kwargs.items() if name in ID_NAMES}
    model, _, page = (match.url_name or "").rpartition("_")
    if page in ADMIN_ROW_PAGES and model in ADMIN_MODEL_IDS and "object_id" in match.kwargs:
        ids[ADMIN_MODEL_IDS[model]] = match.kwargs["object_id"]
    return ids


@cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


class JobIdsMiddleware(dramatiq.Middleware):
    """Binds a job's ids (its actor's arguments) while it runs, in the worker thread that runs it."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        clear_ids()
        try:
            actor = broker.get_actor(message.actor_name)
        except dramatiq.ActorNotFound:
            return
        bind_ids(ids_of_call(actor.fn, message.args, message.kwargs))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        clear_ids()

    after_skip_message = after_process_message


class RequestIdsMiddleware:
    """Binds a request's ids (its URL's) from the moment its view is known until its response is made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            clear_ids()

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        bind_ids(ids_of_url(request.resolver_match))
