"""
Better Auth session tokens, as its ``bearer`` plugin hands them out.

Apps that never turn on the ``jwt`` plugin send the session token itself:
``<token>`` as stored in Better Auth's ``session`` table, or
``<token>.<signature>`` as the ``set-auth-token`` header gives it (URL-encoded
in the session cookie), the signature being the base64 HMAC-SHA256 of
``<token>`` keyed with Better Auth's secret. BETTER_AUTH_SESSIONS says how a
session is found:

- ``database``: one SELECT of the session row and its user row in Better
  Auth's own tables, on the ``better_auth`` connection; never a write.
- ``remote``: one GET of Better Auth's ``/api/auth/get-session`` with the same
  Authorization header, asking it not to extend the session; never retried.

What was learnt, found or not, is remembered for
BETTER_AUTH_SESSION_CACHE_SECONDS, so that a user's next requests cost no
query and no call, and a sign-out is honoured within that time; a session is
never used past its ``expiresAt``. Settings are read on every call.
"""

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.signals import setting_changed
from django.db import Error as DatabaseError
from django.db import connections
from django.db.utils import ConnectionDoesNotExist

from .routers import DATABASE_ALIAS
from .tokens import TokenExpiredError, TokenRejected, check_subject, origin_of

logger = logging.getLogger(__name__)

MODES = ("database", "remote")
MAX_TOKEN_LENGTH = 1024
MAX_TOKEN_PART_LENGTH = 255
MAX_ANSWER_BYTES = 64 * 1024
GET_SESSION_PATH = "/api/auth/get-session?disableRefresh=true"
# After Better Auth failed to answer, this process gives it this long before
# asking again, so that an outage is not met with a call per request.
REMOTE_BACKOFF_SECONDS = 1.0


class SessionsUnavailable(Exception):
    """Better Auth's tables or server cannot be reached, and nothing remembered fits."""


@dataclass(frozen=True)
class Session:
    user_id: Any
    email: Any
    name: Any
    expires_at: float  # seconds since the epoch

    def claims(self) -> dict[str, Any]:
        """The session in the shape of a JWT's claims, for the user row and ``request.auth``."""
        return {"sub": self.user_id, "email": self.email, "name": self.name, "exp": self.expires_at}


def has_session_shape(raw_token: str) -> bool:
    """A JWT has three dot-separated parts; a session token one or two."""
    return raw_token.count(".") != 2


def is_session_token(raw_token: str) -> bool:
    """A session token, and session tokens are accepted here."""
    return has_session_shape(raw_token) and bool(settings.BETTER_AUTH_SESSIONS)


def verify_session_token(raw_token: str, authorization: str) -> dict[str, Any]:
    """
    The session's claims (``sub`` is its ``userId``), or raise TokenRejected
    (TokenExpiredError once ``expiresAt`` has passed) or SessionsUnavailable.
    ``authorization`` is the header as received, for remote mode.
    """
    token, signature = split_token(raw_token)
    check_signature_if_possible(token, signature)
    key = token if signature is None else f"{token}.{signature}"
    session = remembered.get(key)
    if session is UNKNOWN:
        session = look_up(token, authorization)
        remembered.add(key, session)
    if session is None:
        raise TokenRejected("session", "no live session has this token")
    if session.expires_at <= remembered.clock():
        raise TokenExpiredError("the session has expired")
    check_subject(session.user_id)
    return session.claims()


