"""The offline assistant, turn by turn, with the demo stock in PostgreSQL. No AI anywhere."""

from decimal import Decimal

import pytest

from assistant.formatting import when
from assistant.tests.assistant_support import hold, make_customer, say, status_of, text_of
from inventory.models import Item
from orders.models import Offer, Order

NIKE = "VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45"
LEVIS_501 = "VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58"
LEVIS_TRUCKER = "VNT-LEVI-TRUC-015 · Levi's Type III Trucker Jacket · L · $85"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


def listed(text: str) -> list[str]:
    """The item lines of a reply."""
    return [line for line in text.splitlines() if line.startswith("VNT-")]


def test_greeting_uses_the_shops_greeting(anna, settings):
    settings.SHOP_GREETING = "Hey hey, welcome to the shop!"

    assert text_of(anna, "heyyy") == "Hey hey, welcome to the shop!"


def test_greeting_reminds_of_current_holds(stock, anna):
    hold("VNT-NIKE-WB-001", anna)

    text = text_of(anna, "hi!")

    assert f"You're holding:\n{NIKE} (held for you)" in text


def test_thanks(anna):
    assert text_of(anna, "thank you so much!!") == "You're welcome! Message me any time you're looking for something."


def test_what_do_you_have_lists_the_newest_pieces(stock, anna):
    text = text_of(anna, "what do you have?")

    assert text.startswith("Here's what just dropped:")
    assert listed(text)[0] == "VNT-BURB-TREN-016 · Burberry Classic Trench Coat · M · $180"
    assert len(listed(text)) == 5


def test_new_drops(stock, anna):
    assert len(listed(text_of(anna, "any new drops??"))) == 5


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("got any nike jackets in L?", [NIKE]),
        ("any windbreakers?", [NIKE]),
        ("carhart coat", ["VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120"]),
        ("levis jeans waist 32", [LEVIS_501]),
        ("any 501s in w32?", [LEVIS_501]),
        ("tnf puffer", ["VNT-TNF-NUP-009 · The North Face Nuptse 700 Puffer · M · $150"]),
        ("hoodies or sweatshirts in XL", ["VNT-CHAM-RW-006 · Champion Reverse Weave Sweatshirt · XL · $55"]),
        ("any band tees", ["VNT-HARL-TEE-008 · Harley-Davidson 1998 Tour Tee · XL · $75"]),
        ("pants 34 waist", ["VNT-DICK-874-012 · Dickies 874 Work Pants · W34 L32 · $26"]),
        ("green fleece", ["VNT-PATA-SNAP-005 · Patagonia Synchilla Snap-T Fleece · L · $65"]),
        ("adiddas track jacket", ["VNT-ADID-TT-004 · Adidas Firebird Track Jacket · M · $38"]),
    ],
)
def test_search_by_brand_kind_size_and_colour(stock, anna, message, expected):
    assert listed(text_of(anna, message)) == expected


def test_search_by_price(stock, anna):
    text = text_of(anna, "anything under $40?")

    assert text.startswith("Here's what I have: pieces under $40:")
    assert sorted(listed(text)) == [
        "VNT-ADID-TT-004 · Adidas Firebird Track Jacket · M · $38",
        "VNT-DICK-874-012 · Dickies 874 Work Pants · W34 L32 · $26",
        "VNT-NIKE-SWSH-014 · Nike Center Swoosh Sweatshirt · M · $40",
        "VNT-RALPH-OX-007 · Polo Ralph Lauren Oxford Shirt · M · $28",
    ]


def test_search_by_measurement(stock, anna):
    text = text_of(anna, "jackets with pit to pit at least 25?")

    assert sorted(listed(text)) == [
        "VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120",
        "VNT-COLM-BUG-013 · Columbia Bugaboo Ski Jacket · XL · $52",
        "VNT-TNF-NUP-009 · The North Face Nuptse 700 Puffer · M · $150",
    ]


def test_search_by_era(stock, anna):
    assert sorted(listed(text_of(anna, "any 80s jackets"))) == [
        "VNT-BURB-TREN-016 · Burberry Classic Trench Coat · M · $180",
        LEVIS_TRUCKER,
        "VNT-WRNG-TRUC-010 · Wrangler Denim Trucker Jacket · M · $48",
    ]


