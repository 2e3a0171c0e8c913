"""System checks that catch a token configuration that cannot work or is weak."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import Error as DatabaseError
from django.db import connections

from . import sessions, tokens
from .routers import DATABASE_ALIAS

MIN_SECRET_LENGTH = 32
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "placeholder", "your-secret", "xxxx")
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


# A deployment check: manage.py commands run without a token mode (a build step
# has no secrets), the server itself refuses to start (todo_project/startup.py).
@register(Tags.security, deploy=True)
def check_verification_mode(app_configs, **kwargs):
    if settings.BETTER_AUTH_SECRET or tokens.jwks_url() or settings.BETTER_AUTH_SESSIONS:
        return []
    return [
        Error(
            "No way to verify Better Auth tokens is configured.",
            hint="Set BETTER_AUTH_SECRET (HS256), BETTER_AUTH_URL (the jwt plugin's JWKS) "
            "or BETTER_AUTH_SESSIONS (session tokens of the bearer plugin).",
            id="authn.E001",
        )
    ]


@register(Tags.security)
def check_secret(app_configs, **kwargs):
    secret = settings.BETTER_AUTH_SECRET
    if not secret:
        return []
    if any(marker in secret.lower() for marker in PLACEHOLDER_MARKERS):
        return [
            Error(
                "BETTER_AUTH_SECRET is still a placeholder.",
                hint="Use the same random secret as the frontend: openssl rand -base64 32",
                id="authn.E002",
            )
        ]
    if len(secret) < MIN_SECRET_LENGTH:
        # Refused in production, tolerated with a warning while developing.
        severity = Warning if settings.DEBUG else Error
        return [
            severity(
                f"BETTER_AUTH_SECRET is {len(secret)} characters long; "
                f"use at least {MIN_SECRET_LENGTH}.",
                hint="Generate one with: openssl rand -base64 32",
                id="authn.W001" if settings.DEBUG else "authn.E003",
            )
        ]
    return []


@register(Tags.security)
def check_algorithms(app_configs, **kwargs):
    known = tokens.SECRET_ALGORITHMS | tokens.JWKS_ALGORITHMS
    unknown = [name for name in settings.BETTER_AUTH_JWT_ALGORITHMS if name not in known]
    if not unknown:
        return []
    return [
        Error(
            f"BETTER_AUTH_JWT_ALGORITHMS names unsupported algorithms: {', '.join(unknown)}.",
            hint=f"Choose from {', '.join(sorted(known))}.",
            id="authn.E004",
        )
    ]


@register(Tags.security)
def check_jwks_url(app_configs, **kwargs):
    url = tokens.jwks_url()
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Error(f"The JWKS URL {url!r} is not an http(s) URL.", id="authn.E005")]
    if parts.scheme == "http" and not settings.DEBUG and not is_loopback(parts.hostname):
        return [
            Warning(
                f"The JWKS URL {url!r} is plain http: its keys could be replaced in transit.",
                hint="Use the https URL of the Better Auth server.",
                id="authn.W002",
            )
        ]
    return []


def is_loopback(hostname: str) -> bool:
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


# Session tokens. What cannot work is an error; what the build step of a
# deployment may lack (a URL, a database) is one at deploy.


@register(Tags.security)
def check_session_mode(app_configs, **kwargs):
    mode = settings.BETTER_AUTH_SESSIONS
    if not mode or mode in sessions.MODES:
        return []
    return [
        Error(
            f"BETTER_AUTH_SESSIONS is {mode!r}.",
            hint="Use database or remote, or leave it unset to refuse session tokens.",
            id="authn.E006",
        )
    ]


@register(Tags.security, deploy=True)
def check_session_source(app_configs, **kwargs):
    mode = settings.BETTER_AUTH_SESSIONS
    if mode == "remote" and not settings.BETTER_AUTH_URL:
        return [
            Error(
                "BETTER_AUTH_SESSIONS=remote, but no Better Auth server is named.",
                hint="Set BETTER_AUTH_URL to the frontend's Better Auth base URL.",
                id="authn.E007",
            )
        ]
    if mode == "database" and not settings.BETTER_AUTH_SESSION_DATABASE_URL:
        return [
            Error(
                "BETTER_AUTH_SESSIONS=database, but no database is named: the API's own "
                "SQLite file has no Better Auth tables.",
                hint="Set BETTER_AUTH_SESSION_DATABASE_URL (or DATABASE_URL, when shared) "
                "to the database Better Auth writes.",
                id="authn.E008",
            )
        ]
    return []


@register(Tags.security)
def check_session_tables(app_configs, **kwargs):
    if settings.BETTER_AUTH_SESSIONS != "database":
        return []
    names = {
        "BETTER_AUTH_SESSION_TABLE": settings.BETTER_AUTH_SESSION_TABLE,
        "BETTER_AUTH_USER_TABLE": settings.BETTER_AUTH_USER_TABLE,
    }
    return [
        Error(
            f"{setting} is {value!r}, which names no table.",
            hint="A table name, or schema.table; Better Auth's defaults are session and user.",
            id="authn.E009",
        )
        for setting, value in names.items()
        if not is_table_name(value)
    ]


def is_table_name(value: str) -> bool:
    parts = value.split(".")
    return len(parts) <= 2 and all(part.strip() and part.isprintable() for part in parts)


# Reads the tables, so it runs only when asked: check --database better_auth.
@register(Tags.database)
def check_session_tables_readable(app_configs, databases=None, **kwargs):
    if settings.BETTER_AUTH_SESSIONS != "database" or DATABASE_ALIAS not in (databases or ()):
        return []
    session_table = sessions.quote_table(settings.BETTER_AUTH_SESSION_TABLE)
    user_table = sessions.quote_table(settings.BETTER_AUTH_USER_TABLE)
    queries = [
        f'SELECT "token", "userId", "expiresAt" FROM {session_table} WHERE 1 = 0',
        f'SELECT "id", "email", "name" FROM {user_table} WHERE 1 = 0',
    ]
    try:
        with connections[DATABASE_ALIAS].cursor() as cursor:
            for query in queries:
                cursor.execute(query)
    except DatabaseError as e:
        return [
            Error(
                f"Better Auth's tables cannot be read on the {DATABASE_ALIAS!r} database: {e}",
                hint="Run Better Auth's migrations there, or name its tables with "
                "BETTER_AUTH_SESSION_TABLE and BETTER_AUTH_USER_TABLE.",
                id="authn.E010",
            )
        ]
    return []


@register(Tags.security)
def check_session_signatures(app_configs, **kwargs):
    if settings.BETTER_AUTH_SESSIONS != "database" or settings.BETTER_AUTH_SECRET:
        return []
    return [
        Warning(
            "BETTER_AUTH_SESSIONS=database without BETTER_AUTH_SECRET: signed session tokens "
            "(set-auth-token, the session cookie) are refused; only unsigned ones work.",
            hint="Set BETTER_AUTH_SECRET to Better Auth's own secret.",
            id="authn.W003",
        )
    ]


@register(Tags.security)
def check_session_url(app_configs, **kwargs):
    if settings.BETTER_AUTH_SESSIONS != "remote" or not settings.BETTER_AUTH_URL:
        return []
    parts = urlsplit(settings.BETTER_AUTH_URL)
    if parts.scheme == "http" and not settings.DEBUG and not is_loopback(parts.hostname or ""):
        return [
            Warning(
                f"Session tokens are sent to {settings.BETTER_AUTH_URL!r} over plain http.",
                hint="Use the https URL of the Better Auth server.",
                id="authn.W004",
            )
        ]
    return []
