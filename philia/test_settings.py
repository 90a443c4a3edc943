"""Settings for the test suite: real PostgreSQL and Redis at 127.0.0.1 unless the environment says otherwise."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/philia")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("DRAMATIQ_NAMESPACE", "philia-test")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("EMBEDDED_WORKER", "false")
# The settings refuse to start with DEBUG off and no key; the tests (and the processes they start) use this one.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# No scheduler runs during the suite: /health's sweep check is tested on its own (philia/tests/test_health.py).
os.environ.setdefault("SWEEPS_LATE_AFTER_SECONDS", "31536000")

from philia.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
