"""Proposing to the losers of a drop or live claim: each loser's answer (their place in line) also lists up to 3
pieces on sale like the one they lost, ranked for their own sizes, stored as propositions (reason `lost_claim`).

A live burst settles 150 losers and a drop up to 500 in one job, so the pieces are read and scored once per piece
lost, every loser's sizes are read in one query and every proposition is stored in one statement: the queries do
not grow with the losers (docs/propositions.md, "Proposing to a lost claim")."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from assistant import wording
from assistant.formatting import item_lines
from conversations.models import Customer
from inventory.models import Item
from inventory.services import ClaimOutcome
from live.selectors import kept_for_streams
from propositions.models import PropositionReason
from propositions.scoring import Scored, Sizes, Target
from propositions.selectors import rank, scored_candidates, sizes_of
from propositions.services import Proposal, record_propositions_to_many


def propose_to_losers(*, item: Item, outcomes: Sequence[ClaimOutcome], now: datetime) -> dict[int, str]:
    """What to add to each loser's answer (keyed by their claiming message's id): up to 3 pieces in place of `item`,
    best first for their sizes, stored as propositions shown to them in reply to that message. Only the losers the
    assistant answers (not after STOP, not while the bot is paused for them, as `assistant.services.answer`); none
    when no piece is close enough. Never `item` itself, nor a piece held, sold, hidden, in a drop still to come or
    being settled, nor one a stream scheduled or live still has to show (`live.selectors.kept_for_streams`)."""
    losers = [outcome.claim for outcome in outcomes if not outcome.won and answered(outcome.claim.customer, now=now)]
    if not losers:
        return {}
    candidates = scored_candidates(target=Target.of_item(item), now=now, kept_back=kept_for_streams())
    if not candidates.pieces:
        return {}
    sizes = sizes_of(customer_ids=[claim.customer_id for claim in losers])
    ranked: dict[object, list[Scored]] = {}  # by sizes: most losers wear what others do (or no size is known)
    proposals = []
    for claim in losers:
        wears = sizes.get(claim.customer_id, Sizes())
        if wears.key() not in ranked:
            ranked[wears.key()] = rank(candidates, sizes=wears)
        proposals.append(
            Proposal(customer_id=claim.customer_id, message_id=claim.message_id, proposed=ranked[wears.key()])
        )
    record_propositions_to_many(reason=PropositionReason.LOST_CLAIM, instead_of=item, proposals=proposals)
    return {
        claim.message_id: listed(proposal.proposed)
        for claim, proposal in zip(losers, proposals, strict=True)
        if proposal.proposed
    }


def answered(customer: Customer, *, now: datetime) -> bool:
    """Whether the assistant answers this customer: not after STOP, not while the owner has paused the bot."""
    return customer.opted_out_at is None and not customer.is_bot_paused(now=now)


def listed(proposed: Sequence[Scored]) -> str:
    """The pieces as the offline assistant lists the pieces it proposes ("Similar pieces:", one line each)."""
    return wording.similar(item_lines([piece_facts(found.item) for found in proposed]))


def piece_facts(item: Item) -> dict[str, Any]:
    """What an item line shows of a piece."""
    return {"sku": item.sku, "name": item.name, "size": item.size_label, "price": item.price}
