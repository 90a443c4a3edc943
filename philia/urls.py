from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path
from django.views.static import serve
from django_dramatiq.models import Task

from inventory.views import item_page, shop_page
from philia.api import api

admin.site.site_header = "Philia Thrifts"
admin.site.site_title = "Philia Thrifts admin"
admin.site.index_title = "The shop"
# django_dramatiq's task table stays empty here (its AdminMiddleware is not installed): the owner would
# only wonder why. Jobs are seen through the outbox and webhook-event pages instead.
if admin.site.is_registered(Task):
    admin.site.unregister(Task)
# The list pages need the width (items, messages); the breadcrumbs and Home lead everywhere the sidebar did.
admin.site.enable_nav_sidebar = False
# "View site": the shop's public front page (what is on sale now, each linking to its /p/<SKU>/ page).
admin.site.site_url = "/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("p/<str:sku>/", item_page, name="item_page"),
    path("", shop_page, name="shop"),
    path("", api.urls),
]

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # Development or one small machine: Django serves the photos. In production a proxy serving MEDIA_ROOT
    # (or a storage backend with its own URLs, e.g. S3) does it far better (README, "Photos and media").
    prefix = settings.MEDIA_URL.strip("/")
    urlpatterns.append(re_path(rf"^{prefix}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
