"""The evaluation's harness itself (assistant/evaluation, `manage.py assistant_eval`): its case files are read and
checked, its judge passes what holds and fails what does not, each case is rolled back, nothing reaches the
broker, and wrong use of the command is one line on stderr. The evaluation's score is
test_assistant_eval_threshold.py's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from assistant.evaluation.cases import KINDS, CaseError, load_cases, read_case_file
from assistant.evaluation.catalogue import catalogue_skus, load_catalogue, read_catalogue
from assistant.evaluation.report import accuracy_table, failing_ids, overall
from assistant.evaluation.runner import jobs_held_back, run_cases
from conversations.models import Customer, Message
from inventory.models import Item
from orders.models import Offer, Order
from philia import jobs

PIECES = read_catalogue()
CATALOGUE = catalogue_skus(PIECES)
ISSUE_KINDS = ("reference", "intent", "follow_up", "condition", "relative", "misspelling")


def cases_file(tmp_path: Path, text: str, name: str = "cases.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, text: str):
    load_catalogue(PIECES)
    return run_cases(read_case_file(cases_file(tmp_path, text), catalogue=CATALOGUE))


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """manage.py in a process of its own, on the test settings (the same servers as this run)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "philia.test_settings", "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_evaluation_has_150_cases_and_15_of_each_kind_the_issue_names():
    cases = load_cases(catalogue=CATALOGUE)

    by_kind = {kind: sum(case.kind == kind for case in cases) for kind in KINDS}
    assert len(cases) >= 150
    assert all(by_kind[kind] >= 15 for kind in ISSUE_KINDS), by_kind
    assert len(PIECES) == 40


def test_a_case_file_is_read_into_cases(tmp_path):
    path = cases_file(
        tmp_path,
        """
[[case]]
id = "swap"
kind = "several"
why = "Swaps a hold."
given.holds = ["vnt-nike-wb-103"]
given.orders = [{ skus = ["VNT-STUS-TEE-120"], status = "paid" }]
given.turns = ["hi"]
messages = ["cancel the windbreaker", "hold the adidas"]
expect.held = ["VNT-ADID-FB-105"]
expect.released = ["VNT-NIKE-WB-103"]
expect.offer = { sku = "VNT-ADID-FB-105", amount = 30.40, status = "countered" }
expect.said = ["adidas"]
""",
    )

    [case] = read_case_file(path, catalogue=CATALOGUE)

    assert (case.id, case.kind, case.why, case.source) == ("swap", "several", "Swaps a hold.", "cases.toml")
    assert case.messages == ("cancel the windbreaker", "hold the adidas")
    assert case.given.holds == ("VNT-NIKE-WB-103",)
    assert [(order.skus, order.status) for order in case.given.orders] == [(("VNT-STUS-TEE-120",), "paid")]
    assert case.given.turns == ("hi",)
    assert (case.expect.held, case.expect.released) == (("VNT-ADID-FB-105",), ("VNT-NIKE-WB-103",))
    assert (case.expect.offer.sku, str(case.expect.offer.amount), case.expect.offer.status) == (
        "VNT-ADID-FB-105",
        "30.4",
        "countered",
    )
    assert [pattern.pattern for pattern in case.expect.said] == ["adidas"]
    assert case.expect.listed_only is None and case.expect.unchanged is False


HOLD = """
[[case]]
id = "hold"
kind = "sku"
messages = ["hold VNT-NIKE-WB-103 pls"]
"""


@pytest.mark.parametrize(
    ("expectation", "failure"),
    [
        ('expect.held = ["VNT-CARH-DET-102"]', "holds VNT-NIKE-WB-103; expected exactly VNT-CARH-DET-102"),
        ('expect.not_held = ["VNT-NIKE-WB-103"]', "holds VNT-NIKE-WB-103, which it must not"),
        ("expect.unchanged = true", "should change nothing, but pieces changed: VNT-NIKE-WB-103"),
        ('expect.ordered = ["VNT-NIKE-WB-103"]', "ordered nothing; expected VNT-NIKE-WB-103"),
        ('expect.listed = ["VNT-CARH-DET-102"]', "does not list VNT-CARH-DET-102"),
        ('expect.listed_only = ["VNT-CARH-DET-102"]', "lists VNT-NIKE-WB-103, which do not fit"),
        ('expect.not_listed = ["VNT-NIKE-WB-103"]', "lists VNT-NIKE-WB-103, which it must not"),
        ('expect.said = ["sold out"]', "does not say /sold out/"),
        ('expect.not_said = ["on hold"]', "says /on hold/, which it must not"),
        ("expect.silent = true", "should stay silent"),
        ("expect.opted_out = true", "the customer is not opted out"),
        (
            'expect.offer = { sku = "VNT-NIKE-WB-103", amount = 40 }',
            "no offer of $40 on VNT-NIKE-WB-103 was recorded (offers: none)",
        ),
    ],
)
def test_an_expectation_that_is_false_fails_the_case(db, tmp_path, expectation, failure):
    [outcome] = run(tmp_path, HOLD + expectation)

    assert not outcome.passed
    assert any(each.startswith(failure) for each in outcome.failures), outcome.failures