def test_a_dress_size_is_mapped_to_a_letter_size(stock, anna):
    text = text_of(anna, "what fits a size 10?")

    assert "(size 10 is usually an M)" in text
    assert all(" · M · " in line for line in listed(text))
    assert len(listed(text)) == 5


def test_large_means_l(stock, anna):
    text = text_of(anna, "any large jackets")

    assert listed(text) and all(" · L · " in line for line in listed(text))


def test_nothing_matching_says_so_and_offers_the_closest(stock, anna):
    text = text_of(anna, "any nike jackets in XS?")

    assert text.startswith("I don't have any Nike jackets in XS right now. The closest I have:")
    assert listed(text) == [NIKE]


def test_held_and_sold_items_are_not_offered_in_search(stock, anna, ben):
    hold("VNT-NIKE-WB-001", ben)

    assert NIKE not in text_of(anna, "nike windbreaker")


def test_the_second_one_refers_to_the_list_just_shown(stock, anna):
    shown = listed(text_of(anna, "levis"))
    assert shown == [LEVIS_TRUCKER, LEVIS_501]

    text = text_of(anna, "tell me more about the second one")

    assert text.splitlines()[0] == LEVIS_501
    assert 'waist 32"' in text and 'inseam 30"' in text


def test_that_one_after_a_single_item(stock, anna):
    text_of(anna, "got any nike jackets in L?")

    text = text_of(anna, "how much is that one")

    assert text.splitlines()[0] == NIKE


def test_is_the_jacket_still_available(stock, anna):
    text_of(anna, "levis")

    text = text_of(anna, "is the jacket still available?")

    assert text.splitlines()[0] == LEVIS_TRUCKER
    assert "Available!" in text


def test_item_held_by_someone_else_is_described_as_held_without_saying_by_whom(stock, anna, ben):
    hold("VNT-NIKE-WB-001", ben)

    text = text_of(anna, "is VNT-NIKE-WB-001 still available?")

    assert "It's on hold for another customer until " in text
    assert "ben" not in text.lower()


def test_sold_item_says_sold_and_suggests_similar(stock, anna, ben):
    from orders.services import place_order

    hold("VNT-NIKE-WB-001", ben)
    place_order(customer=ben)

    text = text_of(anna, "VNT-NIKE-WB-001?")

    assert "This one has already sold, sorry!" in text
    assert "Similar pieces:" in text


def test_ill_take_it_holds_the_item_just_shown(stock, anna, settings):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "omg I'll take it!!")

    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)
    assert text.startswith(f"Done! {NIKE} is on hold for you until ")
    assert settings.PAYMENT_INSTRUCTIONS in text


def test_hold_the_levis_picks_the_levis_from_the_list(stock, anna):
    text_of(anna, "any jeans?")

    text_of(anna, "can you hold the levi's for me?")

    assert status_of("VNT-LEVI-501-003") == ("reserved", anna.pk)


def test_hold_with_two_candidates_asks_which(stock, anna):
    text = text_of(anna, "can you hold the levi's for me?")

    assert text.startswith("Which one should I hold?")
    assert sorted(listed(text)) == [LEVIS_501, LEVIS_TRUCKER]
    assert status_of("VNT-LEVI-501-003") == ("available", None)

    text_of(anna, "the jeans")  # answers the question: now a single item is meant

    assert status_of("VNT-LEVI-501-003") == ("available", None)
    text_of(anna, "I'll take the jeans")
    assert status_of("VNT-LEVI-501-003") == ("reserved", anna.pk)


def test_holding_an_item_someone_else_holds_is_refused_clearly(stock, anna, ben):
    hold("VNT-NIKE-WB-001", ben)

    text = text_of(anna, "I'll take VNT-NIKE-WB-001")

    assert text.startswith(f"Sorry, {NIKE} is on hold for another customer until ")
    line, similar = text.split("\nSimilar pieces:\n")  # pieces proposed in its place (docs/propositions.md)
    assert line.endswith(". You're #1 in line: I'll message you if it frees up.")
    assert "VNT-NIKE-WB-001" not in similar
    assert status_of("VNT-NIKE-WB-001") == ("reserved", ben.pk)


