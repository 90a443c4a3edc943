"""What the shop's admin pages share: running a service per selected row (an action that does only that:
`service_action`), the buttons on an object's page, the
page of a step that asks for something first, links to a customer, and clipping long text for a list column."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
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


def service_action(
    service: Callable[[Any], object], *, description: str, done: str
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], None]:
    """An admin action that calls `service` for each selected row (`apply_service`: errors named per row, `done`
    formatted with how many succeeded); assign it to the action's name in the ModelAdmin."""

    @admin.action(description=description)
    def action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        apply_service(model_admin, request, queryset, service, done=done)

    return action


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the shop writes itself (a history, a log): the admin lists and shows it, never adds, changes or
    deletes it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class BackToPageAfterAction(admin.ModelAdmin):
    """For action buttons on an object's page (they post to the list's actions with `_back_to`, the page's
    path): once the action is done, go back to that page instead of the list.

    Actions named in `confirm_actions` (action name → the question, formatted with `count`) are destructive:
    the admin's forms (the list's action bar, the page's buttons) post them with `_ask_first`, which shows a page
    asking to confirm first; the page's buttons also show them apart from the next step. A post without
    `_ask_first` (a script, a test) acts at once, as any admin action does."""

    confirm_actions: dict[str, str] = {}
    # The object's page with its `next_steps` (set in `fill_change_page`) as buttons at the top.
    change_form_template = "admin/change_form_with_steps.html"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,  # the admin's model (ModelAdmin's own type for it is Any)
    ) -> HttpResponse:
        context.setdefault("destructive_steps", tuple(self.confirm_actions))
        # Here rather than in change_view: the object is already loaded, so the page does not fetch it twice.
        self.fill_change_page(context, obj, add=add)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def fill_change_page(self, context: dict[str, Any], obj: Any, *, add: bool) -> None:
        """Set what the object's page shows (its `next_steps`, which Save buttons) in `context`; `obj` is None on
        the add page."""

    # django-stubs 6 gives response_action an `action_location` argument, which Django 5.2 neither takes nor passes.
    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:  # type: ignore[override]
        action = request.POST.get("action", "")
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if action in self.confirm_actions and selected and request.POST.get("_ask_first") == "yes":
            return self._confirm_action(request, queryset.filter(pk__in=selected), action, selected)
        response = super().response_action(request, queryset)
        back = request.POST.get("_back_to", "")
        if (
            isinstance(response, HttpResponseRedirect)
            and back.startswith("/")
            and url_has_allowed_host_and_scheme(back, None)
        ):
            return HttpResponseRedirect(back)
        return response

    def _confirm_action(
        self, request: HttpRequest, queryset: QuerySet[Any], action: str, selected: list[str]
    ) -> TemplateResponse:
        rows = list(queryset)
        back = request.POST.get("_back_to", "")
        context = {
            **self.admin_site.each_context(request),
            "title": "Are you sure?",
            "question": self.confirm_actions[action].format(count=len(rows)),
            "label": getattr(getattr(self, action), "short_description", action),
            "rows": rows,
            "opts": self.model._meta,
            "action": action,
            "selected": selected,
            "back_to": back if back.startswith("/") and url_has_allowed_host_and_scheme(back, None) else "",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/confirm_action.html", context)


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member an admin page acts for (the admin lets no one else in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def step_form(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    title: str,
    submit_label: str,
    template: str,
    **rows: object,
) -> TemplateResponse:
    """The page of a step that asks for something per selected row before acting (see admin/step_form.html):
    posted back with "apply" to the same `action`, `rows` (e.g. `orders=[...]`) given to the template."""
    back = request.POST.get("_back_to", "")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "action": action,
        "submit_label": submit_label,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "back_to": back if back.startswith("/") and url_has_allowed_host_and_scheme(back, None) else "",
        **rows,
    }
    return TemplateResponse(request, template, context)


def customer_link(customer: Customer) -> str:
    """The customer's name, linking to their page (conversation, holds, orders, reply)."""
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:conversations_customer_change", args=[quote(customer.pk)]), customer
    )


def clip(text: str, limit: int) -> str:
    """`text` as it is when it fits in `limit` characters, else cut to `limit` ending in "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
