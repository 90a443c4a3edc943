"""Settings for Philia Thrifts, all read from the environment (see `.env.example`).

With nothing set, the shop runs embedded: SQLite and Dramatiq's in-memory broker with a worker
inside the web process. With `DATABASE_URL` (PostgreSQL) and `REDIS_URL`, the same code runs as
production.
"""

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A key is only generated for local, embedded use; production must set SECRET_KEY (check --deploy).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-embedded-only-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its `runserver` (which adds the embedded worker) wins over staticfiles' one.
    "philia",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_dramatiq",
    "dramatiq_crontab",
    "inventory",
    "conversations",
    "orders",
    "tiktok",
    "assistant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "philia.urls"
WSGI_APPLICATION = "philia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction starts, so holds are serialised.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker (Dramatiq) ----------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")


def with_redis_timeouts(url: str) -> str:
    """Give every Redis client bounded waits unless the URL sets its own: an unreachable Redis must not hold
    a webhook request (the enqueue after commit) for the system's connect timeout of minutes."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", "2")
    query.setdefault("socket_timeout", "10")
    return urlunsplit(parts._replace(query=urlencode(query)))


if REDIS_URL:
    REDIS_URL = with_redis_timeouts(REDIS_URL)
DRAMATIQ_MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
]
if REDIS_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {"url": REDIS_URL, "namespace": env.str("DRAMATIQ_NAMESPACE", default="philia")},
        "MIDDLEWARE": DRAMATIQ_MIDDLEWARE,
    }
    DRAMATIQ_RATE_LIMITER_BACKEND = {
        "BACKEND": "dramatiq.rate_limits.backends.redis.RedisBackend",
        "BACKEND_OPTIONS": {"url": REDIS_URL},
    }
    DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL}
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": DRAMATIQ_MIDDLEWARE,
    }
    DRAMATIQ_RATE_LIMITER_BACKEND = {"BACKEND": "dramatiq.rate_limits.backends.stub.StubBackend"}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# The embedded default runs a worker thread inside `runserver`; production runs `rundramatiq`.
EMBEDDED_WORKER = env.bool("EMBEDDED_WORKER", default=not REDIS_URL)

# --- Auth, i18n, static ---------------------------------------------------------------------------

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

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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
# Load balancers and container health checks call /health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging --------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "apscheduler": {"level": "WARNING"}},
}

# --- The shop -------------------------------------------------------------------------------------

HOLD_HOURS = env.int("HOLD_HOURS", default=24)
MAX_HOLDS_PER_CUSTOMER = env.int("MAX_HOLDS_PER_CUSTOMER", default=3)
# An unpaid order is cancelled this many hours after it was placed (decimals allowed), its pieces back on
# sale; the customer is reminded once this many hours before (0 = no reminder).
ORDER_PAYMENT_HOURS = env.float("ORDER_PAYMENT_HOURS", default=48.0)
ORDER_REMINDER_HOURS = env.float("ORDER_REMINDER_HOURS", default=12.0)
# How customers pay: "manual" (PAYMENT_INSTRUCTIONS, the order number as the reference) or "stripe".
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="manual")
if PAYMENT_PROVIDER not in ("manual", "stripe"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f'PAYMENT_PROVIDER is "manual" or "stripe", not {PAYMENT_PROVIDER!r}.')
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="usd").lower()
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# Where Stripe sends the customer after paying (or giving up); TikTok is where they came from.
STRIPE_SUCCESS_URL = env.str("STRIPE_SUCCESS_URL", default="https://www.tiktok.com/messages")
# Other ways to pay the shop accepts, for "venmo ok?" (plain text; empty: only the instructions above).
PAYMENT_METHODS = env.str("PAYMENT_METHODS", default="")
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
# Events still `received` after this many seconds are re-enqueued by the sweep.
TIKTOK_STALE_EVENT_SECONDS = env.int("TIKTOK_STALE_EVENT_SECONDS", default=90)
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
