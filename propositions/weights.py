"""The scorer's weights in use: the newest adopted re-fit's (`ModelPerformance`, kind `refit`), else the hand-set
`WEIGHTS`. Kept per process for `TTL_SECONDS`, so a reply that proposes pieces adds no query; a re-fit adopted at
night is in use everywhere within that time."""

import time
from collections.abc import Mapping
from datetime import datetime

from propositions.models import ModelPerformance, PerformanceKind
from propositions.scoring import WEIGHTS

TTL_SECONDS = 300.0
_cached: tuple[float, dict[str, float]] | None = None


def current_weights() -> dict[str, float]:
    """The weights in use (one query at most every `TTL_SECONDS` per process)."""
    global _cached
    clock = time.monotonic()
    if _cached is not None and _cached[0] > clock:
        return _cached[1]
    stored = _adopted().values_list("weights", flat=True).first()
    weights = valid(stored) or dict(WEIGHTS)
    _cached = (clock + TTL_SECONDS, weights)
    return weights


def forget_weights() -> None:
    """The next `current_weights` reads them again (a re-fit just adopted, or a test's own database)."""
    global _cached
    _cached = None


def use_weights(weights: Mapping[str, float]) -> None:
    """Keep `weights` as the ones in use in this process for `TTL_SECONDS` (a re-fit just adopted them; a test)."""
    global _cached
    _cached = (time.monotonic() + TTL_SECONDS, dict(weights))


def valid(weights: object) -> dict[str, float] | None:
    """`weights` when they name every feature with a number of 0 or more, else None."""
    if not isinstance(weights, Mapping) or set(weights) != set(WEIGHTS):
        return None
    if not all(isinstance(value, int | float) and value >= 0 for value in weights.values()):
        return None
    return {name: float(weights[name]) for name in WEIGHTS}


def weights_history() -> list[tuple[datetime, dict[str, float]]]:
    """Each adopted set of weights with when it was adopted, oldest first (the hand-set ones are before any)."""
    rows = _adopted().order_by("created_at", "id").values_list("created_at", "weights")
    return [(at, found) for at, weights in rows if (found := valid(weights)) is not None]


def weights_at(history: list[tuple[datetime, dict[str, float]]], at: datetime) -> dict[str, float]:
    """The weights in use at `at`, from `weights_history`."""
    in_use = dict(WEIGHTS)
    for adopted_at, weights in history:
        if adopted_at > at:
            break
        in_use = weights
    return in_use


def _adopted():
    return ModelPerformance.objects.filter(kind=PerformanceKind.REFIT, adopted=True).order_by("-created_at", "-id")
