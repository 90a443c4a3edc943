import io
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def password_file(tmp_path):
    return tmp_path / ".admin-password"


@pytest.fixture(autouse=True)
def no_superuser_env(monkeypatch):
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"):
        monkeypatch.delenv(name, raising=False)


def ensure_staff(password_file) -> str:
    out = io.StringIO()
    call_command("ensure_staff", "--password-file", str(password_file), stdout=out)
    return out.getvalue()


def test_superuser_gets_the_password_from_the_environment(monkeypatch, password_file):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "owner")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-chosen-passphrase")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "owner@example.com")

    output = ensure_staff(password_file)

    user = User.objects.get()
    assert (user.username, user.email, user.is_staff, user.is_superuser) == ("owner", "owner@example.com", True, True)
    assert user.check_password("a-long-chosen-passphrase")
    assert output == "Created superuser 'owner' with DJANGO_SUPERUSER_PASSWORD.\n"
    assert not password_file.exists()


def test_without_a_password_one_is_generated_printed_and_saved_privately(password_file):
    output = ensure_staff(password_file)

    user = User.objects.get(username="admin")
    saved = dict(line.split(": ", 1) for line in password_file.read_text().splitlines() if not line.startswith("#"))
    assert saved["username"] == "admin"
    assert len(saved["password"]) >= 20
    assert user.check_password(saved["password"])
    assert f"password: {saved['password']}" in output
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600


def test_second_run_without_a_password_changes_nothing(password_file):
    ensure_staff(password_file)
    before = User.objects.get().password

    output = ensure_staff(password_file)

    assert User.objects.get().password == before
    assert output == (
        f"Staff user 'admin' exists; password unchanged (the generated one is in {password_file}). "
        "Set DJANGO_SUPERUSER_PASSWORD to change it.\n"
    )


def test_a_password_in_the_environment_replaces_the_generated_one(monkeypatch, password_file):
    ensure_staff(password_file)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "the-owners-own-passphrase")

    output = ensure_staff(password_file)

    assert User.objects.get().check_password("the-owners-own-passphrase")
    assert output == "Updated staff user 'admin': password.\n"
    assert ensure_staff(password_file) == "Staff user 'admin' is ready; nothing to change.\n"
