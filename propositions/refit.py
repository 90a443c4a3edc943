"""The nightly re-fit of the scorer's weights from the propositions' outcomes (issue 21, item 5).

A logistic regression — was a proposition held or bought? — over the six feature values, fitted on every
proposition made before the last `HELD_OUT_DAYS` days, by iteratively reweighted least squares (Newton's method)
with numpy: seven numbers from a few thousand rows take milliseconds, where scikit-learn would bring SciPy and some
60 MB into the shop for the same seven numbers. The coefficients become scorer weights (a negative one counts as 0,
then each gets `FLOOR` and they are scaled to add up to 1, as the hand-set ones do), and both sets are replayed on the
held-out days (`evaluation.replay_cases`, precision@3). The fitted weights are adopted only when they do better;
either way a `ModelPerformance` row (kind `refit`) says what was tried and why it was or was not adopted. With fewer
than `MIN_SHOWN` propositions or `MIN_POSITIVES` held or bought among them, nothing is fitted.

A proposition stores each feature's contribution (value × the weight in use then), so its values are read back by
dividing by the weights in use when it was made (`weights.weights_history`). "New in your size" propositions are left
out: they are scored against no wanted piece, with the hand-set weights.
"""

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from propositions.evaluation import HELD_OUT_DAYS, precision_at_3, replay_cases, weekly_figures
from propositions.models import ModelPerformance, PerformanceKind, Proposition, PropositionOutcome, PropositionReason
from propositions.scoring import FEATURES
from propositions.weights import current_weights, forget_weights, use_weights, weights_at, weights_history

# Below these, the outcomes say too little to beat hand-set weights: nothing is fitted (docs/propositions.md).
MIN_SHOWN = 200
MIN_POSITIVES = 20
# L2 penalty on the coefficients (not the intercept): keeps the fit finite when a feature separates the outcomes.
RIDGE = 1.0
# Every feature keeps at least this much weight (before scaling), so its value can be read back from `features`.
FLOOR = 0.01
POSITIVE = (PropositionOutcome.HELD, PropositionOutcome.BOUGHT)


def refit(*, now: datetime | None = None) -> ModelPerformance:
    """Bring this week's figures up to date, fit the weights, adopt them when they beat the current ones on the
    held-out days, and record the attempt (a `ModelPerformance` row, returned)."""
    now = now or timezone.now()
    record_week(now=now)
    forget_weights()
    current = current_weights()
    values, outcomes = training_data(before=now - timedelta(days=HELD_OUT_DAYS))
    positives = int(outcomes.sum())
    row = ModelPerformance(
        kind=PerformanceKind.REFIT, week=monday(now), current_weights=current, sample_size=len(outcomes),
        positives=positives, created_at=now,
    )  # fmt: skip
    if len(outcomes) < MIN_SHOWN or positives < MIN_POSITIVES:
        row.note = (
            f"Too little data: {len(outcomes)} propositions before the last {HELD_OUT_DAYS} days, {positives} held or "
            f"bought (needs {MIN_SHOWN} and {MIN_POSITIVES}). Current weights kept."
        )
        row.save()
        return row
    tried = to_weights(fit_logistic(values, outcomes))
    if tried is None:
        row.note = "No feature made a hold or a purchase more likely. Current weights kept."
        row.save()
        return row
    cases = replay_cases(now=now)
    row.weights, row.held_out = tried, len(cases)
    row.precision, row.current_precision = precision_at_3(cases, tried), precision_at_3(cases, current)
    row.adopted = row.precision > row.current_precision
    verdict = "adopted" if row.adopted else "current weights kept"
    row.note = f"precision@3 {row.precision:.3f} against {row.current_precision:.3f} on {len(cases)} asks: {verdict}."
    row.save()
    if row.adopted:
        use_weights(tried)
    return row


def training_data(*, before: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Each proposition made before `before` (but "new in your size"): its feature values and 1 when it was held or
    bought, else 0."""
    history = weights_history()
    rows = (
        Proposition.objects.filter(created_at__lt=before)
        .exclude(reason=PropositionReason.NEW_ARRIVAL)
        .values_list("features", "outcome", "created_at")
    )
    values, outcomes = [], []
    for features, outcome, at in rows.iterator(chunk_size=2000):
        weights = weights_at(history, at)
        values.append([_value(features, name, weights[name]) for name in FEATURES])
        outcomes.append(1.0 if outcome in POSITIVE else 0.0)
    return np.array(values, dtype=float).reshape(-1, len(FEATURES)), np.array(outcomes, dtype=float)


def _value(features: object, name: str, weight: float) -> float:
    contribution = features.get(name, 0.0) if isinstance(features, dict) else 0.0
    if not isinstance(contribution, int | float) or weight <= 0:
        return 0.0
    return min(1.0, max(0.0, contribution / weight))


def fit_logistic(values: np.ndarray, outcomes: np.ndarray, *, iterations: int = 50) -> np.ndarray:
    """The coefficients (intercept left out) of a ridge-penalised logistic regression, by Newton's method."""
    design = np.hstack([np.ones((len(values), 1)), values])
    penalty = RIDGE * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        predicted = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (outcomes - predicted) - penalty @ beta
        hessian = (design.T * (predicted * (1 - predicted))) @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta[1:]


def to_weights(coefficients: np.ndarray) -> dict[str, float] | None:
    """Scorer weights from the coefficients: negatives as 0, each plus `FLOOR`, adding up to 1; None when no
    coefficient is positive."""
    positive = np.clip(coefficients, 0.0, None)
    if positive.sum() <= 0:
        return None
    shares = positive / positive.sum() + FLOOR
    shares /= shares.sum()
    return {name: round(float(share), 4) for name, share in zip(FEATURES, shares, strict=True)}


def monday(now: datetime):
    day = timezone.localtime(now).date()
    return day - timedelta(days=day.weekday())


def record_week(*, now: datetime) -> list[ModelPerformance]:
    """This week's figures per reason (since Monday, in TIME_ZONE) as `week` rows: one query, one upsert a reason."""
    start = monday(now)
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    rows = []
    for figures in weekly_figures(now=now, since=since):
        row, _ = ModelPerformance.objects.update_or_create(
            kind=PerformanceKind.WEEK, week=start, reason=figures.reason,
            defaults={"shown": figures.shown, "asked": figures.asked, "held": figures.held,
                      "bought": figures.bought, "rate": figures.rate},
        )  # fmt: skip
        rows.append(row)
    return rows
