"""What the AI model may ask of each tool: one strict pydantic model per tool.

The model's output is not trusted to follow `strict`: `parse_arguments` checks every call against
its tool's model (no unknown arguments, no bools for numbers, no numbers for strings, finite amounts
in range, short stripped strings, SKUs that look like SKUs) and says what is wrong in words the model
can act on. `strict_parameters` turns a model into the JSON schema OpenAI's strict mode accepts.
A model's docstring is the tool's description the AI model reads; `call` runs the tool.
"""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from assistant.language import parse_search
from assistant.references import find_piece
from assistant.results import Result
from assistant.tools import Toolbox
from inventory.item_query import ItemQuery
from inventory.models import Item

MAX_TEXT = 200
MAX_AMOUNT = 100_000
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{1,63}$"
KINDS = tuple(sorted(Item.Category.values))

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT, pattern=SKU_PATTERN)]
Amount = Annotated[float, Field(gt=0, lt=MAX_AMOUNT, allow_inf_nan=False)]


class Arguments(BaseModel):
    # Nullable arguments default to None: the schema still lists every one as required (strict mode
    # wants that), but a call that leaves one out means the same as null.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def call(self, toolbox: Toolbox) -> Result:
        raise NotImplementedError


class SearchItems(Arguments):
    """Search the shop's items that are on sale. Every argument is optional (null when not asked for).
    Returns up to 5 items with SKU, name, brand, size, price and status."""

    query: Text | None = None
    brand: Text | None = None
    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]  # Item's categories, read at import
    size: Text | None = None
    colour: Text | None = None
    era: Text | None = None
    max_price: Amount | None = None
    min_price: Amount | None = None
    min_pit_to_pit: Amount | None = None

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.search_items(query=self.item_query(), limit=5)

    def item_query(self) -> ItemQuery:
        words = " ".join(value for value in (self.query, self.brand, self.colour, self.era) if value)
        if self.size:
            words += f" size {self.size}"
        updates: dict[str, Any] = {}
        if self.kind:
            updates["categories"] = (self.kind,)
        if self.max_price is not None:
            updates["max_price"] = dollars(self.max_price)
        if self.min_price is not None:
            updates["min_price"] = dollars(self.min_price)
        if self.min_pit_to_pit is not None:
            updates["measurements_min"] = (("pit_to_pit", self.min_pit_to_pit),)
        return replace(parse_search(words), **updates)


class GetItem(Arguments):
    """Everything about one item by SKU: price, size, measurements, condition, status."""

    sku: Sku

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.get_item(sku=self.sku)


class FindPiece(Arguments):
    """Which piece the customer means by a description ("the levi's trucker", "the black tee I'm holding"), read
    against their holds, the pieces last shown and the whole shop, held, sold and hidden pieces too. Returns
    `pieces`, each with its status for this customer (available, held_by_you, held: on hold for someone else,
    sold, bought_by_you, upcoming_drop, hidden: not on sale, only its name), or `candidates` when several fit: ask
    which one. Holds nothing."""

    description: Description

    def call(self, toolbox: Toolbox) -> Result:
        return self.find(toolbox, shown_skus=())

    def find(self, toolbox: Toolbox, *, shown_skus: Sequence[str]) -> Result:
        """`call` with the pieces the customer was shown last (the conversation's, which the tool runner knows)."""
        return find_piece(toolbox, description=self.description, shown_skus=shown_skus)


class SimilarTo(Arguments):
    """Pieces on sale now that could stand in for one the customer cannot have (on hold for someone else, sold, not
    on sale): up to 3, best first, each with a confidence from 0 to 1. Call it when get_item or find_piece says the
    piece asked for is gone, and offer what it returns. Holds nothing."""

    sku: Sku

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.similar_pieces(sku=self.sku)


class HoldItem(Arguments):
    """Hold one item for the customer who is writing (they asked to take, reserve or hold it)."""

    sku: Sku

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.hold_item(sku=self.sku)


class ReleaseHold(Arguments):
    """Release one of this customer's holds, putting the item back on sale."""

    sku: Sku

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.release_hold(sku=self.sku)


class PlaceOrder(Arguments):
    """Turn all of this customer's holds into one order (they asked to buy or pay)."""

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.place_order()


class ClaimPayment(Arguments):
    """The customer says they paid: flag their unpaid orders for the owner to confirm (never marks them paid)."""

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.claim_payment()


class CancelOrder(Arguments):
    """The customer asks to cancel their order: cancel their latest unpaid order (paid ones are refused)."""

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.cancel_order()


