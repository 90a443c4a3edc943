"""Everything the assistant says to customers, in the shop's voice: change the wording here, in one place.

Handlers decide *what* to say (which items, which facts); these constants and functions say it. Item
lines, prices and times come from `formatting` (`item_line`, `money`, `when`) already written.

One module per part of a conversation; every public name of each is a `wording.<name>`, so a sentence added
there needs no line here. None of them imports this package.
"""

from assistant.wording.arrivals import *  # noqa: F403
from assistant.wording.browsing import *  # noqa: F403
from assistant.wording.conversation import *  # noqa: F403
from assistant.wording.holds import *  # noqa: F403
from assistant.wording.notices import *  # noqa: F403
from assistant.wording.offers import *  # noqa: F403
from assistant.wording.orders import *  # noqa: F403
from assistant.wording.relative import *  # noqa: F403
