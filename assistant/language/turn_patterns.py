"""How the asks of one message relate to each other and to the last turn, as data (checked by `phrases`): where
one ask ends and the next begins ("hold the carhartt and the stussy tee"), conditions on a request ("hold it if you'd
do 40", "make it free"), and short follow-ups of the last turn ("the tee as well", "no wait, the black one").

Each pattern runs on the normalised text with its shorthand spelled out, as those of `patterns` do.
"""

# adds_one_more: "and the patagonia too", "the tee as well" (after a hold: hold that one as well)
ADDS_ONE_MORE = (
    r"^(?:(?:o+h+|ok|okay|and|also|plus)\s+)+(?:the|that|this|those|these)\b|\b(?:too|as well|aswell)[\s!.?]*$"
)

# corrects_the_last: "no wait, the black one" (after a hold: that one instead)
CORRECTS_THE_LAST = (
    r"^(?:(?:no+|nah|wait|sorry|oops|actually|i meant|i mean)[\s,!.]+)+(?:i meant |i mean )?(?:the|that)\b"
)

# wants_to_hear_back: "let me know if it comes back" (join the line for a piece held by someone else)
WANTS_TO_HEAR_BACK = (
    r"\b(?:let me know|tell me|message me|dm me|text me|ping me|notify me) (?:if|when) (?:it|that|this|they|the [a-z0-9' -]{1,40}?)"
    r" (?:comes?|is|gets?|are) (?:back|free|available|released)|\b(?:put|add) me (?:on|in) (?:the )?(?:line|waitlist|wait list|queue)"
    r"|\bwaitlist me\b"
)

# asks_for_free: a condition the shop cannot meet
ASKS_FOR_FREE = r"\b(?:make (?:it|them|that) free|for free|free of charge|on the house|for nothing|throw (?:in|it in|them in|that in))\b"

# waits_long: "and ill pay u next month", "hold it for 2 weeks" (a wait no hold can cover: refused, nothing held)
WAITS_LONG = (
    r"\b(?:next month|in a month|a month|(?:a |one |two |three |few |couple (?:of )?|\d+ )?(?:weeks|months)"
    r"|(?:for|in|after) (?:a |one )?week|next week|pay ?day|when i get paid|get paid)\b"
)

# price_condition: "if you'd do 100", "make it 20", "$60 for the dr martens", "half price"
PRICE_CONDITION = (
    r"\bif (?:you|u)(?:'ll|'d| will| would| can| could)? (?:do|take|accept|go|sell (?:it |them )?for|make it)\b[^.?!]*?\d"
    r"|\b(?:grab|take|get|buy|have|cop) (?:it|them|this|that|these|those|the [a-z0-9' .-]{1,30}?) for \$?\s*\d"
    r"|\blet (?:it|them|this|that|the [a-z0-9' .-]{1,30}?) go for \$?\s*\d|\bdo \$?\s*\d{1,5} (?:on|for) (?:it|them|the)\b"
    r"|\bmake (?:it|them|that) \$?\s*\d|\bhalf (?:price|off)\b|^\$?\s*\d{1,5}\s*(?:\$|dollars|bucks)? for (?:the|it|this|that|them)\b"
)

# asks_half_price
ASKS_HALF_PRICE = r"\bhalf (?:price|off)\b"

# piece_condition: "if it's a size L", "if they're a 32 waist" (the condition's own words in the named group)
PIECE_CONDITION = (
    r"\b(?:only )?if (?:it'?s|it is|its|they'?re|they are|it fits|they fit|it comes|they come|it'?s available)"
    r"\s+(?P<condition>[^.?!]{1,40})"
)

# without_condition: the request without its condition (what is left names the piece)
CONDITION_CLAUSE = (
    r"\b(?:only )?if\b[^.?!]*|\bfor \$?\s*\d{1,5}(?:\.\d{1,2})?\b|\bgo for\b|\bdo \$?\s*\d{1,5} (?:on|for)\b|\band (?:make it|it'?s|its) [^.?!]*|\bmake (?:it|them|that) [^.?!]*?(?=\band\b|$)"
    r"|\bhalf (?:price|off) on\b|^\$?\s*\d{1,5}\s*(?:\$|dollars|bucks)? for\b"
)

# without_what_is_kept
BUT_KEEP = r"\b(?:but|and|while|though) (?:still )?(?:keep|hold on to|leave)\b|,\s*(?:but )?keep\b"

# for_someone_else: a hold asked for another customer by their handle ("hold the nike for my friend @ben"); "for my friend"
# is the customer's own hold (the only person anything can be held for)
FOR_SOMEONE_ELSE = r"\bfor\b[^.?!@]{0,25}@\w+"

# clauses: where one ask of a message ends and the next begins
CLAUSE_BREAK = r"\s*(?:,|;|&|\band\b|\balso\b|\bplus\b)\s*"

# then_holds: "… and hold the adidas track jacket instead"
THEN_HOLDS = r"\b(?:and|then|,)\s+(?:then\s+)?(?P<rest>(?:hold|reserve|grab|take|put)\b.*)$"

# asks_the_stock: a clause that is a search of its own ("do u have any levis in 32")
ASKS_THE_STOCK = (
    r"\b(?:do (?:you|u) have|d'?you have|(?:you|u) got|got any|have (?:you|u) got|any (?:more )?[a-z]+ in)\b"
)

# make_it_amount: "make it 20"
MAKE_IT_AMOUNT = r"\bmake (?:it|them|that) \$?\s*(\d{1,5}(?:\.\d{1,2})?)\b"

# size_asked_alone: "anything in a 34?", "what about in M", "got it in xl?" with nothing else asked (the size group)
SIZE_ASKED_ALONE = (
    r"^(?:(?:ok|okay|and|hmm|what about|how about|anything|any|got any|got anything|do you have any(?:thing)?)\s+)*"
    r"in (?:a |an |size |waist )?(?P<size>xxs|xs|s|m|l|xl|xxl|\d{2})[\s?!.]*$"
)

# keeps_only: "actually just the shorts" with several holds (keep that one, release the rest)
KEEPS_ONLY = r"^(?:(?:actually|ok|okay|no|hmm+|wait)[\s,!.]+)*(?:just|only) (?:the|that|my)\b"

# a_number_alone: "hmm 42?" (after a counter-offer: a new offer on the same piece)
A_NUMBER_ALONE = r"^(?:(?:hmm+|ok|okay|what about|how about|could you do|can you do|can u do|would you do|would u do)\s+)*\$?\s*(\d{1,5})\s*(?:\$|dollars|bucks)?[\s?!.]*$"