class PaymentLink(Arguments):
    """The customer asks for the payment link again: the open link, or a fresh one that arrives in a moment."""

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.payment_link()


class OrderStatus(Arguments):
    """This customer's recent orders with status, total and tracking number."""

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.order_status()


class MakeOffer(Arguments):
    """Make this customer's offer on an item's price; the owner's rules decide it at once (accepted and held at
    that price, countered with the one other price you may quote, or declined). Offering the counter accepts it."""

    sku: Sku
    amount: Amount

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.make_offer(sku=self.sku, amount=dollars(self.amount))


class AcceptCounter(Arguments):
    """The customer says yes to the shop's counter-offer on an item ("ok deal", "yes I'll take it at that"): hold it
    for them at the counter price. Only a counter-offer the shop made to this customer and still open; returns the
    offer decided, like make_offer."""

    sku: Sku

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.accept_counter(sku=self.sku)


class HandOffToOwner(Arguments):
    """The customer wants a person: flag the conversation for the owner and pause the assistant."""

    reason: Text

    def call(self, toolbox: Toolbox) -> Result:
        return toolbox.hand_off_to_owner(reason=self.reason)


TOOLS: dict[str, type[Arguments]] = {
    "search_items": SearchItems,
    "get_item": GetItem,
    "find_piece": FindPiece,
    "similar_pieces": SimilarTo,
    "hold_item": HoldItem,
    "release_hold": ReleaseHold,
    "place_order": PlaceOrder,
    "order_status": OrderStatus,
    "claim_payment": ClaimPayment,
    "cancel_order": CancelOrder,
    "payment_link": PaymentLink,
    "make_offer": MakeOffer,
    "accept_counter": AcceptCounter,
    "hand_off_to_owner": HandOffToOwner,
}


def dollars(amount: float) -> Decimal:
    """An amount from the model as a Decimal: 30 (or 30.0) is $30, 29.5 is $29.5."""
    return Decimal(int(amount)) if amount.is_integer() else Decimal(str(amount))


def parse_arguments(name: str, raw: Any) -> Arguments:
    """The tool call's arguments checked against its model; ValueError says what is wrong."""
    try:
        return TOOLS[name].model_validate_json(raw or "{}")
    except ValidationError as error:
        raise ValueError(problem(error.errors())) from error


def problem(errors: list[ErrorDetails]) -> str:
    """The first thing wrong with the arguments, said as the model is told it."""
    kinds = {error["type"] for error in errors}
    if kinds & {"json_invalid", "json_type"}:
        return "Arguments are not valid JSON."
    if "model_type" in kinds:
        return "Arguments must be a JSON object."
    unexpected = sorted(str(error["loc"][0]) for error in errors if error["type"] == "extra_forbidden")
    if unexpected:
        return f"Unexpected argument(s): {', '.join(unexpected)}."
    error = errors[0]  # pydantic lists the arguments in the model's order
    param, kind = error["loc"][0], error["type"]
    if kind == "missing" or error["input"] is None:
        return f"{param} is required."
    if kind == "string_too_short":
        return f"{param} must not be empty."
    if kind == "literal_error":
        return f"{param} must be one of {', '.join(KINDS)}."
    if kind == "string_pattern_mismatch":
        return f"{param} is not a SKU."
    if kind in ("greater_than", "less_than"):
        return f"{param} is out of range."
    if kind in ("float_type", "finite_number"):
        return f"{param} must be a number."
    return f"{param} must be a string of at most {MAX_TEXT} characters."


# What OpenAI's strict mode accepts besides the type; it refuses maxLength, which validation keeps.
STRICT_KEYWORDS = ("enum", "pattern", "exclusiveMinimum", "exclusiveMaximum")


def strict_parameters(model: type[Arguments]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form: every property required (null where optional),
    no other properties, no titles or defaults."""
    properties = {name: strict_property(schema) for name, schema in model.model_json_schema()["properties"].items()}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def strict_property(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf", [schema])
    (value,) = [option for option in options if option.get("type") != "null"]
    nullable = len(options) > 1
    strict: dict[str, Any] = {"type": [value["type"], "null"] if nullable else value["type"]}
    for keyword in STRICT_KEYWORDS:
        if keyword in value:
            strict[keyword] = value[keyword]
    if nullable and "enum" in strict:
        strict["enum"] = [*strict["enum"], None]
    return strict


def description(model: type[Arguments]) -> str:
    return " ".join((model.__doc__ or "").split())
