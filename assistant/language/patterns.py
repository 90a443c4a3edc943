"""The words and phrases customers use, as data: the sets and regular expressions `phrases` checks a message
against. Add a phrase here; the check that reads it is named in the comment above it (`phrases.<check>`).

Each pattern runs on the normalised text with its shorthand spelled out (`text.normalise`, then
`text.spelled_out`).
"""

import re

STOP_MESSAGES = {
    "stop",
    "stop all",
    "stopall",
    "unsubscribe",
    "opt out",
    "optout",
    "stop messaging me",
    "stop messages",
    "stop texting me",
    "stop sending me messages",
    "stop sending messages",
    "cancel messages",
    "end",
    "quit",
}


START_MESSAGES = {"start", "unstop", "subscribe", "opt in", "optin", "start again", "resume", "start messages"}


GREETING = re.compile(
    r"^(?:hi+|hey+|hello+|helo|hiya|heya|yo+|sup|hola|howdy|good (?:morning|afternoon|evening)|what'?s up|wassup|hii+)"
    r"(?: there| guys| babe| girl| hun)?\b[\s!.,?~]*"
)


LIKING_EMOJI = re.compile(
    "[\U0001f525\u2764\U0001f60d\U0001f929\U0001f440\U0001f4af\U0001f64c\U0001f44d\U0001f970\U0001f496\U0001f497]"
)


MONEY = re.compile(r"\$\s*(\d{1,5}(?:\.\d{1,2})?)|(\d{1,5}(?:\.\d{1,2})?)\s*(?:\$|dollars|bucks|usd)")


OFFER_NUMBER = re.compile(
    r"\b(?:take|do|accept|offer|pay|give you|give|go|sell (?:it|that|this)? ?for|for|at)\s+\$?\s*(\d{1,5}(?:\.\d{1,2})?)\b"
)


ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "top": 0,
    "bottom": -1,
}


SEARCH_CUE = re.compile(
    r"\b(any|anything|got|have|has|looking|look|show|need|want|search|find|sell|selling|do you|d'?you|u have|in stock|carry"
    r"|something|some|options?|more)\b|\?"
)


PAYMENT_METHOD_NAMES = {
    r"venmo": "Venmo",
    r"cash ?app": "Cash App",
    r"zelle": "Zelle",
    r"apple ?pay": "Apple Pay",
    r"google ?pay|g ?pay": "Google Pay",
    r"pay ?pal": "PayPal",
    r"klarna": "Klarna",
    r"after ?pay": "Afterpay",
    r"crypto|bitcoin|btc|eth": "crypto",
    r"(?:credit |debit )?cards?": "card",
}


PAYING_WITH = re.compile(
    r"\b(?:(?:can|could|may) (?:i|u|you|we) )?(?:pay|paying|payment)(?: (?:with|by|via|using|through|in|for it with))? ?"
    r"(?:(?:a |my |your )?[a-z]+(?: ?(?:app|pay|card))?)?(?=[\s?!.,]|$)"
)


GENDER_WORD = re.compile(r"\b(?:wom[ae]n'?s?|ladies|m[ae]n'?s?|unisex|female|male|feminine|masculine)\b")


# --- one pattern per check (`phrases.<check>`) ---

# wants_human
WANTS_HUMAN = (
    r"\b(human|real person|actual person|live person|someone real|real human|(?:talk|speak|chat|message) (?:to|with)"
    r" (?:someone|somebody|the owner|an? (?:person|human|manager|agent)|you guys|staff|a real|the manager|a manager|the shop owner)"
    r"|(?:get|want|need) (?:me )?(?:the owner|a person|someone real|a human)|is (?:the owner|anyone|someone) (?:there|around|available)"
    r"|(?:owner|person|human) (?:please|pls)|live agent|real agent|an agent|customer service|customer support|not a bot"
    r"|stop being a bot)\b"
)

# (wants_human) asks to talk to someone, not only who is writing
ASKS_TO_TALK = r"\b(?:talk|speak|chat|get|want|need|connect|put me through|hand me)\b"

