"""New in your size: "let me know when new pieces in my size come in" (consent, with its time) and "no
suggestions" (withdrawn). The messages themselves are `assistant.arrivals`."""

from assistant import wording
from assistant.language.sizes import wants_new_arrivals, wants_no_suggestions
from assistant.offline.context import Turn


def asks_about_new_arrivals(turn: Turn) -> bool:
    return wants_new_arrivals(turn.full_text) or wants_no_suggestions(turn.full_text)


def new_arrivals(turn: Turn) -> str:
    if wants_no_suggestions(turn.full_text):
        turn.toolbox.hear_of_new_arrivals(wanted=False)
        return wording.ARRIVALS_OFF
    return wording.arrivals_on(turn.toolbox.hear_of_new_arrivals(wanted=True))
