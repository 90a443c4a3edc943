from django.apps import AppConfig


class TiktokConfig(AppConfig):
    name = "tiktok"
    verbose_name = "TikTok"
