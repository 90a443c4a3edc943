"""The project as a whole: production settings pass Django's deploy checks, and models match migrations."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

# Settings that test_settings sets for the test process; production must not inherit them.
TEST_ONLY_ENV = ("DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "EMBEDDED_WORKER", "DEBUG")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name not in TEST_ONLY_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**environment, "LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="shop.example.com",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_models_and_migrations_agree():
    result = manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No changes detected\n"


@pytest.mark.django_db
def test_health_answers_plain_http_while_everything_else_is_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client, so its middleware is built with the redirect on

    health = client.get("/health")
    admin = client.get("/admin/login/")

    assert health.status_code == 200
    assert (admin.status_code, admin["Location"]) == (301, "https://testserver/admin/login/")
