"""The shop's URLs, plus the photos in MEDIA_ROOT served by Django, read at each request (a test's MEDIA_ROOT is its
own temporary folder): for browser tests, which look at the photos through the live server. Used through the
`served_media` fixture (testing/browser.py)."""

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import re_path
from django.views.static import serve

from philia.urls import urlpatterns as shop_urlpatterns


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *shop_urlpatterns]
