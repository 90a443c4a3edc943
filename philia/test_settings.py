"""Settings for the test suite: a real PostgreSQL and Redis, the embedded ones unless DATABASE_URL / REDIS_URL
name others (the machine's at 127.0.0.1, say). Embedded servers this run starts, it stops when it ends."""

import os

from philia import embedded

try:
    # Redis database 1: a `make run` sharing the embedded Redis keeps database 0 to itself.
    embedded.configure_environment(stop_when_unused=True, redis_database=1)
except embedded.EmbeddedError as error:
    raise SystemExit(str(error)) from None
os.environ.setdefault("DRAMATIQ_NAMESPACE", "philia-test")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# The settings refuse to start with DEBUG off and no key; the tests (and the processes they start) use this one.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# No errors of the suite go to a Sentry named in .env; the tests of reporting start processes with their own DSN.
os.environ["SENTRY_DSN"] = ""
# No scheduler runs during the suite: /health's sweep check is tested on its own (philia/tests/test_health.py).
os.environ.setdefault("SWEEPS_LATE_AFTER_SECONDS", "31536000")

from philia.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The suite's commits need not wait for the disk: a crash loses only test rows (the server's own data is safe).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