def test_asking_again_for_a_held_item_keeps_the_place_and_in_line_shows_it(stock, anna, ben):
    hold("VNT-NIKE-WB-001", ben)
    carl = make_customer("carl-id", "carl")
    text_of(anna, "I'll take VNT-NIKE-WB-001")
    text_of(carl, "hold VNT-NIKE-WB-001")

    again = text_of(carl, "hold VNT-NIKE-WB-001 please")
    places = text_of(carl, "am I still in line?")
    left = text_of(anna, "take me off the list")

    assert again == f"You're already in line for {NIKE}: you're #2. I'll message you if it frees up."
    assert places == f"Here's where you are:\n#2 for {NIKE}\nI'll message you as soon as one frees up."
    assert left == "Done, I've taken you off the list for VNT-NIKE-WB-001."
    assert text_of(carl, "am I still in line?") == (
        f"Here's where you are:\n#1 for {NIKE}\nI'll message you as soon as one frees up."
    )


def test_the_hold_limit_is_explained(stock, anna, settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 2
    hold("VNT-NIKE-WB-001", anna)
    hold("VNT-LEVI-501-003", anna)

    text = text_of(anna, "hold VNT-CARH-DJ-002")

    assert text.startswith("You're already holding 2 pieces, the most at once:")
    assert status_of("VNT-CARH-DJ-002") == ("available", None)


def test_reserve_everything_is_not_done(stock, anna):
    text_of(anna, "what do you have")

    text = text_of(anna, "reserve everything")

    assert text.startswith("I can hold specific pieces for you")
    assert not Order.objects.exists()
    assert not stock["VNT-NIKE-WB-001"].__class__.objects.filter(status="reserved").exists()


def test_never_mind_after_a_hold_releases_it(stock, anna):
    text_of(anna, "reserve VNT-NIKE-WB-001")

    text = text_of(anna, "never mind")

    assert text == "No problem, I've released VNT-NIKE-WB-001 · Vintage Nike Windbreaker. It's back on sale."
    assert status_of("VNT-NIKE-WB-001") == ("available", None)


def test_never_mind_after_a_search_releases_nothing(stock, anna):
    hold("VNT-NIKE-WB-001", anna)
    text_of(anna, "any levis")

    assert text_of(anna, "nvm") == "No problem! Let me know if you're looking for anything else."
    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)


def test_cancel_my_hold(stock, anna):
    hold("VNT-NIKE-WB-001", anna)

    text_of(anna, "cancel my hold please")

    assert status_of("VNT-NIKE-WB-001") == ("available", None)


def test_cancel_one_of_several_holds_asks_which_then_releases_by_description(stock, anna):
    hold("VNT-NIKE-WB-001", anna)
    hold("VNT-LEVI-501-003", anna)

    assert text_of(anna, "cancel my hold").startswith("Which hold should I cancel?")
    text_of(anna, "release the jeans")

    assert status_of("VNT-LEVI-501-003") == ("available", None)
    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)


def test_i_want_to_buy_them_orders_the_holds(stock, anna, settings):
    hold("VNT-NIKE-WB-001", anna)
    hold("VNT-LEVI-501-003", anna)

    text = text_of(anna, "I want to buy them")

    order = Order.objects.get(customer=anna)
    assert order.total == Decimal("103.00")
    assert text.splitlines()[:4] == [
        f"Your order #{order.pk} is in:",
        "VNT-NIKE-WB-001 · Vintage Nike Windbreaker · $45",
        "VNT-LEVI-501-003 · Levi's 501 Jeans · $58",
        "Total: $103",
    ]
    assert settings.PAYMENT_INSTRUCTIONS in text
    assert settings.SHIPPING_INSTRUCTIONS in text
    assert status_of("VNT-NIKE-WB-001") == ("sold", None)


