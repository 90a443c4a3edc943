"""The evaluation's results in words: accuracy per kind and overall, and what went wrong in a failing case."""

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.evaluation.cases import KINDS
from assistant.evaluation.runner import Outcome


@dataclass(frozen=True)
class Score:
    kind: str
    passed: int
    total: int

    @property
    def accuracy(self) -> float:
        """Percent of cases passed (100 for no cases: nothing failed)."""
        return 100.0 * self.passed / self.total if self.total else 100.0


def scores(outcomes: Sequence[Outcome]) -> list[Score]:
    """One score per kind that has cases, in the order of `KINDS`."""
    kinds = [kind for kind in KINDS if any(outcome.case.kind == kind for outcome in outcomes)]
    return [
        Score(
            kind,
            passed=sum(outcome.passed for outcome in outcomes if outcome.case.kind == kind),
            total=sum(outcome.case.kind == kind for outcome in outcomes),
        )
        for kind in kinds
    ]


def overall(outcomes: Sequence[Outcome]) -> Score:
    return Score("overall", passed=sum(outcome.passed for outcome in outcomes), total=len(outcomes))


def accuracy_table(outcomes: Sequence[Outcome]) -> str:
    """ "reference      19/25   76.0 %" per kind, then the overall line."""
    rows = [*scores(outcomes), overall(outcomes)]
    width = max(len(score.kind) for score in rows)
    lines = [f"{score.kind:<{width}}  {score.passed:>3}/{score.total:<3}  {score.accuracy:5.1f} %" for score in rows]
    lines.insert(len(lines) - 1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def failing_ids(outcomes: Sequence[Outcome]) -> str:
    """The failing cases' ids, one line per kind ("" when every case passed)."""
    lines = []
    for kind in KINDS:
        failed = [outcome.case.id for outcome in outcomes if outcome.case.kind == kind and not outcome.passed]
        if failed:
            lines.append(f"{kind}: {', '.join(failed)}")
    return "\n".join(lines)


def failure_details(outcome: Outcome) -> str:
    """A failing case in full: its messages, what it expected, what happened, and the reply."""
    case = outcome.case
    lines = [f"FAILED {case.id} ({case.kind}, {case.source})"]
    if case.given.turns:
        lines += [f"  earlier turn: {turn!r}" for turn in case.given.turns]
    lines += [f"  customer: {message!r}" for message in case.messages]
    if case.why:
        lines.append(f"  expected: {case.why}")
    lines += [f"  wrong: {failure}" for failure in outcome.failures]
    if outcome.happened:
        lines.append(f"  after: {outcome.happened}")
    reply = outcome.reply if outcome.reply is not None else "(silent)"
    lines.append("  reply: " + reply.replace("\n", "\n         "))
    return "\n".join(lines)


def held_back_note(outcomes: Sequence[Outcome]) -> str:
    """Which cases asked for a job at once (kept from the broker), or "" when none did."""
    asked = [
        f"{outcome.case.id} ({', '.join(outcome.held_back_jobs)})" for outcome in outcomes if outcome.held_back_jobs
    ]
    return "Jobs kept from the worker: " + "; ".join(asked) if asked else ""
