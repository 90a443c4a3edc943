import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from conversations.models import Customer
from inventory.models import Item
from philia.tests.factories import make_customer, make_item


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_reserve_holds_the_item_for_a_new_customer_and_prints_the_expiry():
    make_item("VNT-NIKE-WB-001", name="Vintage Nike Windbreaker")

    output = run("reserve", "vnt-nike-wb-001", "--customer", "tt-42", "--hours", "2")

    item = Item.objects.get()
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, "tt-42")
    assert output == (
        f"Held VNT-NIKE-WB-001 (Vintage Nike Windbreaker, $45.00) for tt-42 until {item.held_until:%Y-%m-%d %H:%M} UTC.\n"
    )
    assert Customer.objects.filter(pk="tt-42").exists()


@pytest.mark.django_db
def test_reserve_of_an_unknown_sku_fails_and_creates_no_customer():
    with pytest.raises(CommandError, match=r"^No item with SKU NOPE-404\.$"):
        run("reserve", "NOPE-404", "--customer", "tt-42")

    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_reserve_of_a_held_item_says_until_when():
    until = timezone.now() + timedelta(hours=5)
    make_item(held_by=make_customer("holder"), held_until=until)

    with pytest.raises(
        CommandError, match=rf"^VNT-TEST-001 is held by another customer until {until:%Y-%m-%d %H:%M} UTC\.$"
    ):
        run("reserve", "VNT-TEST-001", "--customer", "tt-42")


@pytest.mark.django_db
def test_reserve_of_a_sold_item_fails():
    make_item(status=Item.Status.SOLD)

    with pytest.raises(CommandError, match=r"^VNT-TEST-001 is already sold\.$"):
        run("reserve", "VNT-TEST-001", "--customer", "tt-42")


@pytest.mark.django_db
def test_reserve_past_the_hold_limit_fails(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    customer = make_customer("tt-42")
    make_item("HELD-1", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    make_item("WANTED-2")

    with pytest.raises(CommandError, match=r"^You can hold at most 1 items at a time"):
        run("reserve", "WANTED-2", "--customer", "tt-42")


@pytest.mark.django_db
def test_reserve_with_a_bad_hold_length_fails():
    make_item()

    with pytest.raises(
        CommandError, match=r"^Error: argument --hours: must be a number of hours, more than 0 and at most 336$"
    ):
        run("reserve", "VNT-TEST-001", "--customer", "tt-42", "--hours", "0")


@pytest.mark.django_db
def test_reserve_for_a_customer_id_too_long_to_store_fails_with_a_reason():
    make_item()

    with pytest.raises(CommandError, match=r"^A TikTok user id is at most 128 characters, not 200\.$"):
        run("reserve", "VNT-TEST-001", "--customer", "x" * 200)


@pytest.mark.django_db
def test_release_puts_a_held_item_back_on_sale():
    make_item(held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))

    output = run("release", "VNT-TEST-001")

    assert output == "Released VNT-TEST-001 (Test Jacket); it is on sale again.\n"
    assert Item.objects.get().status == Item.Status.AVAILABLE


@pytest.mark.django_db
def test_release_of_an_item_that_is_not_held_fails():
    make_item()

    with pytest.raises(CommandError, match=r"^VNT-TEST-001 is not held\.$"):
        run("release", "VNT-TEST-001")
    with pytest.raises(CommandError, match=r"^No item with SKU NOPE\.$"):
        run("release", "NOPE")


@pytest.mark.django_db
def test_expire_holds_prints_how_many_it_released():
    customer = make_customer()
    make_item("RUN-OUT-1", held_by=customer, held_until=timezone.now() - timedelta(minutes=1))

    assert run("expire_holds") == "Released 1 expired hold(s).\n"
    assert run("expire_holds") == "Released 0 expired hold(s).\n"


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py as a separate process against the test database."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "philia.test_settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


# transaction=True: the manage.py process reads the rows, so they must be committed.
@pytest.mark.django_db(transaction=True)
def test_reserve_exits_non_zero_with_a_one_line_reason_and_zero_on_success():
    until = timezone.now() + timedelta(hours=5)
    make_item("HELD-1", held_by=make_customer("holder"), held_until=until)
    make_item("FREE-2")

    refused = manage("reserve", "HELD-1", "--customer", "tt-42")
    held = manage("reserve", "FREE-2", "--customer", "tt-42")

    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"CommandError: HELD-1 is held by another customer until {until:%Y-%m-%d %H:%M} UTC.\n"
    assert held.returncode == 0, held.stderr
    assert held.stdout.startswith("Held FREE-2 (Test Jacket, $45.00) for tt-42 until ")
    assert Item.objects.get(sku="FREE-2").held_by_id == "tt-42"
