"""
Settings for the Todo API.

Everything that differs between machines comes from the environment, or from a
local ``.env`` file in development; ``.env.example`` lists every variable and
the README explains them. No other module reads ``os.environ``.
"""

import math
import os
import warnings
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# Real environment variables win over the development .env file.
load_dotenv(BASE_DIR / ".env", override=False)

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(number) or number <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, not {number}.")
    return number


def throttle_rate(name: str, default: str) -> str | None:
    """A DRF rate such as "100/minute", or None for "off"."""
    value = env_str(name, default)
    if value.lower() in ("off", "none", "0"):
        return None
    number, _, period = value.partition("/")
    if not number.isdigit() or period[:1] not in ("s", "m", "h", "d"):
        raise ImproperlyConfigured(f"{name} must look like 100/minute or off, not {value!r}.")
    return value


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (lower-cased); empty when unset."""
    value = env_str(name).lower()
    if value and value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_redis_url(name: str) -> str:
    """A redis://, rediss:// (TLS) or unix:// URL, or "" for none."""
    value = env_str(name)
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        # The value is not echoed: it may carry a password.
        raise ImproperlyConfigured(f"{name} must start with redis://, rediss:// or unix://.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_names(name: str, allowed: tuple[str, ...]) -> list[str]:
    """A comma separated list of some of ``allowed``, kept in the order of ``allowed``."""
    given = env_list(name, [])
    unknown = [item for item in given if item not in allowed]
    if unknown:
        raise ImproperlyConfigured(
            f"{name} names {', '.join(map(repr, unknown))}: allowed are {', '.join(allowed)}."
        )
    return [item for item in allowed if item in given]


DEBUG = env_bool("DEBUG", False)

# Without one and with DEBUG off, manage.py commands still run (migrate,
# collectstatic in a build step), but the server refuses to start: see
# todo_project/startup.py.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    # Development only: a fresh key per process, so nothing insecure is written down.
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])


# Better Auth tokens. Derived values (the JWKS URL, the default issuer and
# audience) are worked out in authn.tokens when a token is checked, so that a
# test can change one of these and see the effect.

BETTER_AUTH_SECRET = env_str("BETTER_AUTH_SECRET")
BETTER_AUTH_URL = env_str("BETTER_AUTH_URL")
BETTER_AUTH_JWKS_URL = env_str("BETTER_AUTH_JWKS_URL")
BETTER_AUTH_ISSUER = env_str("BETTER_AUTH_ISSUER")
BETTER_AUTH_AUDIENCE = env_str("BETTER_AUTH_AUDIENCE")
BETTER_AUTH_JWT_ALGORITHMS = env_list("BETTER_AUTH_JWT_ALGORITHMS", [])
JWT_LEEWAY_SECONDS = env_int("JWT_LEEWAY_SECONDS", 30)
BETTER_AUTH_JWKS_TIMEOUT_SECONDS = env_float("BETTER_AUTH_JWKS_TIMEOUT_SECONDS", 3.0)
# An unknown kid triggers at most one JWKS fetch per this many seconds.
BETTER_AUTH_JWKS_REFETCH_SECONDS = env_int("BETTER_AUTH_JWKS_REFETCH_SECONDS", 30)
# Known keys are re-read after this long, so a key removed upstream stops working.
BETTER_AUTH_JWKS_MAX_AGE_SECONDS = env_int("BETTER_AUTH_JWKS_MAX_AGE_SECONDS", 600)

# Better Auth session tokens (its bearer plugin's set-auth-token): "database"
# reads Better Auth's own tables, "remote" asks its get-session endpoint, and
# unset refuses them. See authn/sessions.py.
BETTER_AUTH_SESSIONS = env_choice("BETTER_AUTH_SESSIONS", ("database", "remote"))
# Better Auth's database in database mode; the API's own when it is shared.
BETTER_AUTH_SESSION_DATABASE_URL = env_str("BETTER_AUTH_SESSION_DATABASE_URL") or env_str(
    "DATABASE_URL"
)
BETTER_AUTH_SESSION_TABLE = env_str("BETTER_AUTH_SESSION_TABLE") or "session"
BETTER_AUTH_USER_TABLE = env_str("BETTER_AUTH_USER_TABLE") or "user"
# What was learnt about a session is used for this long (never past its expiresAt).
BETTER_AUTH_SESSION_CACHE_SECONDS = env_int("BETTER_AUTH_SESSION_CACHE_SECONDS", 5)
BETTER_AUTH_SESSION_TIMEOUT_SECONDS = env_float("BETTER_AUTH_SESSION_TIMEOUT_SECONDS", 3.0)

