"""Issue 25's bar: the offline assistant gets at least 95 % of its own evaluation right (assistant/evaluation/cases,
every case judged against the database and the reply; docs/assistant-evaluation.md). The cases say what a good
shop assistant would do, not what the code does: when this fails, the assistant is what needs the work."""

from assistant.evaluation.cases import load_cases
from assistant.evaluation.catalogue import catalogue_skus, load_catalogue, read_catalogue
from assistant.evaluation.report import accuracy_table, failing_ids, overall
from assistant.evaluation.runner import run_cases

REQUIRED_ACCURACY = 95.0


def test_the_offline_assistant_gets_95_percent_of_its_evaluation_right(db):
    pieces = read_catalogue()
    cases = load_cases(catalogue=catalogue_skus(pieces))
    load_catalogue(pieces)

    outcomes = run_cases(cases)

    score = overall(outcomes)
    assert score.accuracy >= REQUIRED_ACCURACY, (
        f"{score.accuracy:.1f} % of the evaluation right, {REQUIRED_ACCURACY:g} % required "
        f"(manage.py assistant_eval --verbose shows each failing case).\n"
        f"{accuracy_table(outcomes)}\n\nFailing cases:\n{failing_ids(outcomes)}"
    )