def split_token(raw_token: str) -> tuple[str, str | None]:
    """``(token, signature)``; the signature is None for an unsigned token."""
    if len(raw_token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("malformed", "the session token is too long")
    if "%" in raw_token:
        # As in the cookie: encodeURIComponent of <token>.<signature>.
        try:
            raw_token = unquote(raw_token, errors="strict")
        except UnicodeDecodeError:
            raise TokenRejected("malformed", "the session token is badly URL-encoded") from None
    token, dot, signature = raw_token.partition(".")
    if not is_plain_text(token) or (dot and not is_plain_text(signature)) or "." in signature:
        raise TokenRejected("malformed", "a session token is <token> or <token>.<signature>")
    return token, signature if dot else None


def is_plain_text(text: str) -> bool:
    return (
        0 < len(text) <= MAX_TOKEN_PART_LENGTH
        and text.isascii()
        and text.isprintable()
        and " " not in text
    )


def check_signature_if_possible(token: str, signature: str | None) -> None:
    if signature is None:
        # Better Auth's bearer plugin accepts unsigned tokens by default, too.
        return
    if settings.BETTER_AUTH_SECRET:
        check_signature(token, signature, settings.BETTER_AUTH_SECRET)
    elif settings.BETTER_AUTH_SESSIONS == "database":
        raise TokenRejected(
            "signature", "a signed session token cannot be checked without BETTER_AUTH_SECRET"
        )
    # Remote mode without the secret: Better Auth checks the signature itself.


def check_signature(token: str, signature: str, secret: str) -> None:
    expected = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, decode_base64(signature)):
        raise TokenRejected("signature", "the session token's signature does not match")


def signature_matches(token: str, signature: str, secret: str) -> bool:
    try:
        check_signature(token, signature, secret)
    except TokenRejected:
        return False
    return True


def decode_base64(text: str) -> bytes:
    """
    Standard padded base64, as Better Auth writes it; unpadded and URL-safe
    spellings are read too, as Better Auth reads them. Empty when unreadable.
    """
    body = text.rstrip("=")
    if len(text) - len(body) > 2:
        return b""
    body = body.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def look_up(token: str, authorization: str) -> Session | None:
    """The session from its source, None when there is none; never from memory."""
    if settings.BETTER_AUTH_SESSIONS == "database":
        return read_session(token)
    if settings.BETTER_AUTH_SESSIONS == "remote":
        return remote.ask(authorization)
    raise TokenRejected("sessions_off", "session tokens are not accepted here")


# --- database mode ------------------------------------------------------------