# A user's row, once read, is not read again for this long in a process
# (authn.authentication.KnownUsers): a user deactivated in the admin keeps
# access that long in the other processes. A token whose email or name
# differs from the row still updates it at once.
AUTH_USER_CACHE_SECONDS = env_int("AUTH_USER_CACHE_SECONDS", 300)

# AI assistants (assistant/): with MCP_RESOURCE_URL, the public URL of /mcp,
# the API is also an MCP server that accepts only JWTs whose "aud" names that
# URL. MCP_AUTHORIZATION_SERVER is the issuer it points MCP clients to and
# requires of those tokens (default: the issuer the API checks, see
# authn.tokens.authorization_server); MCP_REQUIRED_SCOPES (space separated)
# must all be in a token's "scope".
MCP_RESOURCE_URL = env_str("MCP_RESOURCE_URL")
MCP_AUTHORIZATION_SERVER = env_str("MCP_AUTHORIZATION_SERVER")
MCP_REQUIRED_SCOPES = env_str("MCP_REQUIRED_SCOPES").split()

# Answer 404 rather than 403 for another user's task, hiding which ids exist.
TASKS_HIDE_FOREIGN = env_bool("TASKS_HIDE_FOREIGN", False)
# Deleted tasks are remembered this long for the changes feed; an older
# cursor is a 410 and the client starts over.
TASKS_TOMBSTONE_DAYS = env_int("TASKS_TOMBSTONE_DAYS", 30, minimum=1)

# Extra keys in every task object, for frontends that read other names
# (tasks/spellings.py). A misspelt name stops the server at start.
TASK_EXTRA_FIELDS = env_names(
    "TASK_EXTRA_FIELDS", ("user_id", "is_completed", "due_date", "status")
)


# Task events and reminders (events/): every change is written to an outbox
# in its own transaction, and `manage.py relay_events` delivers it to each
# sink configured here. With no sink, no event is written.
EVENTS_REDIS_URL = env_redis_url("EVENTS_REDIS_URL")
EVENTS_STREAM = env_str("EVENTS_STREAM") or "todo.task-events"
WEBHOOK_URLS = env_list("WEBHOOK_URLS", [])
# Standard Webhooks signing secret: "whsec_" and base64.
WEBHOOK_SECRET = env_str("WEBHOOK_SECRET")
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5.0)
EVENTS_SOURCE = env_str("EVENTS_SOURCE") or "todo-api"
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 20, minimum=1)
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 7, minimum=1)
# A remind_at already this far in the past when it is set makes no reminder.
REMINDER_GRACE_SECONDS = env_int("REMINDER_GRACE_SECONDS", 300)


INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, whose runserver its own replaces (todo_project/startup.py).
    "todo_project",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "authn",
    "tasks",
    "events",
    "assistant",
]

MIDDLEWARE = [
    "todo_project.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files for the admin, the browsable API and Swagger UI, also with DEBUG off.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "todo_project.middleware.BodySizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "todo_project.urls"
WSGI_APPLICATION = "todo_project.wsgi.application"

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


# Database: SQLite next to the code unless DATABASE_URL says otherwise. Query
# parameters of the URL (Neon's sslmode and channel_binding) reach psycopg as they are.

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def database_settings(url: str, *, read_only: bool = False) -> dict:
    config = dj_database_url.parse(
        url,
        # Kept for minutes: a new connection to Neon (TCP, TLS, SCRAM) costs
        # about six round trips.
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        # A connection Neon dropped while its compute slept is replaced, not
        # reused; the check looks at the socket, without a round trip
        # (todo_project/postgresql/base.py).
        conn_health_checks=True,
    )
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3" and read_only:
        # Another program's file: opened read-only, its journal mode left alone.
        config["NAME"] = f"file:{quote(config['NAME'])}?mode=ro"
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # Several server processes write to one file: WAL lets readers go on, and
        # IMMEDIATE transactions wait for the write lock instead of failing on it.
        options.update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL",
            }
        )
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that skips a connection used a
        # moment ago (todo_project/postgresql/base.py).
        config["ENGINE"] = "todo_project.postgresql"
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1))
        # A pooler in transaction mode (Neon's "-pooler" host, PgBouncer) cannot
        # keep a server-side cursor open between transactions.
        pooler = env_bool("DATABASE_POOLER", looks_like_a_pooler(config))
        config["DISABLE_SERVER_SIDE_CURSORS"] = pooler
        # Parameters sent apart from the SQL, and a statement run five times
        # on a connection prepared there, so PostgreSQL parses and plans it
        # once: half of the database's CPU per request (bench/README.md).
        # Not through a pooler, whose server connections change under the
        # client's prepared statements.
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", None if pooler else 5)
        if not pooler:
            # The session's time zone (TIME_ZONE) as the connection starts, so that Django
            # need not set it with a statement of its own on each new one.
            # Poolers refuse startup options: set the role's or database's
            # TimeZone to UTC there (README, "Neon").
            startup = options.get("options", "")
            if "TimeZone" not in startup:
                options["options"] = f"{startup} -c TimeZone=UTC".strip()
    return config


