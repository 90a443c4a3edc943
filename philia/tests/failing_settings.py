"""The production settings plus a job and a page that fail on purpose (philia/tests/failing.py), for the processes
test_sentry.py starts. Never used by the shop itself."""

from philia.settings import *  # noqa: F403
from philia.settings import DRAMATIQ_AUTODISCOVER_MODULES

# rundramatiq imports philia.tests.failing too: the failing job is declared in the worker.
DRAMATIQ_AUTODISCOVER_MODULES = [*DRAMATIQ_AUTODISCOVER_MODULES, "tests.failing"]
ROOT_URLCONF = "philia.tests.failing"
