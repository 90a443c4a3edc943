"""What every admin action that changes state does: call a service per row, report the refusals."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib import admin, messages
from django.http import HttpRequest

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