def test_how_do_i_pay_places_the_order_from_holds(stock, anna):
    hold("VNT-NIKE-WB-001", anna)

    text_of(anna, "how do I pay?")

    assert Order.objects.filter(customer=anna, total=Decimal("45.00")).exists()


def test_how_do_i_pay_with_a_pending_order_repeats_the_instructions(stock, anna, settings):
    hold("VNT-NIKE-WB-001", anna)
    text_of(anna, "buy")

    text = text_of(anna, "how do I pay?")

    order = Order.objects.get(customer=anna)
    assert text.startswith(f"Your order #{order.pk} ($45) is waiting for payment. {settings.PAYMENT_INSTRUCTIONS}")
    assert Order.objects.count() == 1


def test_buy_it_with_nothing_held_holds_and_orders_the_item_in_view(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text_of(anna, "I want to buy it")

    assert Order.objects.get(customer=anna).lines.get().item.sku == "VNT-NIKE-WB-001"


def test_a_whole_sale_from_search_to_stop_one_message_at_a_time(stock, anna):
    texts = ["got any nike jackets in L?", "I'll take it", "I want to buy it", "where is my order?", "STOP", "hi"]

    replies = [say(anna, text) for text in texts]

    first_lines = [None if reply is None else reply.text.splitlines()[0] for reply in replies]
    order = Order.objects.get()
    assert first_lines[0] == "Here's what I have: Nike jackets in L:"
    assert first_lines[1].startswith(f"Done! {NIKE} is on hold for you until ")
    assert first_lines[2] == f"Your order #{order.pk} is in:"
    assert first_lines[3] == f"Order #{order.pk} · 1 item · $45 · awaiting payment"
    assert first_lines[4].startswith("You're unsubscribed")
    assert first_lines[5] is None
    assert (order.total, Item.objects.get(sku="VNT-NIKE-WB-001").status) == (Decimal("45.00"), "sold")


def test_buying_again_what_you_already_ordered_points_to_the_order_not_to_other_stock(stock, anna, settings):
    hold("VNT-NIKE-WB-001", anna)
    text_of(anna, "how do I pay?")
    order = Order.objects.get(customer=anna)

    text = text_of(anna, "I want to buy it")

    assert text.startswith(f"Your order #{order.pk} ($45) is waiting for payment. {settings.PAYMENT_INSTRUCTIONS}")
    assert "already sold" not in text
    assert Order.objects.count() == 1


def test_an_item_you_bought_is_described_as_yours(stock, anna):
    hold("VNT-NIKE-WB-001", anna)
    text_of(anna, "buy")

    text = text_of(anna, "VNT-NIKE-WB-001")

    assert text.splitlines()[0] == f"{NIKE} (in your order)"
    assert text.splitlines()[2] == 'Measurements (flat, inches): pit to pit 24.5", length 28", sleeve 25.5".'
    assert text.splitlines()[-1] == "It's yours: it's in your order. Ask \"where is my order?\" to see how it's going."


def test_an_offer_without_a_piece_lists_only_pieces_still_for_sale(stock, anna, ben):
    shown = listed(text_of(anna, "any jackets?"))
    hold(shown[0].split(" · ")[0], ben)

    text = text_of(anna, "would you take $30?")

    assert text.startswith("Which piece is your offer for?")
    assert listed(text) == shown[1:]


def test_buy_with_nothing_held_explains_how(anna):
    assert text_of(anna, "I want to buy").startswith("You're not holding anything yet.")


def test_a_lowball_is_countered_at_the_floor_and_yes_holds_it_at_that_price(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "would you take $30?")

    assert text == (
        "Thanks for the offer! $30 is a bit low for VNT-NIKE-WB-001 · Vintage Nike Windbreaker, but the shop can do "
        '$36. Say "yes" to have it held for you at that price.'
    )
    assert status_of("VNT-NIKE-WB-001") == ("available", None)

    text = text_of(anna, "yes")

    assert text.startswith(
        "Your offer works! VNT-NIKE-WB-001 · Vintage Nike Windbreaker is on hold for you at $36 until "
    )
    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)
    assert Item.objects.get(sku="VNT-NIKE-WB-001").price == Decimal("45.00")
    assert text_of(anna, "buy").count("$36") >= 1
    assert Order.objects.get().total == Decimal("36.00")


