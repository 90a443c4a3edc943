from django.apps import AppConfig


class PropositionsConfig(AppConfig):
    name = "propositions"
    verbose_name = "Propositions"
