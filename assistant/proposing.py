"""Proposing other pieces: when a customer asks for one they cannot have (held by someone else, sold, hidden) or a
search finds nothing, the pieces `propositions.selectors.similar_pieces` scores best, stored as propositions shown
to this customer. Part of `assistant.tools.Toolbox`."""

from collections.abc import Sequence

from django.utils import timezone

from assistant.facts import item_status, items_facts
from assistant.language.sizes import read_own_sizes
from assistant.once import OncePerMessage
from assistant.results import Facts, NotFound, SimilarPieces
from conversations import services as conversation_services
from inventory.item_query import ItemQuery
from inventory.models import Item
from live.selectors import kept_for_streams
from propositions.models import PropositionReason
from propositions.scoring import Target
from propositions.selectors import known_sizes, similar_pieces_for
from propositions.services import ask_about_arrivals_once, learn_sizes, record_propositions

# A piece's status for this customer → why the shop proposes others in its place.
REASONS = {
    "held": PropositionReason.HELD,
    "sold": PropositionReason.SOLD,
    "hidden": PropositionReason.HIDDEN,
    "upcoming_drop": PropositionReason.HIDDEN,
}


class Proposing(OncePerMessage):
    """The `similar_pieces` tool, and the sizes the customer says they wear."""

    # The pieces this turn has read (by upper-case SKU), each with its status for the customer and how many actions
    # the turn had run then: proposing in place of one read since the last action needs no second read of it.
    _pieces_read: dict[str, tuple[Item, str, int]]
    # Pieces the customer asked for and cannot have whose `asked_for_gone` waits to be recorded with what is proposed
    # in their place (`Toolbox.note_asked`), by upper-case SKU.
    _gone_to_record: set[str]

    def remember_pieces(self, items: Sequence[Item], facts: Sequence[Facts]) -> None:
        """Keep the pieces just read, with their facts, for `similar_pieces` in this turn."""
        for item, said in zip(items, facts, strict=True):
            self._pieces_read[item.sku.upper()] = (item, said["status"], len(self.actions))

    def hear_of_new_arrivals(self, *, wanted: bool) -> bool:
        """Give (or withdraw) consent to hear of new pieces in their size; whether their size is known (given) or
        there was a consent to withdraw."""
        now = timezone.now()
        if not wanted:
            return conversation_services.withdraw_marketing_consent(customer=self.customer, now=now)
        conversation_services.record_marketing_consent(customer=self.customer, now=now)
        sizes = known_sizes(customer=self.customer)
        return bool(sizes.labels or sizes.waist or sizes.measurements)

    def note_sizes(self, text: str) -> bool:
        """Learn the sizes `text` says the customer wears ("I'm an L", "my waist is 32"); nothing read otherwise.
        Whether a size was learned."""
        said = read_own_sizes(text)
        if not said:
            return False
        learned = learn_sizes(
            customer=self.customer, labels=said.labels, waist=said.waist, measurements=said.measurements
        )
        return learned is not None

    def asks_about_arrivals(self) -> bool:
        """Whether to ask now, once ever, if they want to hear of new pieces in their size (after a size was
        learned; never with consent given or withdrawn, nor after STOP)."""
        return ask_about_arrivals_once(customer=self.customer)

    def similar_pieces(self, *, sku: str | None = None, query: ItemQuery | None = None) -> SimilarPieces | NotFound:
        """Up to 3 pieces on sale that stand in for the piece `sku` (or the search `query` that found nothing),
        best first, each with its confidence; stored as propositions shown to this customer. Never the piece
        itself, nor one held, sold, hidden, not dropped yet, being settled in a drop or still to be shown in a live
        stream (`kept_for_streams`). A read for the shop: nothing is held."""
        now = timezone.now()
        wanted: Item | None = None
        if sku is not None:
            read = self._pieces_read.get(sku.strip().upper())
            if read is not None and read[2] == len(self.actions):
                wanted, status = read[0], read[1]
            else:
                wanted = Item.objects.filter(sku__iexact=sku.strip()).first()
                if wanted is None:
                    return NotFound(sku=sku.strip().upper())
                status = item_status(wanted, customer=self.customer, now=now)
            target = Target.of_item(wanted)
            reason = REASONS.get(status, PropositionReason.LIKE)
        else:
            target = Target.of_query(query or ItemQuery())
            reason = PropositionReason.NOTHING_FOUND
        found = similar_pieces_for(customer=self.customer, target=target, now=now, kept_back=kept_for_streams())
        asked = wanted is not None and wanted.sku.upper() in self._gone_to_record
        record_propositions(
            customer=self.customer,
            reason=reason,
            proposed=found,
            instead_of=wanted,
            message=self.message,
            asked_for_gone=asked,
        )
        if wanted is not None and asked:
            self._gone_to_record.discard(wanted.sku.upper())
        facts = items_facts([scored.item for scored in found], customer=self.customer, now=now)
        return SimilarPieces(
            pieces=[{**piece, "confidence": scored.confidence} for piece, scored in zip(facts, found, strict=True)]
        )
