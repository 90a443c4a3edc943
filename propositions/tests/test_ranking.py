"""One ranking for what the shop proposes and for the evaluation that replays it (`propositions.selectors.best_first`):
best first, the newest first on a tie, nothing under `MIN_CONFIDENCE`."""

from propositions.evaluation import Case, precision_at_3
from propositions.scoring import WEIGHTS
from propositions.selectors import MIN_CONFIDENCE, best_first


def test_the_most_confident_come_first_the_newest_first_on_a_tie_and_none_under_the_floor():
    entries = [
        (0.60, 100.0, 1, "a"),
        (0.80, 50.0, 2, "b"),
        (0.60, 200.0, 3, "c"),  # as confident as "a", newer
        (0.60, 200.0, 4, "d"),  # as "c", a greater id
        (MIN_CONFIDENCE - 0.01, 300.0, 5, "too little in common"),
    ]

    assert best_first(entries) == ["b", "c", "d"]
    assert best_first(entries, limit=5) == ["b", "c", "d", "a"]


def test_the_evaluation_scores_the_pieces_as_the_shop_does_each_contribution_rounded():
    """Two hundred-thousandths of style and of newness add up to 0.0001 unrounded but to nothing in the shop's
    confidence, so the older piece below ties with the three newer ones and the shop proposes those three."""
    same = {"category": 1.0, "size": 1.0, "price": 0.0, "brand": 0.0}
    older = (1, 100.0, {**same, "style": 0.0004, "newness": 0.0008})
    newer = [(pk, 200.0 + pk, {**same, "style": 0.0, "newness": 0.0}) for pk in (2, 3, 4)]
    case = Case(wanted=frozenset({2, 3, 4}), candidates=[older, *newer], newest=[4, 3, 2])

    assert precision_at_3([case], WEIGHTS) == 1.0
