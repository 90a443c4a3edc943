"""What the tools answer: one frozen model per outcome, never a string code to switch on.

The offline assistant matches on the classes (`Held`, `HeldBySomeoneElse`, …). The AI model reads a
result's `wire()` form, `{"ok": true, …}` or `{"ok": false, "error": "<code>", "message": "…", …}`,
which is also what a `ToolCall` row stores; `REPLAY[tool]` turns a stored row back into the same
typed result (a union per tool, told apart by its `error`, or "ok" when there is none). The facts of
items and orders inside stay JSON-able dicts (`Facts`): the formatting module reads them as dicts.
"""

from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, PlainSerializer, Tag, TypeAdapter, computed_field

Facts = dict[str, Any]

# A moment as `datetime.isoformat()` writes it ("…+00:00"), as the tools have always sent it.
Moment = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    def wire(self) -> Facts:
        """The result as the AI model reads it and a `ToolCall` row stores it."""
        return self.model_dump(mode="json")


class Success(Result):
    ok: Literal[True] = True


class Refusal(Result):
    """Nothing was done. Every refusal has an `error` code and a `message` saying why, in the wire form
    first: a field when the words come from the domain error, a computed field when they are fixed."""

    ok: Literal[False] = False

    def wire(self) -> Facts:
        facts = super().wire()
        return {"ok": False, "error": facts.pop("error"), "message": facts.pop("message"), **facts}


# --- reads ---


class SearchResults(Success):
    query: str
    items: list[Facts]
    relaxed: bool = False  # nothing matched the free words: these are the filters' items
    upcoming_drops: list[Facts] = []  # pieces matching the query in a drop still to come (when they drop)

    def wire(self) -> Facts:
        facts = super().wire()
        if facts.pop("relaxed"):
            facts["relaxed"] = "ignored the free words"
        if not facts["upcoming_drops"]:
            facts.pop("upcoming_drops")
        return facts


class ItemFound(Success):
    item: Facts


class PiecesFound(Success):
    """The pieces a description means, each with its status as this customer sees it (`pieces`), or the
    `candidates` to ask about when several really fit."""

    pieces: list[Facts]
    candidates: list[Facts] = []


class NoPieceFits(Refusal):
    error: Literal["no_piece_fits"] = "no_piece_fits"

    @computed_field
    @property
    def message(self) -> str:
        return "No piece of the shop fits this description."


class SimilarPieces(Success):
    """Pieces on sale now that stand in for one the customer cannot have (or a search that found nothing), best
    first, each with the scorer's `confidence` (0 to 1)."""

    pieces: list[Facts]


class Orders(Success):
    orders: list[Facts]


class PhotoToSend(Success):
    """The item's first photo goes to the customer as an image message (TikTok allows images here)."""

    item: Facts
    page_url: str
    photo_id: int
    file_name: str


class PhotoPage(Success):
    """The item has photos, but they cannot be sent as images here (region): its public page shows them."""

    item: Facts
    page_url: str


class NoPhotos(Refusal):
    error: Literal["no_photos"] = "no_photos"
    item: Facts

    @computed_field
    @property
    def message(self) -> str:
        return "This piece has no photos yet; the owner can take some."


# --- actions ---


class Held(Success):
    item: Facts
    held_until: Moment
    hold_hours: int | float  # HOLD_HOURS may have decimals
    extended: bool  # it was already held for this customer: the hold runs longer now

    @computed_field
    @property
    def next_step(self) -> str:
        return "Say you want to buy to place the order."


class Released(Success):
    item: Facts


class OrderPlaced(Success):
    order: Facts


class OfferPassedOn(Success):
    offer: Facts
    item: Facts

    @computed_field
    @property
    def note(self) -> str:
        return "Only the owner decides offers; the listed price stands unless they accept."


