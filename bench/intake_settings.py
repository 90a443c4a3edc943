"""Settings for bench/intake.py only: the production settings plus a baseline endpoint (bench/intake_urls.py).
Never used by the shop itself."""

from philia.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_urls"
