from django.contrib import admin
from django.urls import path

from philia.api import api

admin.site.site_header = "Philia Thrifts"
admin.site.site_title = "Philia Thrifts admin"
admin.site.index_title = "The shop"
# The list pages need the width (items, messages); the breadcrumbs and Home lead everywhere the sidebar did.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
]