class OfferAccepted(Success):
    """The offer met the owner's rules: the piece is held for this customer at `offer["price"]`."""

    outcome: Literal["accepted"] = "accepted"
    offer: Facts
    item: Facts
    held_until: Moment

    @computed_field
    @property
    def note(self) -> str:
        return (
            "Accepted by the shop's rules: held for this customer at offer.price (the order uses it). "
            "Say you want to buy to place the order."
        )


class OfferCountered(Success):
    """Below the floor: the shop can do `offer["counter"]`; offering that amount accepts it."""

    outcome: Literal["countered"] = "countered"
    offer: Facts
    item: Facts

    @computed_field
    @property
    def note(self) -> str:
        return (
            "Not accepted: the shop's counter-offer is offer.counter (the only other price you may state). "
            "If the customer agrees, call make_offer with that amount."
        )


class HandedOff(Success):
    @computed_field
    @property
    def paused(self) -> bool:
        return True


class NotFound(Refusal):
    error: Literal["not_found"] = "not_found"
    sku: str

    @computed_field
    @property
    def message(self) -> str:
        return f"No item with SKU {self.sku}."


class HeldBySomeoneElse(Refusal):
    error: Literal["held_by_someone_else"] = "held_by_someone_else"
    item: Facts
    available_again_at: Moment
    waitlist_place: int | None = None  # the customer is now in the piece's line, at this place
    already_in_line: bool = False

    @computed_field
    @property
    def message(self) -> str:
        return "Another customer is holding this item; this customer is now on its waitlist."


class NotDroppedYet(Refusal):
    error: Literal["not_dropped_yet"] = "not_dropped_yet"
    item: Facts
    drops_at: Moment

    @computed_field
    @property
    def message(self) -> str:
        return "This item is in a drop that has not started: nobody can hold it before the drop time."


class ClaimRecorded(Refusal):
    """The piece has just dropped: the message is a claim, answered when the drop item is settled."""

    error: Literal["drop_claim_recorded"] = "drop_claim_recorded"

    @computed_field
    @property
    def message(self) -> str:
        return "Claim recorded; the customer is told the result when the drop settles. Say nothing about it."


class LeftWaitlist(Success):
    left: list[str]


class PaymentClaimNoted(Success):
    """ "paid!": the customer's unpaid orders, now flagged "customer says paid" for the owner to confirm."""

    orders: list[Facts]


class OrderCancelled(Success):
    order: Facts


class NoUnpaidOrder(Refusal):
    """Nothing to cancel: `orders` are the customer's latest orders (paid or shipped ones say why)."""

    error: Literal["no_unpaid_order"] = "no_unpaid_order"
    message: str
    orders: list[Facts]


class PaymentLinkOpen(Success):
    """The order's Stripe payment link is still open: here it is."""

    order: Facts
    url: str


class PaymentLinkComing(Success):
    """The order's payment link had expired (or never came): a worker creates a fresh one and DMs it."""

    order: Facts


class AlreadyBought(Refusal):
    error: Literal["bought_by_you"] = "bought_by_you"
    item: Facts

    @computed_field
    @property
    def message(self) -> str:
        return "This customer already bought this item."


class Sold(Refusal):
    error: Literal["sold"] = "sold"
    item: Facts

    @computed_field
    @property
    def message(self) -> str:
        return "This item has already sold."


class HoldLimit(Refusal):
    error: Literal["hold_limit"] = "hold_limit"
    message: str
    limit: int
    holds: list[Facts]


class NotHeldByYou(Refusal):
    error: Literal["not_held_by_you"] = "not_held_by_you"
    sku: str

    @computed_field
    @property
    def message(self) -> str:
        return f"{self.sku} is not on hold for you."


class NothingToOrder(Refusal):
    error: Literal["no_holds"] = "no_holds"

    @computed_field
    @property
    def message(self) -> str:
        return "Nothing is on hold for you, so there is nothing to order yet."


class HoldLost(Refusal):
    error: Literal["hold_lost"] = "hold_lost"
    message: str
    sku: str


class NotOpenForOffers(Refusal):
    error: Literal["not_available"] = "not_available"
    sku: str
    status: str

    @computed_field
    @property
    def message(self) -> str:
        return "This item is not available for offers."


