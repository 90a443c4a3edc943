"""Every management command of the project, given bad arguments, as from a terminal: one line on stderr, a
non-zero exit, no traceback, nothing written. A new command fails the coverage test until it has cases here."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import ManagementUtility, get_commands
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item
from live.models import Stream
from orders.models import Order
from philia.tests.factories import make_customer, make_item
from tiktok.models import WebhookEvent

PROJECT_APPS = {"philia", "inventory", "orders", "conversations", "tiktok", "live"}
UNDECODABLE = "VNT\udcff\udcfe"  # what Python makes of the bytes b"VNT\xff\xfe" on the command line
LONG = "x" * 10_000
SQL = "'; DROP TABLE inventory_item; --"

# (command line, the one line expected on stderr). Every command of the project appears at least once.
BAD_ARGUMENTS = [
    (["reserve"], "manage.py reserve: error: the following arguments are required: sku, --customer (see --help)"),
    (
        ["reserve", "", "--customer", "anna"],
        "manage.py reserve: error: argument sku: is empty (see --help)",
    ),
    (
        ["reserve", UNDECODABLE, "--customer", "anna"],
        "manage.py reserve: error: argument sku: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna\udcff"],
        "manage.py reserve: error: argument --customer: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna\nbob"],
        "manage.py reserve: error: argument --customer: contains control characters (newline, tab, …) (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna\tbob"],
        "manage.py reserve: error: argument --customer: contains control characters (newline, tab, …) (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "   "],
        "manage.py reserve: error: argument --customer: is empty (see --help)",
    ),
    (
        ["reserve", LONG, "--customer", "anna"],
        "manage.py reserve: error: argument sku: is longer than 64 characters (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", LONG],
        "CommandError: A TikTok user id is at most 128 characters, not 10000.",
    ),
    (["reserve", SQL, "--customer", "anna"], f"CommandError: No item with SKU {SQL}."),
    (["reserve", "VNT-ÄÖÜ-☃", "--customer", "ånna"], "CommandError: No item with SKU VNT-ÄÖÜ-☃."),
    (["reserve", "NOPE-404", "--customer", "anna"], "CommandError: No item with SKU NOPE-404."),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna", "--hours", "-1"],
        "manage.py reserve: error: argument --hours: must be a number of hours, more than 0 and at most 336 (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna", "--hours", "99999999999999999999"],
        "manage.py reserve: error: argument --hours: must be a number of hours, more than 0 and at most 336 (see --help)",
    ),
    (
        ["reserve", "VNT-TEST-001", "--customer", "anna", "--hours", "soon"],
        "manage.py reserve: error: argument --hours: must be a number of hours, more than 0 and at most 336 (see --help)",
    ),
    (["reserve", "HELD-1", "--customer", "anna"], None),  # held by someone else: the service's reason
    (
        ["schedule_drop"],
        "manage.py schedule_drop: error: the following arguments are required: --at, SKU (see --help)",
    ),
    (
        ["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", ""],
        "manage.py schedule_drop: error: argument SKU: is empty (see --help)",
    ),
    (
        ["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", UNDECODABLE],
        "manage.py schedule_drop: error: argument SKU: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (
        ["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", "--name", "a\nb", "VNT-TEST-001"],
        "manage.py schedule_drop: error: argument --name: contains control characters (newline, tab, …) (see --help)",
    ),
    (
        ["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", LONG],
        "manage.py schedule_drop: error: argument SKU: is longer than 64 characters (see --help)",
    ),
    (
        ["schedule_drop", "--at", "soon", "VNT-TEST-001"],
        "CommandError: --at 'soon' is not an ISO 8601 time, e.g. 2026-12-24T19:00:00+00:00.",
    ),
    (["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", SQL], f"CommandError: No item with SKU {SQL.upper()}."),
    (["schedule_drop", "--at", "2099-12-24T19:00:00+00:00", "HELD-1"], "CommandError: HELD-1 is held."),
    (["expire_orders", "now"], "manage.py expire_orders: error: unrecognized arguments: now (see --help)"),
    (["expire_orders", "--all"], "manage.py expire_orders: error: unrecognized arguments: --all (see --help)"),
    (["release"], "manage.py release: error: the following arguments are required: sku (see --help)"),
    (["release", ""], "manage.py release: error: argument sku: is empty (see --help)"),
    (
        ["release", UNDECODABLE],
        "manage.py release: error: argument sku: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (["release", LONG], "manage.py release: error: argument sku: is longer than 64 characters (see --help)"),
    (["release", SQL], f"CommandError: No item with SKU {SQL}."),
    (["release", "NOPE-404"], "CommandError: No item with SKU NOPE-404."),
    (["release", "VNT-TEST-001"], "CommandError: VNT-TEST-001 is not held."),
    (
        ["requeue_stale_events", "--older-than", "99999999999999999"],
        "manage.py requeue_stale_events: error: argument --older-than: must be a whole number from 0 to 315360000 "
        "(see --help)",
    ),
    (
        ["requeue_stale_events", "--older-than", "-1"],
        "manage.py requeue_stale_events: error: argument --older-than: must be a whole number from 0 to 315360000 "
        "(see --help)",
    ),
    (
        ["requeue_stale_events", "--older-than", "9" * 5000],
        "manage.py requeue_stale_events: error: argument --older-than: must be a whole number from 0 to 315360000 "
        "(see --help)",
    ),
    (
        ["requeue_stale_events", "--older-than", ""],
        "manage.py requeue_stale_events: error: argument --older-than: must be a whole number from 0 to 315360000 "
        "(see --help)",
    ),
    (
        ["requeue_stale_events", "surprise"],
        "manage.py requeue_stale_events: error: unrecognized arguments: surprise (see --help)",
    ),
    (["replay_event"], "manage.py replay_event: error: the following arguments are required: event_id (see --help)"),
    (
        ["replay_event", ""],
        "manage.py replay_event: error: argument event_id: must be a whole number from 1 to 9223372036854775807 "
        "(see --help)",
    ),
    (
        ["replay_event", "1; DROP TABLE tiktok_webhookevent"],
        "manage.py replay_event: error: argument event_id: must be a whole number from 1 to 9223372036854775807 "
        "(see --help)",
    ),
    (
        ["replay_event", "99999999999999999999999"],
        "manage.py replay_event: error: argument event_id: must be a whole number from 1 to 9223372036854775807 "
        "(see --help)",
    ),
    (["replay_event", "999999"], "CommandError: No webhook event 999999."),
    (
        ["replay_event", "1", "--timeout", "-1"],
        "manage.py replay_event: error: argument --timeout: must be a number of seconds, more than 0 and at most "
        "3600 (see --help)",
    ),
    (
        ["simulate", "hello", "--user", "anna", "--timeout", "-1"],
        "manage.py simulate: error: argument --timeout: must be a number of seconds, more than 0 and at most 3600 "
        "(see --help)",
    ),
    (
        ["simulate", "hello", "--user", "anna", "--timeout", "nan"],
        "manage.py simulate: error: argument --timeout: must be a number of seconds, more than 0 and at most 3600 "
        "(see --help)",
    ),
    (
        ["simulate", "hello", "--user", "anna", "--timeout", "inf"],
        "manage.py simulate: error: argument --timeout: must be a number of seconds, more than 0 and at most 3600 "
        "(see --help)",
    ),
    (["simulate", "", "--user", "anna"], "manage.py simulate: error: argument text: is empty (see --help)"),
    (
        ["simulate", "hi\udcff", "--user", "anna"],
        "manage.py simulate: error: argument text: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (
        ["simulate", "hello", "--user", "an\nna"],
        "manage.py simulate: error: argument --user: contains control characters (newline, tab, …) (see --help)",
    ),
    (
        ["simulate", "hello", "--user", LONG],
        "manage.py simulate: error: argument --user: is longer than 100 characters (see --help)",
    ),
    (
        ["simulate", "hello", "--user", "anna", "--url", SQL],
        "manage.py simulate: error: argument --url: must start with http:// or https:// (see --help)",
    ),
    (["live"], "manage.py live: error: the following arguments are required: ACTION (see --help)"),
    (
        ["live", "dance"],
        "manage.py live: error: argument ACTION: invalid choice: 'dance' (choose from 'schedule', 'start', 'next', 'end') (see --help)",
    ),
    (
        ["live", "schedule", "VNT-TEST-001"],
        "manage.py live: error: the following arguments are required: --title (see --help)",
    ),
    (
        ["live", "schedule", "--title", "Live"],
        "manage.py live: error: the following arguments are required: SKU (see --help)",
    ),
    (
        ["live", "schedule", "--title", " ", "VNT-TEST-001"],
        "manage.py live: error: argument --title: is empty (see --help)",
    ),
    (
        ["live", "schedule", "--title", "Live", "--at", "tonight", "VNT-TEST-001"],
        "CommandError: --at 'tonight' is not an ISO 8601 time, e.g. 2026-12-24T19:00:00+00:00.",
    ),
    (
        ["live", "schedule", "--title", "Live", "--at", "2026-12-24T19:00:00", "VNT-TEST-001"],
        "CommandError: Give the stream's time with its time zone, e.g. 2026-12-24T19:00:00+00:00.",
    ),
    (["live", "schedule", "--title", "Live", "NOPE-404"], "CommandError: No item with SKU NOPE-404."),
    (
        ["live", "schedule", "--title", "Live", UNDECODABLE],
        "manage.py live: error: argument SKU: contains bytes that are not valid UTF-8 (see --help)",
    ),
    (["live", "start"], "manage.py live: error: the following arguments are required: ID (see --help)"),
    (
        ["live", "start", "abc"],
        "manage.py live: error: argument ID: must be a whole number from 1 to 9223372036854775807 (see --help)",
    ),
    (
        ["live", "start", "0"],
        "manage.py live: error: argument ID: must be a whole number from 1 to 9223372036854775807 (see --help)",
    ),
    (["live", "start", "404"], "CommandError: No stream with id 404."),
    (["live", "next", "404"], "CommandError: No stream with id 404."),
    (
        ["live", "next", "404", "VNT-TEST-001", "more"],
        "manage.py live: error: unrecognized arguments: more (see --help)",
    ),
    (
        ["live", "end", SQL],
        "manage.py live: error: argument ID: must be a whole number from 1 to 9223372036854775807 (see --help)",
    ),
    (["live", "end", "404"], "CommandError: No stream with id 404."),
    (["seed", "--bogus"], "manage.py seed: error: unrecognized arguments: --bogus (see --help)"),
    (["seed", SQL], f"manage.py seed: error: unrecognized arguments: {SQL} (see --help)"),
    (["expire_holds", "now"], "manage.py expire_holds: error: unrecognized arguments: now (see --help)"),
    (
        ["ensure_staff", "--password-file"],
        "manage.py ensure_staff: error: argument --password-file: expected one argument (see --help)",
    ),
    (["ensure_staff", "root"], "manage.py ensure_staff: error: unrecognized arguments: root (see --help)"),
    (["crontab", "--bogus"], "manage.py crontab: error: unrecognized arguments: --bogus (see --help)"),
    (["crontab", SQL], f"manage.py crontab: error: unrecognized arguments: {SQL} (see --help)"),
    (
        ["runshop", "--port", "0"],
        "manage.py runshop: error: argument --port: must be a whole number from 1 to 65535 (see --help)",
    ),
    (
        ["runshop", "--port", SQL],
        "manage.py runshop: error: argument --port: must be a whole number from 1 to 65535 (see --help)",
    ),
    (
        ["runshop", "--threads", "0"],
        "manage.py runshop: error: argument --threads: must be a whole number from 1 to 64 (see --help)",
    ),
    (["runshop", "--host", " "], "manage.py runshop: error: argument --host: is empty (see --help)"),
    (["runshop", "8000"], "manage.py runshop: error: unrecognized arguments: 8000 (see --help)"),
]


def _written() -> dict[str, object]:
    """What a command could have written, in a form that compares."""
    return {
        "customers": sorted(Customer.objects.values_list("pk", flat=True)),
        "items": sorted(Item.objects.values_list("sku", "status", "held_by_id", "held_until")),
        "messages": Message.objects.count(),
        "orders": Order.objects.count(),
        "streams": Stream.objects.count(),
        "events": sorted(WebhookEvent.objects.values_list("pk", "status", "attempts")),
    }


def test_every_command_of_the_project_has_bad_argument_cases():
    project_commands = {name for name, app in get_commands().items() if app in PROJECT_APPS}

    assert project_commands == {argv[0] for argv, _ in BAD_ARGUMENTS}


# transaction=True: a command run as from the terminal closes the database connections when it ends (as
# manage.py does), which would end the test's own transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("argv", "expected"), BAD_ARGUMENTS, ids=lambda value: repr(value)[:60])
def test_bad_arguments_get_one_line_on_stderr_a_non_zero_exit_and_write_nothing(capsys, argv, expected):
    make_item(sku="VNT-TEST-001")
    holder = make_customer("holder")
    make_item(sku="HELD-1", held_by=holder, held_until=timezone.now() + timedelta(hours=2))
    before = _written()

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", *argv]).execute()

    out, err = capsys.readouterr()
    assert exited.value.code not in (0, None)
    assert "Traceback" not in out + err
    assert err.endswith("\n") and err.count("\n") == 1, err
    if expected is not None:
        assert err == expected + "\n"
    else:
        assert err.startswith("CommandError: HELD-1 is held by another customer until ")
    assert _written() == before


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            [b"reserve", b"VNT\xff\xfe", b"--customer", b"anna"],
            b"manage.py reserve: error: argument sku: contains bytes that are not valid UTF-8 (see --help)\n",
        ),
        (
            [b"reserve", b"VNT-TEST-001", b"--customer", b"an\xffna"],
            b"manage.py reserve: error: argument --customer: contains bytes that are not valid UTF-8 (see --help)\n",
        ),
        (
            [b"release", b"\xc3("],
            b"manage.py release: error: argument sku: contains bytes that are not valid UTF-8 (see --help)\n",
        ),
    ],
)
def test_undecodable_bytes_from_a_real_command_line_get_one_line_and_exit_2(argv, expected):
    result = subprocess.run(
        [sys.executable.encode(), b"manage.py", *argv],
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **_test_environment(), "LC_ALL": "C.UTF-8", "LOG_LEVEL": "WARNING"},
    )

    assert result.returncode == 2
    assert result.stderr == expected
    assert result.stdout == b""


def _test_environment() -> dict[str, str]:
    import os

    names = ("DATABASE_URL", "REDIS_URL", "DRAMATIQ_NAMESPACE", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    return {name: os.environ[name] for name in names if name in os.environ}
