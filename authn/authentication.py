"""The DRF authentication class for Better Auth tokens, in four small steps."""

import time
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from . import sessions, tokens
from .exceptions import AuthUnavailable, InsufficientScope, InvalidToken, TokenExpired
from .models import User

AUTH_SCHEME = "Bearer"


class BetterAuthJWTAuthentication(BaseAuthentication):
    """
    ``Authorization: Bearer <token>`` from Better Auth: a JWT, or a session
    token where BETTER_AUTH_SESSIONS says how to check one.

    Returns None when no bearer token is offered (another class, or the
    permission check, decides), and raises when one is offered and is bad.
    """

    def authenticate(self, request: Request) -> tuple[User, dict[str, Any]] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        claims = self.get_validated_token(raw_token, header)
        return self.get_user(claims), claims

    def authenticate_header(self, request: Request) -> str:
        return AUTH_SCHEME

    def get_header(self, request: Request) -> str | None:
        return request.META.get("HTTP_AUTHORIZATION")

    def get_raw_token(self, header: str) -> str | None:
        parts = header.split()
        if not parts or parts[0].lower() != AUTH_SCHEME.lower():
            # Another scheme (Basic, ...) is not ours: no credentials offered.
            return None
        if len(parts) != 2:
            raise InvalidToken()
        return parts[1]

    def get_validated_token(self, raw_token: str, header: str) -> dict[str, Any]:
        """The token's claims; a session's are shaped alike, with its ``userId`` as ``sub``."""
        try:
            return self.verify(raw_token, header)
        except tokens.TokenExpiredError as e:
            raise TokenExpired() from e
        except tokens.TokenRejected as e:
            raise InvalidToken() from e
        except tokens.KeySetUnavailable as e:
            raise AuthUnavailable() from e
        except sessions.SessionsUnavailable as e:
            raise AuthUnavailable("the sessions of the auth server cannot be read") from e

    def verify(self, raw_token: str, header: str) -> dict[str, Any]:
        if sessions.is_session_token(raw_token):
            return sessions.verify_session_token(raw_token, header)
        return tokens.verify_token(raw_token)

    def get_user(self, claims: dict[str, Any]) -> User:
        """
        The local row for ``sub``, made on the user's first request.

        Nothing is written unless the row is new or the token's email or name
        changed, so an ordinary request only reads, and a user read in the
        last few seconds (``known_users``) not even that.
        """
        profile = profile_from_claims(claims)
        user = known_users.get(claims["sub"])
        if user is not None and not changed_fields(user, profile):
            return user
        user = User.objects.find(claims["sub"])
        read_from_database = user is not None
        if user is None:
            user = create_user(claims["sub"], profile)
        if not user.is_active:
            raise InvalidToken("user inactive")
        changed = changed_fields(user, profile)
        if changed:
            for field in changed:
                setattr(user, field, profile[field])
            user.save(update_fields=changed)
        elif read_from_database:
            known_users.add(user)
        return user


class MCPTokenAuthentication(BetterAuthJWTAuthentication):
    """
    The MCP endpoint's bearer tokens: JWTs issued for MCP_RESOURCE_URL (an
    OAuth access token of Better Auth's mcp plugin, or one the frontend signs),
    verified as the REST API's are with the MCP audience rule, and carrying
    every scope of MCP_REQUIRED_SCOPES. Session tokens name no audience, so
    none is accepted here.
    """

    def authenticate(self, request: Request) -> tuple[User, dict[str, Any]] | None:
        result = super().authenticate(request)
        if result is not None:
            self.check_scopes(result[1])
        return result

    def verify(self, raw_token: str, header: str) -> dict[str, Any]:
        if sessions.has_session_shape(raw_token):
            raise tokens.TokenRejected("malformed", "a session token is not accepted here")
        return tokens.verify_token(raw_token, tokens.MCP)

    def check_scopes(self, claims: dict[str, Any]) -> None:
        if tokens.check_scopes(claims, settings.MCP_REQUIRED_SCOPES):
            raise InsufficientScope()


def changed_fields(user: User, profile: dict[str, str]) -> list[str]:
    return [field for field, value in profile.items() if getattr(user, field) != value]


class KnownUsers:
    """
    Active users whose row was read in the last AUTH_USER_CACHE_SECONDS, in
    this process, so that a user's next requests authenticate without a
    query: a millisecond of CPU each (bench/README.md), and a round trip to a
    database across a network, which an interactive user, a request every
    few seconds, would otherwise pay again and again.

    The trade-off: what the token does not carry is seen late. A user
    deactivated or deleted in the admin keeps access for up to ``ttl``
    seconds in the other worker processes (at once in the one that saved the
    change), and a task made by a user deleted meanwhile fails. A token whose
    email or name differs from the remembered row still goes to the database,
    so the row follows the token as before. Only rows as read from the
    database are remembered, never one this request has just made or changed.
    """

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.fields = [field.attname for field in User._meta.concrete_fields]
        self.entries: dict[str, tuple[float, tuple]] = {}
        self.clock = time.monotonic

    @property
    def ttl(self) -> float:
        return settings.AUTH_USER_CACHE_SECONDS

    def get(self, user_id: str) -> User | None:
        entry = self.entries.get(user_id)
        if entry is None:
            return None
        expires, values = entry
        if self.clock() >= expires:
            self.entries.pop(user_id, None)
            return None
        # A fresh instance per request, as a query would give, never a shared one.
        return User.from_db(DEFAULT_DB_ALIAS, self.fields, values)

    def add(self, user: User) -> None:
        if self.ttl <= 0:
            return
        if len(self.entries) >= self.max_size:
            self.entries.clear()
        values = tuple(getattr(user, field) for field in self.fields)
        self.entries[user.pk] = (self.clock() + self.ttl, values)

    def forget(self, user_id: str) -> None:
        self.entries.pop(user_id, None)

    def clear(self) -> None:
        self.entries.clear()


known_users = KnownUsers(max_size=10_000)


def forget_saved_user(sender, instance, **kwargs):
    known_users.forget(instance.pk)


def forget_all_users(**kwargs):
    # A new configuration (tests change settings between cases, and roll back
    # the rows the entries came from) starts from an empty cache.
    known_users.clear()


post_save.connect(forget_saved_user, sender=User, dispatch_uid="authn.forget_saved_user")
post_delete.connect(forget_saved_user, sender=User, dispatch_uid="authn.forget_deleted_user")
setting_changed.connect(forget_all_users, dispatch_uid="authn.forget_all_users")


def profile_from_claims(claims: dict[str, Any]) -> dict[str, str]:
    """The ``email`` and ``name`` claims that fit the user row; others are left alone."""
    profile = {}
    for field in ("email", "name"):
        value = claims.get(field)
        max_length = User._meta.get_field(field).max_length
        if isinstance(value, str) and len(value) <= max_length and value.isprintable():
            profile[field] = value
    return profile


def create_user(user_id: str, profile: dict[str, str]) -> User:
    # get_or_create, not create: two first requests of one user may race.
    user, _ = User.objects.get_or_create(pk=user_id, defaults=profile)
    return user
