"""Item details and references: a SKU, "the second one", "the nike one", "do you have it in M?", "pics?"."""

from assistant import language, wording
from assistant.formatting import item_details, item_line, item_lines, when
from assistant.offline import browsing
from assistant.offline.context import Turn
from assistant.references import describes, fitting, matches
from assistant.results import Facts, PhotoPage, PhotoToSend, SimilarPieces
from inventory.item_query import ItemQuery


def points_at_a_listed_piece(turn: Turn) -> bool:
    """ "the nike one": one of the pieces just listed, not a new search."""
    if language.points_at_one(turn.text):
        return any(matches(facts, turn.parse()) for facts in turn.shown())
    # "the sweatshirt?" right after a listing with one sweatshirt in it
    return turn.text.startswith("the ") and len(fitting(turn.shown(), turn.parse())) == 1


def asks_about_an_item(turn: Turn) -> bool:
    """ "is the jacket still available?" is about an item; "jackets with pit to pit 22+?" is a search."""
    return language.asks_details(turn.text) and (
        language.refers_definitely(turn.text) or not turn.parse().has_filters()
    )


def details(turn: Turn, text: str | None = None) -> str:
    text = turn.text if text is None else text
    # "how much r the docs and the cortez": each piece asked about
    named = [clause for clause in language.clauses(text) if describes(turn.parse(clause))]
    reference = turn.resolve_each(named) or turn.resolve(text)
    if reference.unknown_skus and not reference.items:
        return wording.not_found(reference.unknown_skus)
    if reference.items:
        # A gone piece's ask is recorded with the pieces proposed in its place: one commit for the reply's records.
        turn.toolbox.note_asked(reference.items[:3], gone_with_propositions=True)
        try:
            parts = [describe_one(turn, facts) for facts in reference.items[:3]]
        finally:
            turn.toolbox.note_asked_gone()
        if language.asks_for_photos(text):
            parts.extend(photo_text(turn, facts) for facts in reference.items[:3])
        return "\n\n".join(parts)
    if reference.candidates:
        return wording.which_of(item_lines(reference.candidates))
    query = turn.parse(text)
    if query.has_filters() or query.words:
        return browsing.search(turn, query)
    return wording.WHICH_ONE


def photos(turn: Turn) -> str | None:
    """ "pics?" about the pieces in view (at most three): each one's first photo as an image when TikTok
    allows images in this conversation (sent before this text), else its page's link; a piece without photos
    is said to have none. None when the message points at no piece (a search for pictures, say)."""
    reference = turn.resolve(turn.text)
    items = (reference.items or (reference.candidates if reference.everything else []))[:3]
    if not items:
        return None
    text = "\n\n".join(photo_text(turn, facts) for facts in items)
    if len(items) == 1 and items[0]["status"] == "available":
        text += wording.available()
    return text


def photo_text(turn: Turn, facts: Facts) -> str:
    match turn.toolbox.show_photo(sku=facts["sku"]):
        case PhotoToSend(page_url=page_url):
            return wording.photo_sent(item_line(facts), page_url)
        case PhotoPage(page_url=page_url):
            return wording.photo_page(item_line(facts), page_url)
        case _:
            return wording.no_photos(item_line(facts))


def describe_one(turn: Turn, facts: Facts) -> str:
    if facts["status"] == "hidden":
        return wording.not_on_sale(facts["name"]) + similar(turn, facts)
    text = item_details(facts)
    status = facts["status"]
    if status == "available":
        text += wording.available()
    elif status == "held_by_you":
        text += wording.held_for_you(when(facts["held_until"]))
    elif status == "held":
        text += wording.held_for_someone_else(when(facts["available_again_at"])) + similar(turn, facts)
    elif status == "bought_by_you":
        text += wording.BOUGHT_BY_YOU
    elif status == "sold":
        text += wording.SOLD + similar(turn, facts)
    elif status == "upcoming_drop":
        text += "\n" + wording.drops_later("It", when(facts["drops_at"]))
    return text


def similar(turn: Turn, facts: Facts) -> str:
    """Up to 3 pieces on sale that stand in for one the customer cannot have, scored and stored as propositions
    (`Toolbox.similar_pieces`); nothing when none is close enough."""
    result = turn.toolbox.similar_pieces(sku=facts["sku"])
    found = result.pieces if isinstance(result, SimilarPieces) else []
    return wording.similar(item_lines(found)) if found else ""


def other_size(turn: Turn) -> str | None:
    """ "do you have it in M?" about the one piece in view: it is one of a kind, so the same kind in that
    size. None when the message names no size (another intent answers it)."""
    query = turn.parse()
    if not (query.sizes or query.waist):
        return None
    reference = turn.resolve(turn.text, search_stock=not turn.shown())  # "do u have the docs in a 9?"
    if len(reference.items) != 1:
        return browsing.search(turn, query) if reference.candidates else None
    facts = reference.items[0]
    if facts["size"] in query.sizes:
        return details(turn)
    alternative = ItemQuery(categories=(facts["category"],), sizes=query.sizes, waist=query.waist)
    found = [
        item for item in turn.toolbox.search_items(query=alternative, limit=4).items if item["sku"] != facts["sku"]
    ]
    text = wording.one_of_a_kind(facts["name"], facts["size"])
    if found:
        return text + wording.other_sizes("/".join(query.sizes) or f"waist {query.waist}", item_lines(found[:3]))
    return text + wording.no_other_sizes(alternative.describe())