# asks_order_status
ASKS_ORDER_STATUS = (
    r"\b(where'?s? (?:is )?my (?:order|package|parcel|stuff|item|items|jacket|delivery)|order status"
    r"|status of my order|(?:did|have|has) (?:you|it|they|my order|my package) (?:been )?(?:ship|shipped|send|sent|post|posted)"
    r"|did my order go through|what(?:'s| is| was) in my order|how much do i owe|what do i owe"
    r"|(?:did|has|have) my [a-z0-9' ]{1,30}? (?:get|gotten|been) (?:sent|shipped|posted)(?: out)?|(?:did|has|have) my [a-z0-9' ]{1,30}? (?:ship|shipped|been shipped|been sent|go out|gone out)"
    r"|ship(?:ped)? yet|sent yet|posted yet|is it shipped|tracking|track (?:my|it|the)|when (?:will|does|do) (?:it|my order|they|i get)"
    r"(?: it)? (?:arrive|ship|come|get here)|my orders?\?|what did i order|check (?:on )?my order|order update|update on my order)\b"
)

# says_paid
SAYS_PAID = (
    r"^(?:(?:ok |okay |done |just |i |i've |i have |i just |ive |just now )*(?:paid|payed)(?: it| now| already| you| u)?|done paying)\b"
    r"|\b(?:i'?ve|i have|i|just|already) (?:paid|payed|sent (?:the |my |you the |u the |you |u )?(?:money|payment|cash|funds|it over))"
    r"|\b(?:sent|transferred) (?:the |my |you the |u the |you |u )?(?:money|payment|cash|funds)"
    r"|^(?:(?:ok |okay |done |just |i |i've |i have |i just |ive |all )*sent (?:it|it over|you it|u it)(?: now| already| just now)?[\s!.]*$)"
    r"|\b(?:money|payment|cash) (?:is |has been )?(?:sent|done|made)"
    r"|\b(?:did|have) (?:you|u) (?:get|receive|received|see|seen) (?:the money|my money|my payment|the payment|payment)\b"
    r"|^(?:did|have) (?:you|u) (?:get|receive|received) it(?: yet)?[\s?!.]*$"
)

# is_thanks
IS_THANKS = (
    r"^(?:ok(?:ay)?|k|kk|cool|great|perfect|awesome|amazing|nice|sweet|got it|sounds good|alright|will do|love it"
    r"|thanks?|thank you|thx|thnx|ty|tysm|cheers|appreciate it|you'?re the best|bye|see ya|no thanks?|nope|nah)"
    r"(?:[\s,!.]+(?:so much|a lot|you|again|babe|!|so|much|x+|<3|ok|then|bye|thanks?|thank you|thx|ty|tysm|cool|great))*"
    r"[\s!.,:)x<3]*$"
)

# says_thanks
SAYS_THANKS = r"\b(thanks?|thank you|thx|thnx|ty|tysm|cheers|appreciate it|you'?re the best)\b"

# says_bye
SAYS_BYE = r"\b(bye|see ya|cya|later|ttyl)\b"

# asks_if_there
ASKS_IF_THERE = (
    r"^(?:hello+ )?(?:(?:are )?you (?:still )?there|still there|anyone (?:there|home|around)|helloo+)\b[\s?!.]*$"
)

# is_reaction
IS_REACTION = (
    r"^(?:lol+|lmao+|lmfao|haha+|hahah\w*|hehe+|omg+|wow+|o+h+|ooo+|yay+|slay|bet|fr|ikr|damn|dang|no way|wait what|xd)"
    r"(?: (?:lol+|lmao+|haha+|ok|okay|omg|fr|wow))*$"
)

# likes_it
LIKES_IT = r"\b(?:slay|obsessed|so cute|love (?:it|this|that))\b"

# pays_a_compliment: "ur page is so cute", "love your shop", "your stuff is fire"
PAYS_A_COMPLIMENT = (
    r"\b(?:(?:ur|your|you'?re|this|the) (?:page|shop|store|account|stuff|pieces|clothes|feed|vibe|taste|fits)"
    r" (?:is|are|r|looks?|be)? ?(?:so |really |rly |literally |honestly |lowkey |actually )*"
    r"(?:cute|amazing|fire|goals|the best|perfect|great|gorgeous|beautiful|stunning|iconic|elite|immaculate|unreal)"
    r"|love (?:ur|your|this) (?:page|shop|store|account|stuff|feed|vibe|taste))\b"
)

