from django.apps import AppConfig


class PhiliaConfig(AppConfig):
    name = "philia"
    verbose_name = "Philia Thrifts"
