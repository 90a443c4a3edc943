"""Reading a customer's DM, in one place: `language.<check>(text)` for what kind of message it is
(`phrases`), `language.parse_search(text)` for what it asks the stock for (`query`: SKUs, sizes,
measurements, prices, colours, brands, garment words and their synonyms), on text made plain by
`language.normalise` and `language.spelled_out` (`text`: quotes, spacing, DM shorthand).

The garment, size and colour words are shared with the ranking side: `inventory.vocabulary`.
"""

# Every public name of `phrases` is a `language.<name>`: a check added there needs no line here.
from assistant.language.phrases import *  # noqa: F403
from assistant.language.query import find_skus as find_skus
from assistant.language.query import parse_search as parse_search
from assistant.language.text import bare as bare
from assistant.language.text import normalise as normalise
from assistant.language.text import spelled_out as spelled_out