# asks_if_bot
ASKS_IF_BOT = (
    r"\b((?:are|r) (?:you|u) (?:a |an )?(?:bot|robot|ai|real|human)|is this (?:a |an )?(?:bot|ai|automated|real person)"
    r"|who (?:is this|are you)|(?:you|u)(?:'re| are| r) (?:a |an )?(?:bot|robot|ai)\?)\b"
)

# wants_release
WANTS_RELEASE = (
    r"\b(cancel (?:my |the |that |this )?(?:hold|holds|reservation|reserve)|cancel (?:it|that|the hold)|release|unhold|un-hold"
    r"|unreserve|un-reserve|remove (?:my |the )?hold|drop (?:my |the )?hold|don'?t want (?:it|them|that|this|the)"
    r"|don'?t (?:really |actually )?need (?:it|them|that|the)|no longer (?:want|need)|changed my mind|let it go|put it back|stop holding"
    r"|(?:take|remove) (?:the |my |that |this )?[a-z0-9' ]{0,30}?off (?:my |the )?holds?)\b"
    r"|^(?:(?:ok|okay|actually|wait|pls|please|can you|can u|could you|could u)[\s,]+)*(?:drop|ditch|scrap|lose) "
    r"(?:the|my|that|this|those|these) (?!link|date|time|drop)"
)

# wants_payment_link
PAYMENT_LINK = r"\b(?:payment|pay|checkout|stripe) link\b"

# wants_payment_link
LINK_WORD = r"\blink\b"

# wants_payment_link
LINK_TROUBLE = (
    r"\b(?:send|resend|re-send|again|expired?|new|another|fresh|lost|broken|dead|didn'?t (?:get|come|work)"
    r"|not working|doesn'?t work|won'?t (?:work|open|load))\b"
)

# wants_order_cancelled
WANTS_ORDER_CANCELLED = (
    r"\b(?:cancel|cancell?ing|scrap|call off) (?:my |the |that |this |our )?(?:whole )?(?:order|purchase)s?\b"
    r"|\b(?:don'?t|do not|no longer) want (?:my |the |that |this )?order\b"
)

# says_just_cancel
SAYS_JUST_CANCEL = (
    r"^(?:(?:wait|actually|oh|sorry|no|hmm+|ok|can you|can u|pls|please)[\s,!.]+)*"
    r"cancel(?: it| that| this)?(?:[\s,!.]+(?:please|pls|plz|sorry|thanks|ty))*[\s!.?]*$"
)

# is_soft_no
IS_SOFT_NO = (
    r"\b(never ?mind|nvm|not interested|no longer interested|pass on (?:it|that)|i'?ll pass|maybe later|forget it)\b"
)

# wants_buy
WANTS_BUY = (
    r"\b(buy|buying|purchase|check ?out|pay|paying|payment|order (?:it|them|this|that|these|those|both|all)"
    r"|place (?:an |my |the )?order|ready to order|(?:i )?want to order|proceed|send (?:me )?(?:the |an )?invoice|invoice"
    r"|i'?ll pay|ready to pay|complete (?:the |my )?(?:order|purchase)|cop it|copping)\b"
)

# is_tentative
IS_TENTATIVE = (
    r"\b(might|maybe|should i|shall i|thinking (?:about|of)|considering|not sure|undecided|deciding|later|tomorrow"
    r"|next (?:week|month)|(?:did|has|have) (?:anyone|anybody|someone|somebody)"
    r"|(?:once|when|after|before|if) (?:i|u|you) (?:pay|paid|buy|bought|order|ordered|purchase))\b"
)

