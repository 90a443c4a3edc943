from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    """django.contrib.admin with the shop's site: every `admin.site.register` and admin URL stays as it was."""

    default_site = "philia.admin_site.ShopAdminSite"
