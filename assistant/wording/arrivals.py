"""New in your size: consent and the message itself."""

NO_SUGGESTIONS_HINT = 'Say "no suggestions" to stop these.'
# Asked once, after the customer said a size they wear.
ASK_ABOUT_ARRIVALS = 'Want me to message you when new pieces in your size come in? Just say "dm me new arrivals".'


def arrivals_on(size_known: bool) -> str:
    text = "Done! I'll message you when new pieces in your size come in, at most once a day. "
    if not size_known:
        text += 'What size do you wear? Tell me ("I\'m an M") so I know what fits. '
    return text + NO_SUGGESTIONS_HINT


ARRIVALS_OFF = "Got it, no more suggestions from me. Just ask whenever you want to see what's new!"


def new_in_your_size(lines: str) -> str:
    return "New in your size:\n" + lines + "\n" + NO_SUGGESTIONS_HINT