def read_session(token: str) -> Session | None:
    try:
        connection = connections[DATABASE_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(session_query(connection.vendor), [token])
            row = cursor.fetchone()
    except (DatabaseError, ConnectionDoesNotExist) as e:
        logger.warning("Better Auth's session table cannot be read: %s", e)
        raise SessionsUnavailable("Better Auth's session table cannot be read") from e
    if row is None:
        return None
    user_id, expires_at, email, name = row
    return Session(user_id, email, name, timestamp(expires_at))


def session_query(vendor: str) -> str:
    expires_at = 's."expiresAt"'
    if vendor == "sqlite":
        # Better Auth declares the column "date" there, which Django's SQLite
        # converter would cut down to a day; an expression has no declared type.
        expires_at = f"CAST({expires_at} AS TEXT)"
    return (
        f'SELECT s."userId", {expires_at}, u."email", u."name" '
        f"FROM {quote_table(settings.BETTER_AUTH_SESSION_TABLE)} s "
        f'JOIN {quote_table(settings.BETTER_AUTH_USER_TABLE)} u ON u."id" = s."userId" '
        'WHERE s."token" = %s'
    )


def quote_table(name: str) -> str:
    """``session`` or ``schema.session``, each part quoted as an identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def timestamp(value: Any) -> float:
    """
    ``expiresAt`` as seconds since the epoch: a timestamptz on PostgreSQL, an
    ISO 8601 string on SQLite (Better Auth's Kysely adapter), or a number of
    seconds or milliseconds (other adapters).
    """
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise SessionsUnavailable(f"expiresAt {value!r} is not a date-time") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000 if value > 100_000_000_000 else float(value)
    raise SessionsUnavailable(f"expiresAt of type {type(value).__name__} is not a date-time")


# --- remote mode --------------------------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would carry the session token to wherever it points.
    def redirect_request(self, *args, **kwargs):
        return None


class RemoteSessions:
    """Asks Better Auth about a session: one call, no retry, a pause after a failure."""

    def __init__(self):
        self.opener = urllib.request.build_opener(NoRedirects)
        self.failed_at: float | None = None
        self.clock = time.monotonic

    def url(self) -> str:
        return origin_of(settings.BETTER_AUTH_URL) + GET_SESSION_PATH

    def ask(self, authorization: str) -> Session | None:
        if self.failed_at is not None and self.clock() - self.failed_at < REMOTE_BACKOFF_SECONDS:
            raise SessionsUnavailable("Better Auth failed to answer a moment ago")
        request = urllib.request.Request(
            self.url(), headers={"Authorization": authorization, "Accept": "application/json"}
        )
        timeout = settings.BETTER_AUTH_SESSION_TIMEOUT_SECONDS
        try:
            with self.opener.open(request, timeout=timeout) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as e:
            e.close()
            if e.code in (401, 403):
                return None
            raise self.failure(f"get-session answered {e.code}") from e
        except (OSError, http.client.HTTPException) as e:
            raise self.failure(f"get-session failed: {e}") from e
        except ValueError as e:
            # http.client refuses a header value it cannot send.
            raise TokenRejected("malformed", "the Authorization header cannot be forwarded") from e
        if len(body) > MAX_ANSWER_BYTES:
            raise self.failure("get-session answered more than a session")
        try:
            answer = json.loads(body)
        except ValueError as e:
            raise self.failure("get-session answered something other than JSON") from e
        self.failed_at = None
        if answer is None:
            return None
        return self.session_from(answer)

    def session_from(self, answer: Any) -> Session:
        session = answer.get("session") if isinstance(answer, dict) else None
        user = answer.get("user") if isinstance(answer, dict) else None
        if not isinstance(session, dict) or not isinstance(user, dict):
            raise self.failure("get-session answered JSON that is not a session")
        user_id = session.get("userId")
        if user.get("id", user_id) != user_id:
            raise self.failure("get-session answered a session of another user")
        try:
            expires_at = timestamp(session.get("expiresAt"))
        except SessionsUnavailable as e:
            raise self.failure(str(e)) from e
        return Session(user_id, user.get("email"), user.get("name"), expires_at)

    def failure(self, why: str) -> SessionsUnavailable:
        self.failed_at = self.clock()
        logger.warning("Better Auth at %s: %s", self.url(), why)
        return SessionsUnavailable(why)


# --- what was learnt ------------------------------------------------------------

UNKNOWN = object()


class RememberedSessions:
    """
    Sessions checked in the last few seconds in this process, found (a
    Session) or not (None), by a hash of the token as it was sent.
    """

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.entries: dict[bytes, tuple[float, Session | None]] = {}
        self.clock = time.time

    def get(self, key: str) -> Session | None | object:
        digest = self.digest(key)
        entry = self.entries.get(digest)
        if entry is None:
            return UNKNOWN
        until, session = entry
        if self.clock() >= until:
            self.entries.pop(digest, None)
            return UNKNOWN
        return session

    def add(self, key: str, session: Session | None) -> None:
        ttl = settings.BETTER_AUTH_SESSION_CACHE_SECONDS
        if ttl <= 0:
            return
        if len(self.entries) >= self.max_size:
            self.entries.clear()
        self.entries[self.digest(key)] = (self.clock() + ttl, session)

    def digest(self, key: str) -> bytes:
        # Live bearer tokens are not kept in memory longer than the request.
        return hashlib.sha256(key.encode()).digest()

    def clear(self) -> None:
        self.entries.clear()


remembered = RememberedSessions(max_size=10_000)
remote = RemoteSessions()


def forget_sessions(**kwargs) -> None:
    """Drop what was learnt (tests start each case, and new settings, from nothing)."""
    remembered.clear()
    remote.failed_at = None


setting_changed.connect(forget_sessions, dispatch_uid="authn.forget_sessions")