def test_an_offer_at_the_floor_is_accepted_at_once(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "would you take $40?")

    assert text.startswith(
        "Your offer works! VNT-NIKE-WB-001 · Vintage Nike Windbreaker is on hold for you at $40 until "
    )
    assert Offer.objects.get().status == "accepted"


def test_a_second_lowball_gets_a_polite_no(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")
    text_of(anna, "would you take $30?")

    text = text_of(anna, "would you take $32?")

    assert text == (
        "Sorry, the shop can't go that low on VNT-NIKE-WB-001: the price stays $45. I can hold it for you at that price."
    )
    assert status_of("VNT-NIKE-WB-001") == ("available", None)


def test_asking_for_a_discount_without_an_amount(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "any discount?")

    assert text.startswith(f"Prices are set by the owner and I can't change them: {NIKE}.")
    assert not Offer.objects.exists()


def test_an_offer_for_an_item_held_by_someone_else_is_not_recorded(stock, anna, ben):
    hold("VNT-NIKE-WB-001", ben)

    text = text_of(anna, "VNT-NIKE-WB-001 would you do $30")

    assert text == "Sorry, VNT-NIKE-WB-001 isn't available for offers right now."
    assert not Offer.objects.exists()


def test_shipping_returns_and_hold_questions_use_the_shops_settings(anna, settings):
    settings.SHIPPING_INSTRUCTIONS = "Ships from Leeds, tracked, 2 days."
    settings.RETURNS_POLICY = "No returns, sorry."

    assert text_of(anna, "do you ship to canada?") == "Ships from Leeds, tracked, 2 days."
    assert text_of(anna, "can I return it if it doesn't fit") == "No returns, sorry."
    assert text_of(anna, "how long do you hold items?").startswith(
        "I can hold a piece for you for 24 hours, up to 3 at a time."
    )


def test_anything_else_gets_a_short_answer_about_the_shop(anna):
    text = text_of(anna, "what's the weather in paris")

    assert text.startswith("I'm not sure I got that. I can find pieces for you")
    assert len(text) < 400


def test_replies_are_plain_text_within_tiktok_limits(stock, anna):
    for message in ("what do you have", "levis", "the first one", "VNT-NIKE-WB-001 VNT-CARH-DJ-002 VNT-LEVI-501-003"):
        text = text_of(anna, message)
        assert 0 < len(text) <= 6000
        assert "**" not in text and "<" not in text


def test_yes_please_after_an_offer_to_hold_holds_it(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")
    text_of(anna, "would you take $30")  # countered
    text_of(anna, "would you take $25")  # "... I can hold it for you at that price."

    text = text_of(anna, "yes please!")

    assert text.startswith(f"Done! {NIKE} is on hold for you until ")
    assert status_of("VNT-NIKE-WB-001") == ("reserved", anna.pk)


def test_yes_after_a_list_holds_nothing(stock, anna):
    text_of(anna, "any levis?")

    text_of(anna, "yes")

    assert not Item.objects.filter(status="reserved").exists()


def test_asking_for_photos_of_a_piece_without_photos_says_so_and_offers_the_owner(stock, anna):
    text_of(anna, "VNT-NIKE-WB-001")

    reply = say(anna, "can you send more pics of it?")

    assert reply.images == ()
    assert reply.text.splitlines()[0] == (
        f'I don\'t have photos of {NIKE} yet, sorry! The owner can take some for you: just say "human".'
    )


def test_anything_in_my_size_asks_for_the_size(anna):
    assert text_of(anna, "do you have anything in my size?").startswith("Tell me your size (S to XXL")


def test_show_me_more_continues_the_last_search(stock, anna):
    first = listed(text_of(anna, "any jackets?"))

    more = listed(text_of(anna, "show me more"))

    assert len(first) == 5 and len(more) == 3
    assert not set(first) & set(more)
    assert text_of(anna, "more").startswith("That's all I have for jackets right now.")


def test_cheapest_sorts_by_price(stock, anna):
    text = text_of(anna, "whats ur cheapest jacket")

    assert text.startswith("Here's what I have, cheapest first:")
    assert listed(text)[0] == "VNT-ADID-TT-004 · Adidas Firebird Track Jacket · M · $38"


def test_asking_what_the_last_customer_bought_right_after_a_list_is_not_an_order_for_the_last_item(stock, anna):
    text_of(anna, "what do you have?")

    text = text_of(anna, "what did the last customer buy?")

    assert text == (
        "I can't share anything about other customers or act for them, sorry! I can help with your own holds and "
        "orders, or find you something: tell me a brand, size or budget."
    )
    assert not Order.objects.exists()
    assert not Item.objects.filter(status=Item.Status.RESERVED).exists()


def test_the_last_one_still_means_the_last_item_shown(stock, anna):
    shown = listed(text_of(anna, "what do you have?"))

    assert text_of(anna, "tell me about the last one").startswith(shown[-1])


@pytest.mark.parametrize(
    "message", ["i might buy the first one later", "should i buy the first one?", "did anyone buy the first one?"]
)
def test_talking_about_buying_a_piece_just_shown_orders_nothing(stock, anna, message):
    first = listed(text_of(anna, "what do you have?"))[0]

    text = text_of(anna, message)

    assert text.startswith(first)
    assert "Say \"I'll take it\" and I'll hold it for you" in text
    assert not Order.objects.exists()
    assert not Item.objects.filter(status=Item.Status.RESERVED).exists()


def test_when_only_the_brand_matches_the_reply_lists_the_brand_without_saying_there_is_none(stock, anna):
    text = text_of(anna, "any levis with embroidery?")

    assert text == (
        "Here's the closest I have: Levi's pieces:\n"
        + LEVIS_TRUCKER
        + "\n"
        + LEVIS_501
        + '\nWant details on one? Say "the first one" or send the SKU.'
    )


def test_hold_it_and_pay_later_holds_without_ordering(stock, anna):
    first = listed(text_of(anna, "what do you have?"))[0]

    text = text_of(anna, "can you hold the first one? I'll pay later")

    assert text.startswith(f"Done! {first} is on hold for you until ")
    assert not Order.objects.exists()
    assert Item.objects.get(status=Item.Status.RESERVED).sku == first.split(" · ")[0]


def test_ill_take_it_after_a_which_piece_question_holds_nothing(stock, anna):
    # Given the shop asked which piece to hold, with nothing shown yet
    assert text_of(anna, "can u hold it").startswith("Which piece would you like me to hold?")

    # When the customer answers "ill take it"
    text = text_of(anna, "ok ill take it")

    # Then no piece is held: the question's wording named no item the customer could mean
    assert Item.objects.filter(held_by=anna).count() == 0
    assert status_of("VNT-NIKE-WB-001") == ("available", None)
    assert text.startswith("Which piece would you like me to hold?")


@pytest.mark.parametrize("message", ["paid!", "sent the money", "did u get my payment?", "just paid 🙏"])
def test_saying_you_paid_is_thanked_and_left_for_the_owner_to_confirm(stock, anna, settings, message):
    settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."
    hold("VNT-NIKE-WB-001", anna)
    text_of(anna, "buy")
    order = Order.objects.get(customer=anna)

    text = text_of(anna, message)

    assert text == (
        f"Thank you! The owner checks payments by hand and will confirm order #{order.pk} ($45) here as soon as it "
        "shows up. We ship within 2 days."
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_saying_you_paid_with_no_order_asks_for_the_order_first(stock, anna):
    hold("VNT-NIKE-WB-001", anna)

    text = text_of(anna, "i paid")

    assert text == (
        'Thank you! I can\'t see an order for you yet: say "buy" to turn your holds into an order, and the owner '
        "will match your payment to it."
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize("message", ["wat sizes", "is it still avail??", "wat size is it", "how much 4 it"])
def test_dm_shorthand_about_the_piece_just_shown_gets_its_details(stock, anna, message):
    assert listed(text_of(anna, "do u have any carhartt")) == ["VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120"]

    text = text_of(anna, message)

    assert text.startswith("VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120\n")
    assert 'Available! Say "I\'ll take it"' in text


def test_whats_ur_cheapest_stuff_lists_the_cheapest_pieces(stock, anna):
    text = text_of(anna, "whats ur cheapest stuff")

    assert text.startswith(
        "Here's what I have, cheapest first:\nVNT-DICK-874-012 · Dickies 874 Work Pants · W34 L32 · $26\n"
    )


@pytest.mark.parametrize("message", ["do you have it in M", "can i get it in a medium", "does it come in M?"])
def test_asking_for_the_piece_in_view_in_another_size_explains_it_is_one_of_a_kind(stock, anna, message):
    text_of(anna, "do u have any carhartt")

    text = text_of(anna, message)

    assert text == (
        "Every piece here is one of a kind, so the Carhartt Detroit Jacket only comes in L. "
        "Here's what I have in M:\n"
        "VNT-BURB-TREN-016 · Burberry Classic Trench Coat · M · $180\n"
        "VNT-WRNG-TRUC-010 · Wrangler Denim Trucker Jacket · M · $48\n"
        "VNT-TNF-NUP-009 · The North Face Nuptse 700 Puffer · M · $150"
        + '\nWant details on one? Say "the first one" or send the SKU.'
    )
    assert not Item.objects.filter(status=Item.Status.RESERVED).exists()


def test_asking_for_the_piece_in_view_in_its_own_size_gets_its_details(stock, anna):
    text_of(anna, "do u have any carhartt")

    text = text_of(anna, "do u have it in L")

    assert text.startswith("VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120\n")


@pytest.mark.parametrize("message", ["how long do i have", "when does my hold expire?"])
def test_how_long_do_i_have_tells_a_holder_when_their_hold_ends(stock, anna, message):
    held = hold("VNT-NIKE-WB-001", anna)

    text = text_of(anna, message)

    assert text == (
        f"{NIKE} (held for you) until {when(held.held_until)}\n"
        'Say "buy" before then to order. Holds last 24 hours, up to 3 pieces at a time.'
    )


@pytest.mark.parametrize("message", ["lol", "🔥🔥", "lmao ok", "omg"])
def test_a_reaction_gets_a_short_answer_not_the_help_text(anna, message):
    assert text_of(anna, message) == "Anything I can find for you? Tell me a brand, size or budget."


@pytest.mark.parametrize("message", ["u there?", "are you still there??", "anyone there"])
def test_checking_the_shop_is_there_gets_a_short_answer(anna, message):
    assert text_of(anna, message) == "I'm here! What can I find for you? Tell me a brand, size or budget."


def test_fire_emoji_on_the_one_piece_shown_offers_the_hold_and_yes_takes_it(stock, anna):
    text_of(anna, "do u have any carhartt")

    assert text_of(anna, "🔥🔥") == "Glad you like it! Want me to hold it for you?"
    assert text_of(anna, "yes").startswith(
        "Done! VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120 is on hold for you until "
    )
    assert status_of("VNT-CARH-DJ-002") == (Item.Status.RESERVED, anna.pk)


def test_a_search_and_a_shipping_question_in_one_message_both_get_an_answer(stock, anna, settings):
    settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."

    text = text_of(anna, "hi do u have any levis jackets and how much is shipping")

    assert text == (
        "Here's what I have: Levi's jackets:\n"
        + LEVIS_TRUCKER
        + '\nWant details on one? Say "the first one" or send the SKU.\n\nWe ship within 2 days.'
    )


def test_the_nike_one_picks_the_nike_piece_just_listed(stock, anna):
    assert listed(text_of(anna, "wat about jackets in L")) == [
        LEVIS_TRUCKER,
        "VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120",
        NIKE,
    ]

    text = text_of(anna, "the nike one")

    assert text.startswith(NIKE + "\n")
    assert 'Available! Say "I\'ll take it"' in text


AUTHENTICITY = (
    "Every listing says what the piece is, with its era, condition and flaws. For tag photos or anything else "
    'about authenticity, say "human" and the owner will reply here.'
)


def test_is_it_real_gets_what_the_listing_says_and_the_way_to_the_owner(stock, anna):
    assert text_of(anna, "is it real / authentic?") == AUTHENTICITY


def test_is_it_legit_about_the_piece_in_view_says_what_it_is_listed_as(stock, anna):
    text_of(anna, "any tees")

    text = text_of(anna, "is it legit??")

    assert text == (
        "VNT-HARL-TEE-008 · Harley-Davidson 1998 Tour Tee is listed as Harley-Davidson, 90s, condition good. "
        + AUTHENTICITY
    )


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("ok", "👍 Message me any time you're looking for something."),
        ("bye", "Bye for now! Message me any time you're looking for something."),
        ("no thanks", "No problem! Message me any time you're looking for something."),
        ("thx!!", "You're welcome! Message me any time you're looking for something."),
        ("ok thanks", "You're welcome! Message me any time you're looking for something."),
    ],
)
def test_only_thanks_gets_youre_welcome(anna, message, reply):
    assert text_of(anna, message) == reply


def test_hold_it_til_friday_holds_for_the_usual_time_and_says_so(stock, anna):
    text_of(anna, "any carhartt")

    text = text_of(anna, "can u hold it til friday")

    assert text.startswith("Done! VNT-CARH-DJ-002 · Carhartt Detroit Jacket · L · $120 is on hold for you until ")
    assert (
        "\n\nHolds last 24 hours at most, so I can't promise longer: message me before it runs out and I'll extend it."
        "\n\nWhen you're ready" in text
    )
    assert status_of("VNT-CARH-DJ-002") == (Item.Status.RESERVED, anna.pk)


def test_wait_actually_yes_right_after_a_never_mind_holds_the_piece_again(stock, anna):
    text_of(anna, "any levis")
    text_of(anna, "ill take the 2nd one pls")
    assert text_of(anna, "nvm") == "No problem, I've released VNT-LEVI-501-003 · Levi's 501 Jeans. It's back on sale."

    text = text_of(anna, "wait actually yes")

    assert text.startswith("Done! " + LEVIS_501 + " is on hold for you until ")
    assert status_of("VNT-LEVI-501-003") == (Item.Status.RESERVED, anna.pk)


def test_ok_after_a_release_does_not_hold_the_piece_again(stock, anna):
    hold("VNT-LEVI-501-003", anna)
    text_of(anna, "cancel my hold")

    text_of(anna, "ok")

    assert status_of("VNT-LEVI-501-003") == (Item.Status.AVAILABLE, None)


def test_can_i_get_both_holds_both_pieces_just_listed(stock, anna):
    text_of(anna, "any levis")

    text = text_of(anna, "can i get both")

    assert text.startswith("Done! " + LEVIS_TRUCKER + " is on hold for you until ")
    assert status_of("VNT-LEVI-TRUC-015") == (Item.Status.RESERVED, anna.pk)
    assert status_of("VNT-LEVI-501-003") == (Item.Status.RESERVED, anna.pk)


def test_any_womens_says_pieces_are_not_sorted_by_gender_and_asks_for_a_size(stock, anna):
    assert text_of(anna, "any womens?") == (
        "I don't sort pieces as men's or women's: the measurements are the best guide to fit. Tell me a size (S to XXL, "
        "a dress size like 10, a waist like 32) or the kind of piece you're after and I'll look."
    )


def test_mens_levis_searches_the_levis_without_the_gender_word(stock, anna):
    text = text_of(anna, "any mens levis")

    assert text == (
        "I don't sort pieces as men's or women's: the measurements are the best guide to fit. Here's what I have: "
        "Levi's pieces:\n"
        + LEVIS_TRUCKER
        + "\n"
        + LEVIS_501
        + '\nWant details on one? Say "the first one" or send the SKU.'
    )


def test_thats_it_after_a_search_says_that_is_everything(stock, anna):
    text_of(anna, "any levis")

    assert text_of(anna, "thats it?") == "That's all I have for Levi's pieces right now. Want to try something else?"
