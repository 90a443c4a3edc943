from django.contrib import admin
from django.urls import path
from django_dramatiq.models import Task

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

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
]