# wants_hold
WANTS_HOLD = (
    r"\b(i'?ll take|i will take|i'?ll get|i'?ll have|take (?:it|them|this|that|both|the)|hold|reserve|save (?:it|this|that|them|the)"
    r"|put (?:it|this|that|them) (?:aside|on hold|away)|set (?:it|this|that) aside|dibs|claim|i want (?:it|this|that|them|both|the|one)"
    r"|i'?d like (?:it|this|that|them|the)|can i (?:get|have|grab) (?:it|this|that|them|the|both)|i need (?:it|this|that)|gimme|give me (?:it|that|the)"
    r"|i'?ll grab|grab (?:it|that|the)|mine|sold to me|want it)\b"
    r"|^(?:both|all|all of them|both of them|them both|all three|all 3)(?: please| pls| plz)?[^a-z0-9]*$"
)

# asks_longer_hold
ASKS_LONGER_HOLD = (
    r"\b(?:til+|until|untill|unt?il) (?:mon|tue|wed|thu|fri|sat|sun|tomorrow|next|the weekend|payday|the \d|\d)"
    r"|\bfor (?:a |\d+ |a few |few |a couple (?:of )?|couple (?:of )?)?(?:days?|weeks?|weekend)\b|over the weekend|\bnext week\b"
)

# asks_hold_policy
ASKS_HOLD_POLICY = (
    r"\bhow long (?:do|does|can|will|would) (?:you |a |the )?(?:hold|holds|reserve|reservation)|how long is (?:a |the |my )?hold"
    r"|holds? last|how long do i have|how (?:much|long) time do i have|when does (?:my |the )?hold (?:end|expire|run out)"
    r"|how long (?:is it|will it be|are they) (?:held|on hold|reserved)"
    r"|can (?:you|u) (?:hold|reserve) (?:things|stuff|items|pieces|anything)|first come,? first serve"
    r"|how many (?:things |items |pieces |holds )?(?:can|may) (?:i|you|u) (?:hold|reserve|have|put on hold|keep on hold)"
    r"|(?:does|do|is) (?:holding|a hold|holds|reserving)(?: a piece| something| it)? (?:cost|free|charge)"
    r"|do i (?:have|need) to (?:buy|pay)(?: for)?(?: it| them| this| that)? (?:right )?(?:now|straight away|immediately|today)"
)

# asks_about_my_holds
ASKS_ABOUT_MY_HOLDS = (
    r"\b(?:what(?:'s| is| are)? (?:on hold|held|reserved) (?:for me|for you|under my name)|what (?:do|did) i have "
    r"(?:on hold|held|reserved)|what have i (?:got )?(?:on hold|held|reserved)|what am i holding|what i'?m holding"
    r"|am i (?:still )?holding|what(?:'s| are) my holds|my holds\?|list my holds"
    r"|(?:is|are) my [a-z0-9' -]{1,40}? (?:still )?(?:on hold|held|reserved)|(?:is|are) (?:the |my )?[a-z0-9' -]{1,40}? still mine"
    r"|did (?:my|the) holds? (?:run out|expire|end)|(?:everything|all) (?:i'?m|i am) holding|all my holds)"
)

# asks_order_contents
ASKS_ORDER_CONTENTS = r"\b(?:what(?:'s| is| was) in my order|what did i (?:order|buy|get))\b"

# refers_to_the_other: "the other one" (of the two last talked about)
REFERS_TO_THE_OTHER = r"\bthe other (?:one|jacket|tee|piece|pair)\b|^(?:and |what about |how about )?the other\b"

# refers_to_own_holds
REFERS_TO_OWN_HOLDS = (
    r"\b(?:the (?:one|piece|thing|jacket|item)s? (?:that )?(?:i'?m|i am|i'?ve been) holding|(?:the )?one i (?:held|put on hold|reserved)"
    r"|the one on hold for me|my (?:hold|reserved one|held one))\b"
)

# asks_how_much
ASKS_HOW_MUCH = r"\b(?:how much|total|together|altogether|in all)\b"

# asks_if_held
ASKS_IF_HELD = (
    r"\b(?:is|was|are|were) (?:it|this|that|this one|that one|they|these|those|the [a-z0-9' -]{1,40}?) (?:still |already )?"
    r"(?:on hold|held|reserved)\b|\b(?:did|has) (?:someone|somebody|anyone|anybody) (?:already )?"
    r"(?:grab|grabbed|take|taken|buy|bought|hold|held|claim|claimed|reserve|reserved|get|got)\b"
)