class OfferDeclined(Refusal):
    """Below the floor after the one counter-offer (or on a piece with no haggling): a polite no."""

    error: Literal["offer_declined"] = "offer_declined"
    sku: str
    price: str

    @computed_field
    @property
    def message(self) -> str:
        return "The shop can't go that low on this piece: its price for this customer (price) stands."


class NoCounter(Refusal):
    error: Literal["no_counter_offer"] = "no_counter_offer"
    message: str


class InvalidAmount(Refusal):
    error: Literal["invalid_amount"] = "invalid_amount"

    @computed_field
    @property
    def message(self) -> str:
        return "That is not an amount that can be offered."


class Refused(Refusal):
    """Any other domain error the action raised, in its own words."""

    error: Literal["refused"] = "refused"
    message: str


class ToolError(Refusal):
    """The AI path refused the call before any tool ran."""

    error: Literal[
        "unknown_tool", "invalid_arguments", "too_many_holds", "too_many_calls", "once_per_message", "not_shown"
    ]
    message: str


HoldOutcome = (
    Held | NotFound | HeldBySomeoneElse | NotDroppedYet | ClaimRecorded | AlreadyBought | Sold | HoldLimit | Refused
)
LeaveWaitlistOutcome = LeftWaitlist | Refused
ReleaseOutcome = Released | NotFound | NotHeldByYou | Refused
OrderOutcome = OrderPlaced | NothingToOrder | HoldLost | Refused
OfferOutcome = (
    OfferAccepted
    | OfferCountered
    | OfferDeclined
    | OfferPassedOn
    | NotFound
    | NotOpenForOffers
    | NotDroppedYet
    | HoldLimit
    | NoCounter
    | InvalidAmount
    | Refused
)
HandOffOutcome = HandedOff | Refused
ClaimPaymentOutcome = PaymentClaimNoted | Refused
CancelOrderOutcome = OrderCancelled | NoUnpaidOrder | Refused
PaymentLinkOutcome = PaymentLinkOpen | PaymentLinkComing | NoUnpaidOrder | Refused
PhotoOutcome = PhotoToSend | PhotoPage | NoPhotos


def _tag(value: Any) -> str:
    # Successes of one tool that differ carry an `outcome` ("accepted", "countered"): "ok:<outcome>".
    if isinstance(value, dict):
        return value.get("error") or (f"ok:{value['outcome']}" if "outcome" in value else "ok")
    error = getattr(value, "error", None)
    outcome = getattr(value, "outcome", None)
    return error or (f"ok:{outcome}" if outcome else "ok")


def _kind_tag(kind: type[Result]) -> str:
    if issubclass(kind, Refusal):
        return kind.model_fields["error"].default
    if "outcome" in kind.model_fields:
        return f"ok:{kind.model_fields['outcome'].default}"
    return "ok"


def replayer(outcome: UnionType) -> TypeAdapter[Any]:
    """Reads a stored wire form back into its class, picked by the `error` code ("ok" for the success)."""
    members = tuple(Annotated[kind, Tag(_kind_tag(kind))] for kind in get_args(outcome))
    # A union built at run time, which mypy cannot follow.
    return TypeAdapter(Annotated[Union[members], Discriminator(_tag)])  # type: ignore[arg-type]  # noqa: UP007


REPLAY: dict[str, TypeAdapter[Any]] = {
    "hold_item": replayer(HoldOutcome),
    "release_hold": replayer(ReleaseOutcome),
    "place_order": replayer(OrderOutcome),
    "make_offer": replayer(OfferOutcome),
    "accept_counter": replayer(OfferOutcome),
    "hand_off_to_owner": replayer(HandOffOutcome),
    "leave_waitlist": replayer(LeaveWaitlistOutcome),
    "claim_payment": replayer(ClaimPaymentOutcome),
    "cancel_order": replayer(CancelOrderOutcome),
    "payment_link": replayer(PaymentLinkOutcome),
}
