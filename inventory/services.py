"""Writes to the stock. Every change to an item's status or hold goes through here (orders call
`sell_items` and `put_back_on_sale` inside their own transactions).

Each topic has its own module; this one gathers their public names, the import path the other apps use:
`holds`, `sales`, `waitlists`, `drops`, `catalogue` (new pieces, SKUs, hiding), `item_photos`, and `jobs`
(the work they hand to the worker). None of them imports this module.
"""

from inventory.catalogue import (
    CATEGORY_CODES,
    DESCRIPTIVE_FIELDS,
    SKU_ATTEMPTS,
    SKU_PREFIX,
    add_item,
    add_items,
    brand_code,
    clear_stock,
    duplicate_item,
    generate_sku,
    hide_item,
    unhide_item,
)
from inventory.catalogue import _insert_with_free_sku as _insert_with_free_sku  # its test reaches it here
from inventory.drops import (
    ClaimOutcome,
    DropSettlement,
    check_drop,
    claim_drop_item,
    drop_now,
    remove_from_drop,
    schedule_drop,
    settle_drop_item,
    settling_deadline,
)
from inventory.holds import (
    MAX_HOLD_HOURS,
    claim_hold_reminder,
    expire_hold,
    extend_hold,
    hold_at_least_until,
    release_expired_holds,
    release_hold,
    reserve_item,
)
from inventory.item_photos import (
    add_photo,
    delete_files_after_commit,
    move_photo,
    photo_files_of,
    remove_photo,
    replace_photo,
)
from inventory.jobs import enqueue_drop_settlement, enqueue_waitlist_turn, schedule_hold_timers
from inventory.sales import lock_item_open_to, put_back_on_sale, sell_items, sell_items_on_sale
from inventory.waitlists import (
    WaitlistTurn,
    join_waitlist,
    leave_waitlist,
    pass_to_waitlist,
    tell_waiting_customer,
)

__all__ = [
    # holds
    "MAX_HOLD_HOURS",
    "reserve_item",
    "release_hold",
    "expire_hold",
    "release_expired_holds",
    "extend_hold",
    "hold_at_least_until",
    "claim_hold_reminder",
    # sales
    "sell_items",
    "put_back_on_sale",
    "sell_items_on_sale",
    "lock_item_open_to",
    # waitlists
    "join_waitlist",
    "leave_waitlist",
    "WaitlistTurn",
    "pass_to_waitlist",
    "tell_waiting_customer",
    # drops
    "schedule_drop",
    "check_drop",
    "remove_from_drop",
    "claim_drop_item",
    "drop_now",
    "settling_deadline",
    "ClaimOutcome",
    "DropSettlement",
    "settle_drop_item",
    # catalogue
    "DESCRIPTIVE_FIELDS",
    "SKU_PREFIX",
    "CATEGORY_CODES",
    "SKU_ATTEMPTS",
    "brand_code",
    "generate_sku",
    "add_item",
    "duplicate_item",
    "add_items",
    "hide_item",
    "unhide_item",
    "clear_stock",
    # item photos
    "add_photo",
    "replace_photo",
    "move_photo",
    "remove_photo",
    "photo_files_of",
    "delete_files_after_commit",
    # jobs
    "schedule_hold_timers",
    "enqueue_waitlist_turn",
    "enqueue_drop_settlement",
]
