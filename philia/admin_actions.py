"""What the shop's admin pages share: running a service per selected row, the buttons on an object's page,
links to a customer, and clipping long text for a list column."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from conversations.models import Customer
from philia.errors import DomainError

Row = TypeVar("Row")


def apply_service(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[Row],
    service: Callable[[Row], object],
    *,
    done: str,
) -> int:
    """Call `service` for each row; each `DomainError` is shown as an error naming the row, the rest count
    as done (`done` is formatted with `count`). Returns how many succeeded."""
    succeeded = 0
    for row in rows:
        try:
            service(row)
        except DomainError as exc:
            model_admin.message_user(request, f"{row}: {exc}", level=messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, done.format(count=succeeded), level=messages.SUCCESS)
    return succeeded


class BackToPageAfterAction:
    """For action buttons on an object's page (they post to the list's actions with `_back_to`, the page's
    path): once the action is done, go back to that page instead of the list."""

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        response = super().response_action(request, queryset)
        back = request.POST.get("_back_to", "")
        if (
            isinstance(response, HttpResponseRedirect)
            and back.startswith("/")
            and url_has_allowed_host_and_scheme(back, None)
        ):
            return HttpResponseRedirect(back)
        return response


def customer_link(customer: Customer) -> str:
    """The customer's name, linking to their page (conversation, holds, orders, reply)."""
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:conversations_customer_change", args=[quote(customer.pk)]), customer
    )


def clip(text: str, limit: int) -> str:
    """`text` as it is when it fits in `limit` characters, else cut to `limit` ending in "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