# is_offer
IS_OFFER = (
    r"\b((?:would|will|could|can|do|ok) (?:you|u) (?:do|take|accept|go|sell (?:it |this |that )?for|let (?:it|this|that) go for) (?:it |this |that )?(?:for |at )?\$?\d"
    r"|(?:take|do|accept|go) (?:a little |a bit )?(?:less|lower)|best price|lowest|(?:any|a|some) discounts?|discount"
    r"|negotiable|nego|obo|or best offer|make (?:an|you an) offer|my offer|an offer of|offer you|i offer|offer \$?\d|(?:any|best) offers?"
    r"|lower (?:the |your )?price|go lower|knock (?:off|down|it down)|deal\?|take \$?\d|do \$?\d"
    r"|\$?\d+ for (?:it|this|that|both)|\$\d+ (?:ok|okay|instead)|price drop|drop the price|reduce the price|bundle deal)"
)

# asks_details
ASKS_DETAILS = (
    r"\b(tell me (?:more )?about|more (?:info|information|details|pics|pictures|photos)|details?|measurements?|measure"
    r"|how (?:big|long|wide|much)|what sizes?|which sizes?|what(?:'s| is) the size|size\?|condition|flaws?|stains?|holes?|damage"
    r"|still (?:available|there|for sale|in stock|up|have)|available\?|is (?:it|that|this|the .{1,40}?) (?:still )?(?:available|there|for sale|in stock|sold|gone)"
    r"|still around|still got|can i see (?:it|that|this|the)|sold\?|gone\?|price|prices|how much|cost|pit to pit|p2p|length|material|fabric|made of|what color|what colour"
    r"|pics?|pictures?|photos?)\b"
)

# ordinal
ORDINAL_WORD = (
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|top|bottom)\b"
    r"(?! (?:time|order|week|day|night|month|year|customer|buyer|person|people|guy|girl))"
)

# ordinal
ORDINAL_NUMBER = r"(?:#|\bnumber |\bno\.? ?|\bnum )([1-9])\b"

# ordinal
ORDINAL_ALONE = r"\b(?:the )?([1-5]) ?(?:one|pls|please)?$"

# asks_about_other_customers
ASKS_ABOUT_OTHER_CUSTOMERS = (
    r"\b((?:last|previous|other|another|next|that) (?:customer|buyer|person|people)'?s?|(?:all|every|other) (?:the )?customers?"
    r"|customers'|everyone(?: else)?'?s (?:orders?|holds?|address))"
)

# refers_to_several
REFERS_TO_SEVERAL = (
    r"\b(both|all of them|them all|all three|all 3|all two|these|those|them|all of those|all of these)\b"
)

# refers_to_everything
REFERS_TO_EVERYTHING = r"\b(everything|every item|every piece|all items|all the items|all your|entire|whole shop|whole store|all of it|all stock)\b"

# refers_definitely
REFERS_DEFINITELY = r"\b(the|that|this|it|those|these|them|its|it's)\b"

# points_at_one
POINTS_AT_ONE = r"\b(?:the|that|this) (?:[a-z0-9'-]+ ){1,3}one\b"

# refers_to_it
REFERS_TO_IT = r"\b(it|that|this|that one|this one|the one)\b"

# asks_browse
ASKS_BROWSE = (
    r"\b(what (?:do|d'?you|else do) (?:you|u) (?:have|got|sell)|what(?:'s| is) (?:new|available|in stock)|new (?:drops?|arrivals?|stuff|items|in)"
    r"|any (?:new )?drops?|latest|just in|show me (?:what|everything|some|stuff)|what you got|what have you got|inventory|catalog(?:ue)?"
    r"|browse|what'?s available|anything (?:new|good|cool)|restock|stock)\b"
)

# faq_topic
FAQ_AUTHENTICITY = (
    r"\b(authentic|authenticity|legit|genuine|fake|fakes|replica|rep|bootleg|counterfeit)\b"
    r"|\b(?:is|are) (?:it|this|that|they|these|those|the [a-z0-9' -]{1,30}?) (?:real|legit|og)\b"
)

