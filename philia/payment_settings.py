"""How customers pay, read from the environment (see `.env.example`): imported by philia/settings.py, which keeps
every name, once `.env` has been read into the environment."""

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from philia.environment import Environment

__all__ = [
    "PAYMENT_PROVIDER",
    "SHOP_CURRENCY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_TIMEOUT_SECONDS",
    "STRIPE_SUCCESS_URL",
    "STRIPE_STALE_EVENT_SECONDS",
    "PAYMENT_METHODS",
    "SHIPPING_FEE",
]

env = Environment()

# How customers pay: "manual" (PAYMENT_INSTRUCTIONS, the order number as the reference) or "stripe".
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="manual")
if PAYMENT_PROVIDER not in ("manual", "stripe"):
    raise ImproperlyConfigured(f'PAYMENT_PROVIDER is "manual" or "stripe", not {PAYMENT_PROVIDER!r}.')
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="usd").lower()
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# Where Stripe sends the customer after paying (or giving up); TikTok is where they came from.
STRIPE_SUCCESS_URL = env.str("STRIPE_SUCCESS_URL", default="https://www.tiktok.com/messages")
# Stripe events still `received` (or `processing`) after this many seconds lost their job: the sweep sends them
# again. Longer than a Stripe event's handling may take (60 s), since nothing else keeps two workers apart.
STRIPE_STALE_EVENT_SECONDS = env.int("STRIPE_STALE_EVENT_SECONDS", default=90)
# Other ways to pay the shop accepts, for "venmo ok?" (plain text; empty: only the instructions above).
PAYMENT_METHODS = env.str("PAYMENT_METHODS", default="")
# Shipping charged once on a live stream's invoice (one order for every piece a buyer won), in SHOP_CURRENCY.
# 0 (the default): shipping is in the prices, as on every other order.
SHIPPING_FEE = Decimal(str(env.float("SHIPPING_FEE", default=0.0))).quantize(Decimal("0.01"))
