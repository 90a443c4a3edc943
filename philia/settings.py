"""Settings for Philia Thrifts, all read from the environment (see `.env.example`).

The shop always runs on PostgreSQL and Redis. With DATABASE_URL / REDIS_URL unset, those are the project's own
embedded servers (`philia.embedded`: data in `var/`, started by the first command that needs them); set, the
same code runs against the servers they name, as in production.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from philia.environment import (
    Environment,
    postgresql_database,
    use_embedded_servers_unless_named,
    with_redis_timeouts,
)
from philia.observability import report_errors_to_sentry
from philia.observability.logs import logging_config
from philia.web_settings import *  # noqa: F403  (MIDDLEWARE, TEMPLATES)

BASE_DIR = Path(__file__).resolve().parent.parent


env = Environment()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Fails closed, like the TikTok secret: with DEBUG off the site refuses to start on the public built-in key,
# which would let anyone forge sessions and signed values. Only local use (DEBUG on) may fall back to it.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set: with DEBUG off the site will not start without one.")
    SECRET_KEY = "django-insecure-embedded-only-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its `crontab` (a scheduler that survives Redis restarts) wins over dramatiq_crontab's one.
    "philia",
    # The admin with the shop's own site (Today as its home, the shop's sections before the technical ones).
    "philia.admin_config.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "django_dramatiq",
    "dramatiq_crontab",
    "import_export",
    "inventory",
    "conversations",
    "orders",
    "propositions",
    "tiktok",
    "assistant",
    "live",
    "notifications",
]

ROOT_URLCONF = "philia.urls"
WSGI_APPLICATION = "philia.wsgi.application"

# --- Database -------------------------------------------------------------------------------------

# Unset, DATABASE_URL and REDIS_URL name the project's own servers (philia/embedded), started if need be.
use_embedded_servers_unless_named(env)
DATABASES = {"default": postgresql_database(env)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker (Dramatiq) ----------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL")
# Seconds any Redis client waits to connect and for an answer (unless REDIS_URL's query sets its own). Short:
# an unreachable or frozen Redis must not hold a webhook request (the enqueue after commit) for long.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=3.0)
# After an enqueue fails, the webhook stops trying the broker for this many seconds (the event is stored
# and the sweep enqueues it), so a Redis outage costs one timeout, not one per delivery.
BROKER_CIRCUIT_SECONDS = env.float("BROKER_CIRCUIT_SECONDS", default=5.0)
# A worker that sent no heartbeat to Redis for this long is dead: its unacknowledged messages go back to
# their queues at the next maintenance, which runs on DRAMATIQ_MAINTENANCE_CHANCE broker commands per million.
DRAMATIQ_HEARTBEAT_TIMEOUT = env.int("DRAMATIQ_HEARTBEAT_TIMEOUT", default=20)
DRAMATIQ_MAINTENANCE_CHANCE = env.int("DRAMATIQ_MAINTENANCE_CHANCE", default=20_000)
# Dead-lettered messages (a job out of retries) are kept in Redis this many days.
DRAMATIQ_DEAD_MESSAGE_DAYS = env.int("DRAMATIQ_DEAD_MESSAGE_DAYS", default=7)
REDIS_URL = with_redis_timeouts(REDIS_URL, connect=REDIS_CONNECT_TIMEOUT, answer=REDIS_SOCKET_TIMEOUT)
DRAMATIQ_MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    # The job's own message (its retries), for what a job does differently when retried (send_message).
    "dramatiq.middleware.CurrentMessage",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    # The ids a job is about (its actor's `event_id`, `order_id`, ... arguments) on its log lines and Sentry events.
    "philia.observability.ids.JobIdsMiddleware",
]
DRAMATIQ_BROKER: dict[str, Any] = {
    "BROKER": "philia.queues.ShopRedisBroker",
    "OPTIONS": {
        "url": REDIS_URL,
        "namespace": env.str("DRAMATIQ_NAMESPACE", default="philia"),
        "heartbeat_timeout": DRAMATIQ_HEARTBEAT_TIMEOUT * 1000,
        "maintenance_chance": DRAMATIQ_MAINTENANCE_CHANCE,
        "dead_message_ttl": DRAMATIQ_DEAD_MESSAGE_DAYS * 86_400_000,
    },
    "MIDDLEWARE": DRAMATIQ_MIDDLEWARE,
}
DRAMATIQ_RATE_LIMITER_BACKEND = {
    "BACKEND": "dramatiq.rate_limits.backends.redis.RedisBackend",
    "BACKEND_OPTIONS": {"url": REDIS_URL},
}
DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# `manage.py crontab` (philia's own, around dramatiq-crontab): the scheduler's lock in Redis lasts this long and
# is renewed every third of it; lost (Redis restarted), it is taken again.
SCHEDULER_LOCK_SECONDS = env.int("SCHEDULER_LOCK_SECONDS", default=15)

# --- Auth, i18n, static ---------------------------------------------------------------------------

# django-axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# One way of writing dates everywhere in the admin (philia/formats/en/formats.py), in TIME_ZONE.
FORMAT_MODULE_PATH = ["philia.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (item photos). Local disk by default; any Django storage backend (django-storages' S3,
# Google Cloud, Azure, ...) by naming it in MEDIA_STORAGE with its options as JSON in MEDIA_STORAGE_OPTIONS.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# Let Django itself serve MEDIA_ROOT at MEDIA_URL (development, or one small machine with no proxy in front).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {
        "BACKEND": env.str("MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# --- Security (production: DEBUG=false) -----------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and container health checks call /health over plain HTTP, and Prometheus scrapes /metrics on
# the private network, straight from gunicorn.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Admin login throttle (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; `manage.py axes_reset` unlocks everyone.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Not verbose: no "AXES: BEGIN" line on stderr before every manage.py command; lockouts are still logged.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "philia.security.lockout_response"
# Behind a reverse proxy REMOTE_ADDR is the proxy: with PROXY_COUNT proxies in front (each appending to
# X-Forwarded-For), the client's address is taken from that header instead.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "philia.security.client_ip_address"

# --- Logging, errors (Sentry), metrics (Prometheus) -------------------------------------------------
# docs/operations.md: wiring Sentry, Prometheus and log shipping in production.

# "text" (readable, the default) or "json": one JSON object a line (time, level, logger, message, the record's
# extra= fields and the ids of the work in hand, philia/observability/ids.py), for a log shipper.
LOG_FORMAT = (env.str("LOG_FORMAT", default="") or "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f'LOG_FORMAT is "text" or "json", not {LOG_FORMAT!r}.')
if LOG_FORMAT == "json":
    # Python's warnings (a library's UserWarning at start-up) become log records too, and so JSON lines.
    logging.captureWarnings(True)
LOGGING = logging_config(format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Errors to Sentry, only with SENTRY_DSN (unset: sentry_sdk is not even imported). Events are tagged with the
# environment, the release (unset: the git commit when there is one) and the ids of the work in hand; what
# customers wrote, their names and addresses are kept out unless SENTRY_SEND_PII is true.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_SEND_PII = env.bool("SENTRY_SEND_PII", default=False)
# The share of requests and jobs traced for Sentry's performance pages, from 0 (none) to 1 (all).
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_TRACES_SAMPLE_RATE > 1:
    raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE is a share from 0 to 1, not {SENTRY_TRACES_SAMPLE_RATE:g}.")
# Here, before the apps load: the Dramatiq integration must see the broker being made.
report_errors_to_sentry(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=SENTRY_RELEASE,
    send_pii=SENTRY_SEND_PII,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)

# GET /metrics (Prometheus' text format) answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- The shop -------------------------------------------------------------------------------------


HOLD_HOURS = env.hours("HOLD_HOURS", 24)
if not HOLD_HOURS:
    raise ImproperlyConfigured("HOLD_HOURS must be more than 0.")
MAX_HOLDS_PER_CUSTOMER = env.int("MAX_HOLDS_PER_CUSTOMER", default=3)
# One reminder this many hours before a hold runs out (0: none).
HOLD_REMINDER_HOURS = env.hours("HOLD_REMINDER_HOURS", 2)
# When a piece frees up, hold it for the first waiting customer (false: only tell them it is available).
WAITLIST_AUTO_HOLD = env.bool("WAITLIST_AUTO_HOLD", default=True)
# A drop item's claims are collected for this many seconds from the first claim's webhook receipt.
DROP_SETTLE_SECONDS = env.float("DROP_SETTLE_SECONDS", default=2.0)
# The longest a drop item waits for claims still being handled before it is settled anyway.
DROP_SETTLE_MAX_WAIT_SECONDS = env.float("DROP_SETTLE_MAX_WAIT_SECONDS", default=300.0)
# For this many minutes after a drop's time (and, once claimed, until settled) its pieces are live: a message that
# only names one ("the varsity jacket!!") claims it, and so does "mine!" when one piece is dropping.
DROP_CLAIM_MINUTES = env.float("DROP_CLAIM_MINUTES", default=10.0)
if DROP_CLAIM_MINUTES < 0:
    raise ImproperlyConfigured(f"DROP_CLAIM_MINUTES is a number of minutes, at least 0, not {DROP_CLAIM_MINUTES}.")
LIVE_SETTLE_SECONDS = env.float("LIVE_SETTLE_SECONDS", default=2.0)  # DROP_SETTLE_SECONDS of a live stream's piece
LIVE_PAY_HOURS = env.hours("LIVE_PAY_HOURS", 24)  # a live stream's wins stay held until it ends plus this

# An offer at or above an item's floor is accepted at once; an item without its own floor has this percent
# of its price as the floor (100: no haggling). Offers waiting on the customer or the owner expire after OFFER_HOURS.
OFFER_FLOOR_PERCENT = env.int("OFFER_FLOOR_PERCENT", default=80)
if not 1 <= OFFER_FLOOR_PERCENT <= 100:
    raise ImproperlyConfigured(f"OFFER_FLOOR_PERCENT is a percent from 1 to 100, not {OFFER_FLOOR_PERCENT}.")
OFFER_HOURS = env.hours("OFFER_HOURS", 24)
if not OFFER_HOURS:
    raise ImproperlyConfigured("OFFER_HOURS must be more than 0.")

# Seconds browsers and proxies may cache an item's public page (/p/<SKU>/) and the shop page (/).
ITEM_PAGE_MAX_AGE = env.int("ITEM_PAGE_MAX_AGE", default=60)

# Item photos (inventory/photos.py). TikTok takes images up to 3 MB; phones send 3-30 MB at 12-200 megapixels.
PHOTO_MAX_SIDE = 1600  # px, the long side after resizing
PHOTO_MAX_BYTES = 3_000_000  # the stored JPEG; quality is lowered until it fits
PHOTO_THUMBNAIL_SIDE = 320  # px, for the admin's lists and pages
PHOTO_MAX_UPLOAD_BYTES = env.int("PHOTO_MAX_UPLOAD_BYTES", default=40_000_000)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=150_000_000)  # decompression-bomb guard

# The admin's "View site" link: the shop's public face, e.g. its TikTok profile (unset: the shop's front page, /).
SHOP_URL = env.str("SHOP_URL", default="")
# Where the shop is reached from outside (absolute links in the owner's notifications and the item page links the
# assistant sends customers asking for photos), e.g. https://shop.example.com
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Today's page: holds running out within this many hours are listed, as are reply windows closing that soon.
TODAY_SOON_HOURS = env.int("TODAY_SOON_HOURS", default=6)

# --- Telling the owner ------------------------------------------------------------------------------

# Email through Django's email backend: EMAIL_URL is e.g. smtp+tls://user:password@smtp.example.com:587
# (unset: printed on the console). Push: a JSON POST {event, text, url} to OWNER_NOTIFY_URL (ntfy, Discord,
# Slack incoming webhooks, ...). Either, both or neither (then notifications are only listed in the admin).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@localhost")
OWNER_EMAIL = env.str("OWNER_EMAIL", default="")
OWNER_NOTIFY_URL = env.str("OWNER_NOTIFY_URL", default="")
OWNER_NOTIFY_TIMEOUT = env.float("OWNER_NOTIFY_TIMEOUT", default=10.0)
# A burst is grouped: at most one email and one push per kind of notification in this many seconds (0: no grouping).
OWNER_NOTIFY_DIGEST_SECONDS = env.int("OWNER_NOTIFY_DIGEST_SECONDS", default=60)
# An unpaid order is cancelled this many hours after it was placed (decimals allowed), its pieces back on
# sale; the customer is reminded once this many hours before (0 = no reminder).
ORDER_PAYMENT_HOURS = env.float("ORDER_PAYMENT_HOURS", default=48.0)
ORDER_REMINDER_HOURS = env.float("ORDER_REMINDER_HOURS", default=12.0)
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

# How long a transaction waits for a row another one has locked before answering "busy, try again".
LOCK_TIMEOUT_SECONDS = env.float("LOCK_TIMEOUT_SECONDS", default=5.0)

# --- TikTok ---------------------------------------------------------------------------------------

TIKTOK_APP_ID = env.str("TIKTOK_APP_ID", default="")
TIKTOK_APP_SECRET = env.str("TIKTOK_APP_SECRET", default="")
TIKTOK_BUSINESS_ID = env.str("TIKTOK_BUSINESS_ID", default="")
TIKTOK_ACCESS_TOKEN = env.str("TIKTOK_ACCESS_TOKEN", default="")
TIKTOK_API_BASE = env.str("TIKTOK_API_BASE", default="https://business-api.tiktok.com/open_api/v1.3")
TIKTOK_SIGNATURE_TOLERANCE = env.int("TIKTOK_SIGNATURE_TOLERANCE", default=300)

if DEBUG:
    # Local use only (DEBUG on, not configured): harmless defaults so `manage.py simulate` can sign a DM
    # that `make run` accepts. Never applies with DEBUG off: an unset secret then rejects every delivery.
    TIKTOK_APP_SECRET = TIKTOK_APP_SECRET or "local-development-secret"
    TIKTOK_BUSINESS_ID = TIKTOK_BUSINESS_ID or "philia-local-business"
# How far in the future a signature's `t` may be (clock skew); the past is TIKTOK_SIGNATURE_TOLERANCE.
TIKTOK_SIGNATURE_FUTURE_TOLERANCE = env.int("TIKTOK_SIGNATURE_FUTURE_TOLERANCE", default=5)
TIKTOK_WEBHOOK_MAX_BYTES = env.int("TIKTOK_WEBHOOK_MAX_BYTES", default=1024 * 1024)
# (connect, read) seconds for every call to TikTok's API.
TIKTOK_HTTP_TIMEOUT = tuple(env.list("TIKTOK_HTTP_TIMEOUT", cast=float, default=[3.05, 10.0]))
TIKTOK_SENDS_PER_SECOND = env.int("TIKTOK_SENDS_PER_SECOND", default=10)
TIKTOK_WINDOW_HOURS = env.int("TIKTOK_WINDOW_HOURS", default=48)
TIKTOK_QUOTA_FIRST_MESSAGE = env.int("TIKTOK_QUOTA_FIRST_MESSAGE", default=10)
TIKTOK_QUOTA_AFTER_WINDOW = env.int("TIKTOK_QUOTA_AFTER_WINDOW", default=3)
# Images ("pics?"): TikTok's answer on whether a conversation can receive images (region-gated) is kept this
# long; an uploaded photo's media id is reused this many days (TikTok keeps uploads about 30); a send refused
# with one of these codes while using a remembered media id uploads the photo again once (TikTok does not
# document the code for an expired media id).
TIKTOK_CAPABILITIES_CACHE_HOURS = env.float("TIKTOK_CAPABILITIES_CACHE_HOURS", default=24)
TIKTOK_MEDIA_ID_MAX_AGE_DAYS = env.float("TIKTOK_MEDIA_ID_MAX_AGE_DAYS", default=29)
TIKTOK_MEDIA_EXPIRED_CODES = env.list("TIKTOK_MEDIA_EXPIRED_CODES", default=["40002", "40007"])
# TikTok events still `received` (or `processing`) after this many seconds lost their job: the minute sweep resends.
TIKTOK_STALE_EVENT_SECONDS = env.int("TIKTOK_STALE_EVENT_SECONDS", default=45)
# A customer's bubbles that wait together are answered as one turn. With this many seconds (0: none), a conversation
# whose latest bubble came less than this long ago waits for more before it is answered.
COALESCE_SECONDS = env.float("COALESCE_SECONDS", default=0.0)
# A worker handling a conversation holds its mutex on a lease this long, renewed while it works: a worker
# that dies frees the conversation within this many seconds.
CONVERSATION_LEASE_SECONDS = env.int("CONVERSATION_LEASE_SECONDS", default=20)
# Queued outbound messages never tried, untouched this long, lost their job: the sweep enqueues them again.
# (Those waiting for a retry after TikTok said "later" are left alone for OUTBOX_STALE_RETRY_SECONDS.)
OUTBOX_STALE_QUEUED_SECONDS = env.int("OUTBOX_STALE_QUEUED_SECONDS", default=45)
OUTBOX_STALE_RETRY_SECONDS = env.int("OUTBOX_STALE_RETRY_SECONDS", default=600)
# A message in `sending` this long was cut off mid-call (a send's time limit is 60 s): it is flagged for the
# owner (admin filter "stuck in sending" and one notification) and never resent.
OUTBOX_STUCK_SENDING_SECONDS = env.int("OUTBOX_STUCK_SENDING_SECONDS", default=300)
# A send whose answer timed out (TikTok may have taken it) stays in `sending` this long, waiting for its echo,
# before the conversation is looked up on TikTok; a message TikTok lists from up to OUTBOX_UNCONFIRMED_SLACK_SECONDS
# before the send started (clocks differ) counts as delivered. After OUTBOX_MAX_ATTEMPTS tries it is failed.
OUTBOX_UNCONFIRMED_CHECK_SECONDS = env.float("OUTBOX_UNCONFIRMED_CHECK_SECONDS", default=5.0)
OUTBOX_UNCONFIRMED_SLACK_SECONDS = env.int("OUTBOX_UNCONFIRMED_SLACK_SECONDS", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=9)
# Every inbox (TikTok's and Stripe's events): a failed event is tried again by the sweep INBOX_RETRY_SECONDS after its
# try began, doubling each time (60 s, 2, 4, 8 minutes), until INBOX_MAX_ATTEMPTS tries; then it gave up: the owner
# is notified, it is listed on Today, and "Retry" in its admin list tries it again.
INBOX_MAX_ATTEMPTS = env.int("INBOX_MAX_ATTEMPTS", default=5)
INBOX_RETRY_SECONDS = env.int("INBOX_RETRY_SECONDS", default=60)
# /health answers 503 when the minute sweeps have not run for this long (scheduler or workers gone).
SWEEPS_LATE_AFTER_SECONDS = env.int("SWEEPS_LATE_AFTER_SECONDS", default=180)
# When the owner answers in the TikTok app (or from the admin), the assistant stays quiet this long.
BOT_PAUSE_AFTER_OWNER_REPLY = env.float("BOT_PAUSE_AFTER_OWNER_REPLY", default=12)

# --- The assistant --------------------------------------------------------------------------------

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")

# The shop's voice: what the assistant says about the shop. Plain text (TikTok shows no markup).
SHOP_NAME = env.str("SHOP_NAME", default="Philia Thrifts")
SHOP_GREETING = env.str(
    "SHOP_GREETING",
    default="Hi, welcome to Philia Thrifts! Every piece is one of a kind. Tell me what you're after "
    "(a brand, a size, a budget) or send me a SKU.",
)
PAYMENT_INSTRUCTIONS = env.str(
    "PAYMENT_INSTRUCTIONS",
    default="To pay, send the total by PayPal (friends and family) to pay@philiathrifts.example with your "
    "order number in the note. We ship as soon as it arrives.",
)
SHIPPING_INSTRUCTIONS = env.str(
    "SHIPPING_INSTRUCTIONS",
    default="We ship tracked within 2 working days of payment and send you the tracking number here.",
)
RETURNS_POLICY = env.str(
    "RETURNS_POLICY",
    default="All sales are final: every piece is vintage and listed with its measurements and flaws, "
    "so ask for anything you'd like to know before you buy.",
)
# With no OPENAI_API_KEY the offline assistant answers everything; with one, these bound the AI.
AI_MAX_TOOL_ROUNDS = env.int("AI_MAX_TOOL_ROUNDS", default=4)
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=20.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=1)
AI_TURN_SECONDS = env.float("AI_TURN_SECONDS", default=45.0)
AI_HISTORY_MESSAGES = env.int("AI_HISTORY_MESSAGES", default=10)
AI_DAILY_TURNS_PER_CUSTOMER = env.int("AI_DAILY_TURNS_PER_CUSTOMER", default=50)
AI_DAILY_TOKEN_BUDGET = env.int("AI_DAILY_TOKEN_BUDGET", default=2_000_000)
AI_PROMPT_CACHE_KEY = env.str("AI_PROMPT_CACHE_KEY", default="")
# US dollars per million tokens, "input/output" per model (Today's AI cost per order), e.g.
# AI_PRICE_PER_MILLION_TOKENS=gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10.00. Models not listed are counted in tokens only.
AI_PRICE_PER_MILLION_TOKENS = env.dict(
    "AI_PRICE_PER_MILLION_TOKENS", default={"gpt-4o-mini": "0.15/0.60", "gpt-4.1-mini": "0.40/1.60"}
)
