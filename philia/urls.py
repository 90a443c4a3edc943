from django.contrib import admin
from django.urls import path
from django_dramatiq.models import Task

from philia.api import api

# django_dramatiq's task table stays empty here (its AdminMiddleware is not installed): the owner would
# only wonder why. Jobs are seen through the outbox and webhook-event pages instead.
if admin.site.is_registered(Task):
    admin.site.unregister(Task)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
]
