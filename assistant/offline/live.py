"""Claims while a stream is live: "mine", "sold", "claim", "me!", "I'll take it", a SKU of the stream or the lot
number said on screen. A claim without a SKU or lot is for the piece on screen when the DM was written (TikTok's
time), however late it arrives; it is recorded as a drop claim of that piece and answered when the piece is
settled (the winner: "it's yours"; the others: their place in line). With no stream live these are ordinary
messages. Questions with no piece named ("size?", "how much?", "pics?") are about the piece on screen when they
were written, answered as the details of that piece."""

import re

from assistant import language, wording
from assistant.offline.context import Turn
from assistant.offline.details import describe_one, photo_text
from assistant.offline.holds import hold_reply
from assistant.results import Facts

# What a viewer writes to claim the piece on screen, the whole message (beyond the phrases of `wants_hold`).
CLAIM_WORDS = re.compile(
    r"^\W*(?:sold|me+|claim(?:ed)?|mine+|dibs|i'?ll take (?:it|this|that|this one))\W*(?:pls|please)?\W*$"
)
# "lot 3", "#3", "3!!": the lot number said on screen.
# "size?", "measurements pls", "how much is it?", "price?", "pics?": a question naming no piece, the whole message.
ON_SCREEN_QUESTION = re.compile(
    r"^\W*(?:(?:what(?:'?s| is| are)?|how(?:'?s| is)?)\s+(?:the\s+)?(?:\w+\s+)?)?"
    r"(?:size|sizing|fit|measurements?|measures|dimensions|length|pit to pit|how much|price|cost|"
    r"pics?|photos?|pictures?|more (?:pics|photos|pictures))"
    r"(?:\s+(?:is|are|on|of|for)?\s*(?:it|this|that|this one|that one|them))?\W*(?:please|pls)?\W*$"
)
LOT = re.compile(r"^\W*(?:(?:lot|number|no\.?)\s*#?\s*|#\s*)?(\d{1,4})\W*(?:pls|please|mine|for me)?\W*$")


def _lot(turn: Turn) -> int | None:
    match = LOT.match(turn.text)
    return int(match.group(1)) if match else None


def _named_sku(turn: Turn) -> str | None:
    """The one SKU a message names and says nothing else about ("VNT-LIVE-003!!"), or claims ("mine VNT-LIVE-003")."""
    items = turn.mentioned.items
    if len(items) != 1 or turn.mentioned.unknown_skus:
        return None
    if language.asks_nothing(turn.text) or language.wants_hold(turn.text):
        return str(items[0]["sku"])
    return None


def claims_on_a_live(turn: Turn) -> bool:
    """Is a stream live and the message a claim (claim words, a SKU of the stream alone, a lot number)?"""
    return piece_claimed(turn) is not None


def claim(turn: Turn) -> str | None:
    """Claim the piece meant: recorded (answered when settled: ""), or told at once why not (won by someone
    else: their place in its line; sold; already theirs; a lot not on screen yet)."""
    meant = piece_claimed(turn)
    if meant is None:
        return None
    facts, state = meant
    if state == "lined_up":
        lot = _lot(turn)
        return wording.live_lot_not_up(lot) if lot is not None else None
    return hold_reply(turn, turn.toolbox.hold_item(sku=facts["sku"]), facts)


def piece_claimed(turn: Turn) -> tuple[Facts, str] | None:
    """The piece the message claims while a stream is live, and its state in the line-up; None when the message
    is no claim, no stream is live, or it names a piece not in the stream (then it is answered as always)."""
    text = turn.text
    sku = _named_sku(turn) if turn.names_skus else None
    if sku is not None:
        return turn.toolbox.live_piece(sku=sku)
    if turn.names_skus:
        return None
    lot = _lot(turn)
    if lot is not None:
        return turn.toolbox.live_piece(lot=lot)
    if CLAIM_WORDS.match(text) or (language.wants_hold(text) and language.refers_to_it(text)) or _bare_hold(text):
        return turn.toolbox.live_piece()
    return None


def _bare_hold(text: str) -> bool:
    """ "mine!!", "claim pls", "i want it": a hold with nothing described, so the piece on screen."""
    return language.wants_hold(text) and len(re.findall(r"[a-z]+", text)) <= 4 and not language.SEARCH_CUE.search(text)


def asks_about_the_piece_on_screen(turn: Turn) -> bool:
    """Is a stream live and the message a question naming no piece ("size?", "how much?", "pics?") written while a
    piece was on screen?"""
    if turn.names_skus or not ON_SCREEN_QUESTION.match(turn.text):
        return False
    meant = turn.toolbox.live_piece()
    return meant is not None and meant[1] == "shown"


def about_the_piece_on_screen(turn: Turn) -> str | None:
    """The details of the piece on screen when the question was written (its photo when asked for pictures), as
    the assistant describes any piece."""
    meant = turn.toolbox.live_piece()
    if meant is None:
        return None
    facts, _ = meant
    if not language.asks_for_photos(turn.text):
        return describe_one(turn, facts)
    text = photo_text(turn, facts)
    return text + wording.available() if facts["status"] == "available" else text
