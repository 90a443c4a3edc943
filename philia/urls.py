from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path
from django.views.static import serve
from django_dramatiq.models import Task

from inventory.views import item_page, shop_page
from philia.api import api

# django_dramatiq's task table stays empty here (its AdminMiddleware is not installed): the owner would
# only wonder why. Jobs are seen through the outbox and webhook-event pages instead.
if admin.site.is_registered(Task):
    admin.site.unregister(Task)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("p/<str:sku>/", item_page, name="item_page"),
    path("", shop_page, name="shop"),
    path("", api.urls),
]

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # Development or one small machine: Django serves the photos. In production a proxy serving MEDIA_ROOT
    # (or a storage backend with its own URLs, e.g. S3) does it far better (docs/stock-holds-drops.md, "Photos, stock and the public pages").
    prefix = settings.MEDIA_URL.strip("/")
    urlpatterns.append(re_path(rf"^{prefix}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
