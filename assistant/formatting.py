"""How the assistant writes items, prices, times and orders: plain text that fits a TikTok DM."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

MAX_REPLY_CHARS = 6000
SEPARATOR = " · "

CONDITION_WORDS = {
    "new_with_tags": "new with tags",
    "excellent": "excellent",
    "very_good": "very good",
    "good": "good",
    "fair": "fair (flaws noted)",
}
MEASUREMENT_NAMES = {
    "pit_to_pit": "pit to pit",
    "length": "length",
    "sleeve": "sleeve",
    "shoulder": "shoulder",
    "waist": "waist",
    "inseam": "inseam",
    "rise": "rise",
    "leg_opening": "leg opening",
    "hips": "hips",
}


def money(amount: Decimal | str | float) -> str:
    """$45 for whole dollars, $45.50 otherwise."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


def when(moment: datetime | str) -> str:
    """A moment in the shop's time zone: "Sun 22 Nov, 18:30 UTC"."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = timezone.localtime(moment)
    return f"{local:%a %d %b, %H:%M} {local.tzname()}"


def item_line(item: dict[str, Any]) -> str:
    """VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45"""
    parts = [item["sku"], item["name"]]
    if item.get("size"):
        parts.append(item["size"])
    parts.append(money(item["price"]))
    line = SEPARATOR.join(parts)
    status = item.get("status")
    if status == "held_by_you":
        line += " (held for you)"
    elif status == "held":
        line += " (on hold)"
    elif status == "bought_by_you":
        line += " (in your order)"
    elif status == "sold":
        line += " (sold)"
    return line


def item_lines(items: list[dict[str, Any]], *, numbered: bool = False) -> str:
    if numbered and len(items) > 1:
        return "\n".join(f"{number}. {item_line(item)}" for number, item in enumerate(items, start=1))
    return "\n".join(item_line(item) for item in items)


def measurements_text(measurements: dict[str, Any]) -> str:
    parts = []
    for key, value in measurements.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f'{MEASUREMENT_NAMES.get(key, key.replace("_", " "))} {value:g}"')
    return ", ".join(parts)


def item_details(item: dict[str, Any]) -> str:
    """The full card of one item: line, facts, measurements, condition, a short description."""
    lines = [item_line(item)]
    facts = [fact for fact in (item.get("brand"), item.get("era"), item.get("colour")) if fact]
    condition = CONDITION_WORDS.get(item.get("condition", ""), item.get("condition", ""))
    lines.append(", ".join(facts) + (". " if facts else "") + f"Condition: {condition}.")
    if item.get("measurements") and measurements_text(item["measurements"]):
        lines.append("Measurements (flat, inches): " + measurements_text(item["measurements"]) + ".")
    description = (item.get("description") or "").strip()
    if description:
        lines.append(shorten(description, 320))
    return "\n".join(lines)


def shorten(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def fit_reply(text: str) -> str:
    """Plain text within TikTok's 6000 characters, cut at a line break when it has to be cut."""
    text = re.sub(r"\n{3,}", "\n\n", text.strip())
    if len(text) <= MAX_REPLY_CHARS:
        return text
    cut = text[: MAX_REPLY_CHARS - 2].rsplit("\n", 1)[0]
    return cut + "\n…"
