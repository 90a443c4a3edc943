"""The evaluation's own stock (catalogue.toml): read, checked, and put on sale in the database the cases run in."""

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from assistant.evaluation.cases import CaseError, read_toml
from inventory.models import Item
from inventory.services import add_items

CATALOGUE = Path(__file__).with_name("catalogue.toml")
MONEY_FIELDS = ("price", "offer_floor")
REQUIRED_FIELDS = ("sku", "name", "category", "price")


def read_catalogue(path: Path = CATALOGUE) -> list[dict[str, Any]]:
    """The pieces of a catalogue file, as `inventory.services.add_items` takes them (prices as Decimal)."""
    data = read_toml(path, called=str(path))
    items = data.get("item")
    if not isinstance(items, list) or not items:
        raise CaseError(f"{path.name}: no [[item]] tables")
    return [_piece(fields, where=f"{path.name}: item #{number}") for number, fields in enumerate(items, 1)]


def _piece(fields: dict[str, Any], *, where: str) -> dict[str, Any]:
    missing = [name for name in REQUIRED_FIELDS if name not in fields]
    if missing:
        raise CaseError(f"{where}: {missing[0]!r} is missing")
    unknown = sorted(set(fields) - {field.name for field in Item._meta.concrete_fields})
    if unknown:
        raise CaseError(f"{where}: {unknown[0]!r} is not a field of an item")
    piece = dict(fields)
    for name in MONEY_FIELDS:
        if name in piece:
            try:
                piece[name] = Decimal(str(piece[name]))
            except InvalidOperation:
                raise CaseError(f"{where}: {name} {piece[name]!r} is not an amount") from None
    return piece


def catalogue_skus(pieces: list[dict[str, Any]]) -> set[str]:
    return {str(piece["sku"]).upper() for piece in pieces}


def load_catalogue(pieces: list[dict[str, Any]]) -> list[Item]:
    """Put the catalogue's pieces on sale (all or none). Raises `CaseError` for a piece the shop would refuse, or
    when the stock is not empty: the cases are judged on this stock alone."""
    if Item.objects.exists():
        raise CaseError("the evaluation runs on its own catalogue alone, and the stock is not empty")
    try:
        added = add_items(items=pieces)
    except ValidationError as error:
        raise CaseError(f"the catalogue has a piece the shop refuses: {'; '.join(error.messages)}") from None
    if len(added) != len(pieces):
        raise CaseError("the catalogue names a SKU twice")
    return added
