"""Settings for bench/pipeline.py only: the production settings plus the minimal pipeline it compares the shop's
with (`POST /bench/pipeline-baseline` in bench/pipeline_urls.py, the worker in bench/pipeline_tasks.py). Never used
by the shop itself."""

from philia.settings import *  # noqa: F403
from philia.settings import DRAMATIQ_AUTODISCOVER_MODULES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# rundramatiq imports every app's `pipeline_tasks` too: the baseline's actor is declared in the worker.
DRAMATIQ_AUTODISCOVER_MODULES = [*DRAMATIQ_AUTODISCOVER_MODULES, "pipeline_tasks"]
ROOT_URLCONF = "bench.pipeline_urls"
