"""Claims while a stream is live: "mine", "sold", "claim", "me!", "I'll take it", a SKU of the stream or the lot
number said on screen. A claim without a SKU or lot is for the piece on screen when the DM was written (TikTok's
time), however late it arrives; it is recorded as a drop claim of that piece and answered when the piece is
settled (the winner: "it's yours"; the others: their place in line). With no stream live these are ordinary
messages."""

import re

from assistant import language, wording
from assistant.offline.context import Turn
from assistant.offline.holds import hold_reply
from assistant.results import Facts

# What a viewer writes to claim the piece on screen, the whole message (beyond the phrases of `wants_hold`).
CLAIM_WORDS = re.compile(
    r"^\W*(?:sold|me+|claim(?:ed)?|mine+|dibs|i'?ll take (?:it|this|that|this one))\W*(?:pls|please)?\W*$"
)
# "lot 3", "#3", "3!!": the lot number said on screen.
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
