"""The admin login throttle (django-axes): the client address it counts failures against, and its lockout page."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or with PROXY_COUNT trusted proxies in front, the address the outermost of them saw:
    each proxy appends the address it received from to X-Forwarded-For, so entries left of that one are
    whatever the client chose to send and are never trusted."""
    if settings.PROXY_COUNT > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.PROXY_COUNT:
            return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out login: 429 and a page saying why, for how long, and how to unlock."""
    context = {**admin.site.each_context(request), "cooloff_minutes": settings.AXES_COOLOFF_MINUTES}
    return render(request, "admin/locked_out.html", context, status=429)
