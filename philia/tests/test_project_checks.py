"""The project as a whole: production settings pass Django's deploy checks, and models match migrations."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

# Settings that test_settings sets for the test process; production must not inherit them.
TEST_ONLY_ENV = ("DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "DEBUG")


def manage(*args: str, unset: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name not in (*TEST_ONLY_ENV, *unset)}
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


@pytest.mark.parametrize("environment", [{"unset": ("SECRET_KEY",)}, {"SECRET_KEY": ""}], ids=["unset", "empty"])
def test_site_refuses_to_start_with_debug_off_and_no_secret_key(environment):
    result = manage("check", DEBUG="false", **environment)

    assert result.returncode == 1
    assert result.stderr == (
        "ImproperlyConfigured: SECRET_KEY is not set: with DEBUG off the site will not start without one.\n"
    )


def test_local_use_with_debug_on_starts_without_a_secret_key():
    result = manage("check", DEBUG="true", unset=("SECRET_KEY",))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_build_time_collectstatic_settings_load_with_the_dockerfiles_key_and_urls():
    dockerfile = (settings.BASE_DIR / "Dockerfile").read_text()
    assert (
        "RUN SECRET_KEY=collectstatic-only-not-a-real-key DEBUG=false DATABASE_URL=postgres://build@localhost/none \\\n"
        "    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input"
    ) in dockerfile

    result = manage(
        "collectstatic", "--no-input", "--dry-run",
        DEBUG="false", SECRET_KEY="collectstatic-only-not-a-real-key",
        DATABASE_URL="postgres://build@localhost/none", REDIS_URL="redis://localhost:6379/0",
        EMBEDDED_DATA_DIR="/nonexistent/the-image-has-no-embedded-servers",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Pretending to copy")


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
