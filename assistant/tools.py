"""What the assistant can do, for the customer who wrote and nobody else.

Both assistants (offline and AI) act only through a `Toolbox`, which is bound to one customer and
one inbound message. Every answer is read from the database and returned as a typed result of
`assistant.results` (facts, never prose). Actions that change something (hold, release, order,
offer, hand-off) run once per inbound message: their result is stored in a `ToolCall` row keyed by
the message, the tool and its arguments, so a message handled again replays the same result
instead of acting twice.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from assistant.facts import item_facts, item_status, items_facts
from assistant.models import ToolCall
from assistant.order_tools import OrderTools
from assistant.proposing import Proposing
from assistant.results import (
    AlreadyBought,
    ClaimRecorded,
    Facts,
    HandedOff,
    HandOffOutcome,
    Held,
    HeldBySomeoneElse,
    HoldLimit,
    HoldOutcome,
    InvalidAmount,
    ItemFound,
    LeaveWaitlistOutcome,
    LeftWaitlist,
    NoCounter,
    NoPhotos,
    NotDroppedYet,
    NotFound,
    NotHeldByYou,
    NotOpenForOffers,
    OfferAccepted,
    OfferCountered,
    OfferDeclined,
    OfferOutcome,
    PhotoOutcome,
    PhotoPage,
    PhotoToSend,
    Released,
    ReleaseOutcome,
    SearchResults,
    Sold,
)
from conversations import services as conversation_services
from conversations.models import Customer, Message
from conversations.selectors import business_has_replied
from conversations.services import OutboundImage
from inventory import services as inventory_services
from inventory.exceptions import (
    DropBeingSettled,
    HoldLimitReached,
    ItemNotDroppedYet,
    ItemNotFound,
    ItemNotHeld,
    ItemUnavailable,
    NotHeldBy,
)
from inventory.item_query import ItemQuery
from inventory.models import Item
from inventory.search import pieces_described, search_items, search_items_or_filters
from inventory.selectors import (
    has_pieces_to_drop,
    holds_of,
    live_drop_items,
    main_photo,
    visible_items,
    waitlist_place,
    waitlist_places,
)
from live import selectors as live_selectors
from orders.offers import InvalidOffer, NoCounterOffer, accept_counter, countered_offers, record_offer
from orders.selectors import bought_items
from propositions.models import InteractionKind
from propositions.services import record_interaction, record_interaction_by_sku
from tiktok.services import image_send_allowed

logger = logging.getLogger(__name__)


class Toolbox(OrderTools, Proposing):
    """The shop's tools bound to one customer and the inbound message being answered."""

    def __init__(self, *, customer: Customer, message: Message, earlier: Sequence[Message] = ()) -> None:
        super().__init__(customer=customer, message=message, earlier=earlier)
        self.images: list[OutboundImage] = []  # photos to send before the answer's text, in order
        self._live_pieces: dict[tuple[str | None, int | None], tuple[Facts, str] | None] = {}
        self._pieces_read = {}
        self._gone_to_record = set()

    # --- reads ---

    def search_items(self, *, query: ItemQuery, limit: int = 5) -> SearchResults:
        """Available items for the query; when nothing matches, the filters alone, then newest pieces."""
        now = timezone.now()
        items, relaxed = search_items_or_filters(query, limit=limit, now=now)
        # Pieces it describes that are in a drop still to come: not for sale yet, but the customer is told when.
        upcoming = (
            search_items(query, limit=3, now=now, every_word=True, upcoming_drops=True)
            if (query.has_filters() or query.words or query.sku) and has_pieces_to_drop(now=now)
            else []
        )
        return SearchResults(
            query=query.describe(),
            items=[item_facts(item, customer=self.customer, now=now) for item in items],
            relaxed=relaxed,
            upcoming_drops=[item_facts(item, customer=self.customer, now=now) for item in upcoming],
        )

    def get_item(self, *, sku: str) -> ItemFound | NotFound:
        now = timezone.now()
        item = next(iter(visible_items([sku.strip()])), None)
        if item is None:
            return NotFound(sku=sku.strip().upper())
        self._record(InteractionKind.DETAILS, item)
        return ItemFound(item=item_facts(item, customer=self.customer, now=now, full=True))

    def pieces_described(self, *, query: ItemQuery) -> list[Facts]:
        """Full facts of the pieces a description may mean, in any state (hidden ones say only that): the candidates
        `inventory.search.pieces_described` gives."""
        now = timezone.now()
        items = pieces_described(query)
        facts = items_facts(items, customer=self.customer, now=now, full=True)
        self.remember_pieces(items, facts)
        return facts

    def items(self, skus: list[str], *, full: bool = False) -> list[Facts]:
        """Facts for these SKUs (hidden and unknown ones left out), in the order given. One query."""
        now = timezone.now()
        wanted = [sku.upper() for sku in skus]
        found = {item.sku.upper(): item for item in visible_items(wanted)}
        items = [found[sku] for sku in wanted if sku in found]
        facts = items_facts(items, customer=self.customer, now=now, full=full)
        self.remember_pieces(items, facts)
        return facts

    def show_photo(self, *, sku: str) -> PhotoOutcome | NotFound:
        """The item's first photo for the customer: an image message when TikTok allows images in this
        conversation (asked once in a while, see `tiktok.services.image_send_allowed`; the photo is then sent
        before the answer's text, see `images`), else the link to the item's public page, which shows them."""
        now = timezone.now()
        item = next(iter(visible_items([sku.strip()])), None)
        if item is None:
            return NotFound(sku=sku.strip().upper())
        facts = item_facts(item, customer=self.customer, now=now)
        self._record(InteractionKind.PHOTOS, item)
        photo = main_photo(item=item)
        if photo is None and not item.image_url:
            return NoPhotos(item=facts)
        page_url = settings.SITE_URL.rstrip("/") + item.get_absolute_url()
        if photo is not None and image_send_allowed(
            conversation_id=self.customer.conversation_id,
            business_has_replied=business_has_replied(customer=self.customer),
        ):
            if photo.pk not in {image.photo_id for image in self.images}:
                self.images.append(OutboundImage(photo_id=photo.pk, file_name=photo.image_name))
            return PhotoToSend(item=facts, page_url=page_url, photo_id=photo.pk, file_name=photo.image_name)
        return PhotoPage(item=facts, page_url=page_url)

    def holds(self, *, full: bool = False) -> list[Facts]:
        now = timezone.now()
        return [
            item_facts(item, customer=self.customer, now=now, full=full)
            for item in holds_of(customer_id=self.customer.pk, now=now)
        ]

    def bought(self, *, full: bool = False) -> list[Facts]:
        """The pieces of the customer's orders that still stand, newest first (`orders.selectors.bought_items`)."""
        now = timezone.now()
        return items_facts(bought_items(customer=self.customer), customer=self.customer, now=now, full=full)

    def live_drop(self) -> list[Facts]:
        """The pieces of a drop being given away right now (`inventory.selectors.live_drop_items`), full facts
        and when they dropped (`dropped_at`)."""
        now = timezone.now()
        return [
            {**item_facts(item, customer=self.customer, now=now, full=True), "dropped_at": _dropped_at(item)}
            for item in live_drop_items(now=now)
        ]

    def live_piece(self, *, sku: str | None = None, lot: int | None = None) -> tuple[Facts, str] | None:
        """While a stream is live, the piece a claim in this message means, full facts, and its state in the
        line-up (lined_up, shown, skipped): the SKU or lot number named, else the piece on screen when the message
        was written (TikTok's time), however late it came in. None with no stream live, or no such piece. Read
        once per message and question."""
        if (sku, lot) not in self._live_pieces:
            self._live_pieces[(sku, lot)] = self._live_piece(sku=sku, lot=lot)
        return self._live_pieces[(sku, lot)]

    def _live_piece(self, *, sku: str | None, lot: int | None) -> tuple[Facts, str] | None:
        stream = live_selectors.live_stream()
        if stream is None:
            return None
        if sku is not None:
            piece = live_selectors.piece_with_sku(stream_id=stream.pk, sku=sku)
        elif lot is not None:
            piece = live_selectors.lot(stream_id=stream.pk, position=lot)
        else:
            written_at_ms = int(self.message.created_at.timestamp() * 1000)
            span = live_selectors.span_at_ms(stream_id=stream.pk, at_ms=written_at_ms)
            piece = span.stream_item if span is not None else None
        if piece is None:
            return None
        return item_facts(piece.item, customer=self.customer, now=timezone.now(), full=True), piece.state

    def skus_held_for_this_message(self) -> set[str]:
        """SKUs a hold was already tried for while answering this message (on an earlier run of the job)."""
        if self.message.recorded_now:
            return set()
        return {
            arguments["sku"]
            for arguments in ToolCall.objects.filter(message=self.message, tool="hold_item").values_list(
                "arguments", flat=True
            )
        }

    def note_asked(self, pieces: Sequence[Facts], *, gone_with_propositions: bool = False) -> None:
        """Record that the customer asked about these pieces (those they cannot have as asking for a gone piece).
        `gone_with_propositions`: the gone ones are recorded with what `similar_pieces` proposes in their place, in
        its statement, and any it did not propose for by `note_asked_gone`."""
        gone = [facts["sku"] for facts in pieces if facts["status"] in ("held", "sold", "hidden")]
        asked = [facts["sku"] for facts in pieces if facts["sku"] not in gone]
        if gone_with_propositions:
            self._gone_to_record.update(sku.upper() for sku in gone)
            gone = []
        for kind, skus in ((InteractionKind.ASKED_ABOUT, asked), (InteractionKind.ASKED_FOR_GONE, gone)):
            if skus:
                record_interaction_by_sku(customer=self.customer, kind=kind, skus=skus, message=self.message)

    def note_asked_gone(self) -> None:
        """Record the gone pieces `note_asked` left to `similar_pieces` that it has not recorded."""
        if self._gone_to_record:
            skus, self._gone_to_record = sorted(self._gone_to_record), set()
            kind = InteractionKind.ASKED_FOR_GONE
            record_interaction_by_sku(customer=self.customer, kind=kind, skus=skus, message=self.message)

    def _record(self, kind: InteractionKind, item: Item) -> None:
        record_interaction(customer=self.customer, kind=kind, items=[item], message=self.message)

    # --- actions (run once per inbound message) ---

    def hold_item(self, *, sku: str) -> HoldOutcome:
        sku = sku.strip().upper()
        return self._once("hold_item", {"sku": sku}, lambda: self._hold(sku))

    def waitlist(self) -> list[Facts]:
        """The pieces this customer waits for, with their place in each line."""
        now = timezone.now()
        return [
            {**item_facts(item, customer=self.customer, now=now), "place": place}
            for item, place in waitlist_places(customer=self.customer)
        ]

    def leave_waitlist(self, *, skus: list[str] | None = None) -> LeaveWaitlistOutcome:
        arguments = {"skus": sorted(sku.strip().upper() for sku in skus) if skus is not None else None}
        return self._once(
            "leave_waitlist",
            arguments,
            lambda: LeftWaitlist(left=inventory_services.leave_waitlist(customer=self.customer, skus=skus)),
        )

    def release_hold(self, *, sku: str) -> ReleaseOutcome:
        sku = sku.strip().upper()
        return self._once("release_hold", {"sku": sku}, lambda: self._release(sku))

    def make_offer(self, *, sku: str, amount: Decimal) -> OfferOutcome:
        sku = sku.strip().upper()
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        return self._once("make_offer", {"sku": sku, "amount": f"{amount:.2f}"}, lambda: self._offer(sku, amount))

    def hand_off_to_owner(self, *, reason: str = "") -> HandOffOutcome:
        return self._once("hand_off_to_owner", {}, lambda: self._hand_off(reason))

    def _hold(self, sku: str) -> HoldOutcome:
        now = timezone.now()
        before = Item.objects.filter(sku__iexact=sku).first()
        status = item_status(before, customer=self.customer, now=now) if before is not None else None
        if before is not None and status in ("held", "sold"):
            # Someone else's hold or a sale, as read now: no hold or drop claim could take it, so the answer
            # needs no locks (the drop rush after a settlement is mostly these).
            return self._unavailable(before, now=now)
        already_held = status == "held_by_you"
        if before is not None and not already_held:
            # A piece that has just dropped goes to the earliest message, not the first worker: record the claim;
            # the answer comes when the drop item is settled, as the reply to this very message.
            claim = inventory_services.claim_drop_item(
                item=before,
                customer=self.customer,
                message=self.message,
                written_at_ms=int(self.message.created_at.timestamp() * 1000),
            )
            if claim is not None:
                return ClaimRecorded()
        try:
            item = inventory_services.reserve_item(sku=sku, customer=self.customer)
        except ItemNotDroppedYet as error:
            # Read again when it was not there a moment ago (created since), as for ItemUnavailable below.
            upcoming = before if before is not None else Item.objects.get(sku__iexact=sku)
            return NotDroppedYet(item=item_facts(upcoming, customer=self.customer, now=now), drops_at=error.drops_at)
        except DropBeingSettled:
            return ClaimRecorded()
        except ItemNotFound:
            return NotFound(sku=sku)
        except ItemUnavailable as error:
            if error.status == Item.Status.HIDDEN:
                return NotFound(sku=sku)
            return self._unavailable(Item.objects.get(sku__iexact=sku), now=now)
        except HoldLimitReached as error:
            return HoldLimit(message=str(error), limit=error.limit, holds=self.holds())
        self._record(InteractionKind.HELD, item)
        return Held(
            item=item_facts(item, customer=self.customer, now=timezone.now()),
            held_until=item.hold_runs_out_at(),
            hold_hours=settings.HOLD_HOURS,
            extended=already_held,
        )

    def _unavailable(self, item: Item, *, now: datetime) -> HoldOutcome:
        """The answer to a hold on a piece someone else holds (the customer joins its line) or that is sold."""
        facts = item_facts(item, customer=self.customer, now=now)
        if facts["status"] != "bought_by_you":
            self._record(InteractionKind.ASKED_FOR_GONE, item)
        if facts["status"] == "held":
            entry, joined = inventory_services.join_waitlist(sku=item.sku, customer=self.customer, item=item)
            return HeldBySomeoneElse(
                item=facts,
                available_again_at=item.hold_runs_out_at(),
                waitlist_place=waitlist_place(entry=entry),
                already_in_line=not joined,
            )
        if facts["status"] == "bought_by_you":
            return AlreadyBought(item=facts)
        return Sold(item=facts)

    def _release(self, sku: str) -> ReleaseOutcome:
        try:
            item = inventory_services.release_hold(sku=sku, by=self.customer)
        except ItemNotFound:
            return NotFound(sku=sku)
        except (ItemNotHeld, NotHeldBy):
            return NotHeldByYou(sku=sku)
        return Released(item=item_facts(item, customer=self.customer, now=timezone.now()))

    def accept_counter(self, *, sku: str) -> OfferOutcome:
        """Say yes to the shop's counter-offer on `sku` (the offline assistant's "yes")."""
        sku = sku.strip().upper()
        return self._once("accept_counter", {"sku": sku}, lambda: self._offer(sku, None))

    def counter_offers(self) -> list[Facts]:
        """This customer's counter-offers still waiting for their answer, newest first."""
        return [
            {"sku": offer.item.sku, "name": offer.item.name, "counter": f"{offer.counter_amount:.2f}"}
            for offer in countered_offers(customer=self.customer)
        ]

    def _offer(self, sku: str, amount: Decimal | None) -> OfferOutcome:
        now = timezone.now()
        try:
            if amount is None:
                offer = accept_counter(customer=self.customer, sku=sku)
            else:
                offer = record_offer(customer=self.customer, sku=sku, amount=amount)
        except ItemNotFound:
            return NotFound(sku=sku)
        except ItemUnavailable as error:
            if error.status == Item.Status.HIDDEN:
                return NotFound(sku=sku)
            return NotOpenForOffers(sku=sku, status=error.status)
        except ItemNotDroppedYet as error:
            item = Item.objects.get(sku__iexact=sku)
            return NotDroppedYet(item=item_facts(item, customer=self.customer, now=now), drops_at=error.drops_at)
        except HoldLimitReached as error:
            return HoldLimit(message=str(error), limit=error.limit, holds=self.holds())
        except NoCounterOffer as error:
            return NoCounter(message=str(error))
        except InvalidOffer:
            return InvalidAmount()
        item = offer.item
        self._record(InteractionKind.OFFER, item)
        facts = item_facts(item, customer=self.customer, now=timezone.now())
        # "offered" is the customer's number, not a price: the reply may not quote it as one.
        offered = {"sku": item.sku, "offered": f"{offer.amount:.2f}"}
        if offer.status == offer.Status.ACCEPTED:
            return OfferAccepted(
                offer={**offered, "price": f"{offer.agreed_price:.2f}"}, item=facts, held_until=item.hold_runs_out_at()
            )
        if offer.status == offer.Status.COUNTERED:
            return OfferCountered(offer={**offered, "counter": f"{offer.counter_amount:.2f}"}, item=facts)
        return OfferDeclined(sku=item.sku, price=facts["price"])  # this customer's price: an agreed one stands

    def _hand_off(self, reason: str) -> HandOffOutcome:
        conversation_services.request_handoff(customer=self.customer)
        logger.info(
            "assistant handed the conversation to the owner",
            extra={"customer": self.customer.pk, "reason": reason[:200]},
        )
        return HandedOff()


def _dropped_at(item: Item) -> str:
    if item.drops_at is None:  # `live_drop_items` reads only pieces of a drop
        raise ValueError(f"{item.sku} is in no drop")
    return item.drops_at.isoformat()