def looks_like_a_pooler(config: dict) -> bool:
    """
    The guess when DATABASE_POOLER is not set. A wrong "yes" costs a little
    speed; a wrong "no" breaks requests behind a pooler. So: "pooler" in the
    host name (Neon's "-pooler" hosts, Supabase's "pooler.supabase.com"), or
    the usual ports of PgBouncer (6432) and Supabase's pooler (6543).
    """
    host = str(config.get("HOST") or "").lower()
    return "pooler" in host or str(config.get("PORT") or "") in ("6432", "6543")


DATABASES = {"default": database_settings(DATABASE_URL)}
if BETTER_AUTH_SESSIONS == "database":
    # Better Auth's tables, read with plain SQL on a connection of their own;
    # authn.routers keeps migrations off it.
    # Without a URL, the API's SQLite file, which check --deploy refuses.
    DATABASES["better_auth"] = database_settings(
        BETTER_AUTH_SESSION_DATABASE_URL or DATABASE_URL, read_only=True
    )
DATABASE_ROUTERS = ["authn.routers.BetterAuthRouter"]

# The shared cache. With REDIS_URL every instance counts the rate limits in
# one Redis; without it each process has its own LocMemCache, which is right
# for a single process and lets each process count its own limits otherwise.
# Timeouts are short because the cache is never worth holding a request for:
# when Redis is down the rate limits fail open (todo_project/shared_cache.py).
REDIS_URL = env_redis_url("REDIS_URL")
REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 0.5)
# After a failure the rate limits leave Redis alone this long, so a dead one
# costs one timeout per process per interval rather than one per request.
REDIS_RETRY_SECONDS = env_float("REDIS_RETRY_SECONDS", 5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The admin's and the browsable API's sign-ins live in the database, which
# every instance shares, and survive a restart of Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "authn.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served from the apps when collectstatic has not run, so a fresh deployment
# still has its CSS and JavaScript.
WHITENOISE_USE_FINDERS = True
# ...and then STATIC_ROOT need not exist, which WhiteNoise would warn about.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# The largest request body accepted (413 beyond it); a task is a few KB at most.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 64 * 1024, minimum=1024)


# Django REST Framework and the OpenAPI schema.

REST_FRAMEWORK = {
    # The JWT class comes first: its authenticate_header() makes a missing or
    # bad credential a 401 with WWW-Authenticate: Bearer. Sessions serve the
    # browsable API to staff signed in through the admin.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "authn.authentication.BetterAuthJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "todo_project.errors.exception_handler",
    # Per user (per address before sign-in), counted in the default cache:
    # in Redis across instances with REDIS_URL, else per process. "off"
    # disables a limit.
    "DEFAULT_THROTTLE_CLASSES": [
        "todo_project.throttling.UserThrottle",
        "todo_project.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": throttle_rate("THROTTLE_USER_RATE", "1200/minute"),
        "anon": throttle_rate("THROTTLE_ANON_RATE", "600/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Todo API",
    "DESCRIPTION": (
        "Tasks of the user named by a Better Auth JWT or session token. Send it as "
        "`Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is public: a bad token sent along must not make it a 401.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Clients send JSON; the form encodings are only for the browsable API's forms.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {"HealthStateEnum": ["ok", "unavailable"]},
    "SCHEMA_PATH_PREFIX": "/api",
    # Swagger UI's Authorize dialog offers the bearer token only: the session
    # cookie is the browsable API's, and cannot be pasted in.
    "AUTHENTICATION_WHITELIST": ["authn.authentication.BetterAuthJWTAuthentication"],
    "PREPROCESSING_HOOKS": ["todo_project.schema.strip_trailing_slashes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "todo_project.schema.add_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}


# CORS, for the browser frontend on another origin.

CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", ["http://localhost:3000"])
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_ALLOW_HEADERS = [
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
]
CORS_EXPOSE_HEADERS = ["X-Total-Count", "Link", "X-Request-ID", "ETag", "Idempotent-Replayed"]


# HTTPS. TLS usually ends at the platform's proxy, which also redirects plain
# HTTP, so both switches are off unless the deployment says otherwise; Django's
# reminder about the redirect (security.W008) is silenced for that reason.

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Sent only over HTTPS, so plain HTTP on loopback is unaffected.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # todo.requests already logs every request once; keep Django's own
        # request logger for server errors only.
        "django.request": {"level": "ERROR"},
    },
}