def test_expectations_that_are_true_pass_the_case(db, tmp_path):
    [outcome] = run(
        tmp_path,
        HOLD
        + """
expect.held = ["VNT-NIKE-WB-103"]
expect.held_includes = ["VNT-NIKE-WB-103"]
expect.not_held = ["VNT-CARH-DET-102"]
expect.ordered = []
expect.listed = ["VNT-NIKE-WB-103"]
expect.listed_first = "VNT-NIKE-WB-103"
expect.listed_only = ["VNT-NIKE-WB-103"]
expect.not_listed = ["VNT-CARH-DET-102"]
expect.said = ["on hold", "nike windbreaker"]
expect.not_said = ["sold"]
expect.opted_out = false
expect.handed_off = false
""",
    )

    assert outcome.failures == ()
    assert outcome.passed
    assert outcome.happened == "holds: VNT-NIKE-WB-103"


def test_the_given_state_and_earlier_turns_are_set_up_before_the_judged_message(db, tmp_path):
    [released, offered, question] = run(
        tmp_path,
        """
[[case]]
id = "release"
kind = "sku"
given.holds = ["VNT-NIKE-WB-103", "VNT-STUS-TEE-120"]
given.held_by_others = ["VNT-CARH-DET-102"]
given.sold = ["VNT-HARL-TEE-118"]
given.hidden = ["VNT-BURB-TRN-106"]
messages = ["cancel the hold on VNT-NIKE-WB-103"]
expect.released = ["VNT-NIKE-WB-103"]
expect.held = ["VNT-STUS-TEE-120"]

[[case]]
id = "offer"
kind = "condition"
given.turns = ["VNT-CARH-DET-102"]
messages = ["would you take $100 for VNT-CARH-DET-102?"]
expect.offer = { sku = "VNT-CARH-DET-102", amount = 100, status = "accepted" }

[[case]]
id = "order"
kind = "intent"
given.orders = [{ skus = ["VNT-LEVI-TRK-101"], status = "shipped" }]
messages = ["where is my order?"]
expect.unchanged = true
expect.said = ["shipped"]
""",
    )

    assert (released.failures, offered.failures, question.failures) == ((), (), ())


def test_each_case_is_rolled_back_so_cases_are_independent(db, tmp_path):
    outcomes = run(
        tmp_path,
        HOLD
        + 'expect.held = ["VNT-NIKE-WB-103"]'
        + """
[[case]]
id = "after"
kind = "intent"
messages = ["what's on hold for me?"]
expect.held = []
""",
    )

    assert [outcome.failures for outcome in outcomes] == [(), ()]
    assert Item.objects.exclude(status=Item.Status.AVAILABLE).count() == 0
    assert (Customer.objects.count(), Message.objects.count(), Order.objects.count(), Offer.objects.count()) == (
        0,
        0,
        0,
        0,
    )


# transaction=True: the runner's own transaction is the outermost one, as in `manage.py assistant_eval`, so a
# hold's timers, the reply's send and the owner's notice of an order are on_commit hooks the rollback must discard.
@pytest.mark.django_db(transaction=True)
def test_a_case_that_holds_orders_and_replies_sends_nothing_to_the_worker(tmp_path):
    outcomes = run(
        tmp_path,
        """
[[case]]
id = "hold"
kind = "sku"
given.turns = ["hold VNT-CARH-DET-102"]
messages = ["hold VNT-NIKE-WB-103 pls"]
expect.held = ["VNT-CARH-DET-102", "VNT-NIKE-WB-103"]

[[case]]
id = "order"
kind = "sku"
given.holds = ["VNT-NIKE-WB-103"]
messages = ["buy"]
expect.ordered = ["VNT-NIKE-WB-103"]
""",
    )

    assert [outcome.failures for outcome in outcomes] == [(), ()]
    assert [outcome.held_back_jobs for outcome in outcomes] == [(), ()]
    assert (Message.objects.count(), Order.objects.count()) == (0, 0)


def test_while_cases_run_a_job_asked_for_at_once_is_kept_from_the_broker():
    with jobs_held_back() as guard:
        sent = jobs.enqueue("send_message", 1, "nobody", unless_sent="the evaluation keeps it")

    assert sent is False
    assert guard.names == ["send_message"]