# faq_topic
FAQ_OFFERS = (
    r"\b(?:(?:do|does|would|will) (?:you|u) (?:take|accept|do|consider) offers|open to offers|(?:is|are) (?:the )?prices?"
    r" (?:negotiable|firm|fixed)|negotiable|best offer|obo|can (?:i|we) (?:make an offer|haggle|negotiate))\b"
)

# faq_topic
FAQ_RETURNS = r"\b(return|returns|refund|refunds|exchange|send it back)\b"

# faq_topic
FAQ_SHIPPING = r"\b(ship|shipping|deliver|delivery|postage|post it|international|worldwide|how long (?:does|will) (?:it|shipping) take|pick ?up|collect|local pickup|where are you (?:based|located))\b"

# faq_topic
FAQ_PAYMENT = r"\b(paypal|venmo|cash ?app|zelle|apple pay|card|credit card|payment methods?|how (?:can|do) i pay|ways to pay|accept)\b"

# faq_topic
FAQ_SIZING = (
    r"\b(size guide|sizing|run small|run large|runs small|runs big|true to size|tts|will it fit|would it fit|fit me)\b"
)

# asks_payment_method
ASKS_PAYMENT_METHOD = r"\?|\b(?:can|could|may) (?:i|u|we)|\b(?:do|does) (?:you|u)|\btake|\baccept|\bok\b|\bokay|\bwork|\bpay (?:with|by|via|using)"

# asks_payment_method: a question whether the customer may do something ("can i buy it with venmo?")
ASKS_IF_I_CAN = r"^(?:(?:and|so|also|ok|hey|hi)\s+)*(?:can|could|may) (?:i|we)\b"

# is_yes
IS_YES = (
    r"^(?:(?:wait|actually|oh|hmm+|um+|ok|nvm|lol)[\s,!.]+)*"  # "wait actually yes"
    r"(?:yes+|yeah+|yep|yup|ya|yas+|sure|ok(?:ay)?|okie|please|please do|yes please|go ahead|do it|definitely|absolutely"
    r"|of course|why not|sounds good|deal|perfect)(?:[\s,!.]+(?:please|pls|plz|thanks|thank you|ty|do it|hold it|go ahead))*[\s!.]*$"
)

# takes_back
TAKES_BACK = r"\b(wait|actually|yes+|yeah+|yep|yup)\b"

# asks_for_photos
ASKS_FOR_PHOTOS = r"\b(pics?|pictures?|photos?|images?|video|on body|modeled|try (?:it )?on)\b"

# asks_other_size
ASKS_OTHER_SIZE = (
    r"\b(?:it|this|that|this one|that one|one|them)(?: come| comes| available)? in (?:a |an |size |waist )?[a-z0-9]"
    r"|\bhave (?:the|that|those|these) [a-z0-9' -]{1,30}? in (?:a |an |size |waist )?[a-z0-9]"
)

# asks_about_my_size
ASKS_ABOUT_MY_SIZE = r"\b(my size|in my size|for my size|what size should i|which size should i)\b"

# wants_more
WANTS_MORE = (
    r"^(?:show (?:me )?more|more|more please|any more|anymore|anything else|what else|other options|more options|next"
    r"|is that (?:it|all)|(?:that'?s it|that'?s all|nothing else|only (?:that|those|one|two))\s*\?)"
)

# asks_waitlist_place
ASKS_WAITLIST_PLACE = (
    r"\b(still in line|in line\?|my place in line|where am i (?:in|on) (?:the )?(?:line|list|waitlist|queue)"
    r"|(?:my )?(?:waitlist|waiting list) (?:place|spot|position)|am i (?:still )?(?:on|in) (?:the )?(?:waitlist|list|queue|line))\b"
)

# wants_off_waitlist
WANTS_OFF_WAITLIST = (
    r"\b((?:take|get|remove) me (?:off|out of|from) (?:the |that |this |your )?(?:list|waitlist|waiting list|line|queue)"
    r"|leave (?:the )?(?:waitlist|line|queue)|(?:cancel|drop) (?:my )?(?:waitlist|place in line|spot in line))\b"
)