def test_accuracy_is_reported_per_kind_and_overall(db, tmp_path):
    outcomes = run(
        tmp_path,
        HOLD
        + 'expect.held = ["VNT-NIKE-WB-103"]'
        + """
[[case]]
id = "wrong"
kind = "sku"
messages = ["VNT-CARH-DET-102"]
expect.said = ["sold"]

[[case]]
id = "hi"
kind = "smalltalk"
messages = ["hi"]
expect.unchanged = true
""",
    )

    assert accuracy_table(outcomes).splitlines() == [
        "sku          1/2     50.0 %",
        "smalltalk    1/1    100.0 %",
        "---------------------------",
        "overall      2/3     66.7 %",
    ]
    assert failing_ids(outcomes) == "sku: wrong"
    assert round(overall(outcomes).accuracy, 1) == 66.7


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[case]\n", "cases.toml: not valid TOML"),
        ("[[item]]\nsku = 'x'\n", "cases.toml: unknown table 'item'"),
        ('[[case]]\nid = "a"\nkind = "sku"\nexpect.held = []\n', "cases.toml: case 'a': 'messages' is missing"),
        (
            '[[case]]\nid = "a"\nkind = "vibes"\nmessages = ["hi"]\nexpect.held = []\n',
            "cases.toml: case 'a'.kind must be one of reference, intent,",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect.hled = []\n',
            "cases.toml: case 'a'.expect: unknown field 'hled'",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect.held = ["VNT-NOPE-1"]\n',
            "cases.toml: case 'a': VNT-NOPE-1 is not in the evaluation's catalogue",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect.said = ["(unclosed"]\n',
            "cases.toml: case 'a'.expect.said: '(unclosed' is not a regular expression",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect = {}\n',
            "cases.toml: case 'a': 'expect' judges nothing",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = []\nexpect.unchanged = true\n',
            "cases.toml: case 'a'.messages must be a text or a non-empty list of texts",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect.unchanged = "yes"\n',
            "cases.toml: case 'a'.expect.unchanged must be true or false, not 'yes'",
        ),
        (
            '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\nexpect.offer = { sku = "VNT-NIKE-WB-103" }\n',
            "cases.toml: case 'a'.expect.offer: 'amount' is missing",
        ),
    ],
)
def test_bad_case_data_is_a_clear_error_naming_the_file_and_the_case(tmp_path, text, error):
    with pytest.raises(CaseError) as raised:
        read_case_file(cases_file(tmp_path, text), catalogue=CATALOGUE)

    assert str(raised.value).startswith(error), str(raised.value)
    assert "\n" not in str(raised.value)


def test_two_cases_with_one_id_are_refused(tmp_path):
    case = '[[case]]\nid = "same"\nkind = "sku"\nmessages = ["hi"]\nexpect.unchanged = true\n'
    cases_file(tmp_path, case, name="a.toml")
    cases_file(tmp_path, case, name="b.toml")

    with pytest.raises(CaseError, match=r"^b.toml: case 'same' has the same id as one in a.toml$"):
        load_cases([tmp_path], catalogue=CATALOGUE)


def test_the_command_refuses_an_unknown_kind_and_a_bad_case_file_before_making_any_database(tmp_path):
    bad = cases_file(tmp_path, '[[case]]\nid = "a"\nkind = "sku"\nmessages = ["hi"]\n')

    with pytest.raises(CommandError, match=r"^unknown --kind 'vibes'; the kinds are: reference, intent, "):
        call_command("assistant_eval", "--kind", "vibes")
    with pytest.raises(CommandError, match=r"^cases.toml: case 'a': 'expect' is missing$"):
        call_command("assistant_eval", "--cases", str(bad))
    with pytest.raises(CommandError, match=r"no such case file or folder$"):
        call_command("assistant_eval", "--cases", str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("arguments", "code", "stderr"),
    [
        (["--kind", "vibes"], 1, "CommandError: unknown --kind 'vibes'; the kinds are: reference, intent, follow_up,"),
        (["--cases", "{bad}"], 1, "CommandError: bad.toml: not valid TOML (Expected"),
        (["--min-accuracy", "101"], 2, "manage.py assistant_eval: error: argument --min-accuracy: must be a percent"),
    ],
)
def test_wrong_use_of_the_command_exits_non_zero_with_one_line(tmp_path, arguments, code, stderr):
    bad = cases_file(tmp_path, "[[case]\n", name="bad.toml")

    result = manage("assistant_eval", *[argument.format(bad=bad) for argument in arguments])

    assert result.returncode == code
    assert result.stderr.startswith(stderr), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.django_db
def test_the_command_runs_the_cases_on_a_scratch_database_and_drops_it(tmp_path):
    cases = cases_file(
        tmp_path,
        HOLD
        + 'expect.held = ["VNT-NIKE-WB-103"]'
        + '\n[[case]]\nid = "wrong"\nkind = "sku"\nmessages = ["VNT-CARH-DET-102"]\nexpect.said = ["sold"]\n',
    )

    result = manage("assistant_eval", "--cases", str(cases), "--verbose", "--min-accuracy", "60")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == "CommandError: overall accuracy 50.0 % is below --min-accuracy 60 %\n"
    assert "FAILED wrong (sku, cases.toml)\n  customer: 'VNT-CARH-DET-102'\n  wrong: does not say /sold/\n" in (
        result.stdout
    )
    assert "sku        1/2     50.0 %\n" in result.stdout and "overall    1/2     50.0 %" in result.stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ["%assistant_eval%"])
        assert cursor.fetchall() == []
