"""The DRF authentication class for Better Auth JWTs, in four small steps."""

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from . import tokens
from .exceptions import AuthUnavailable, InvalidToken, TokenExpired
from .models import User

AUTH_SCHEME = "Bearer"


class BetterAuthJWTAuthentication(BaseAuthentication):
    """
    ``Authorization: Bearer <jwt>`` from Better Auth.

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
        claims = self.get_validated_token(raw_token)
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

    def get_validated_token(self, raw_token: str) -> dict[str, Any]:
        try:
            return tokens.verify_token(raw_token)
        except tokens.TokenExpiredError as e:
            raise TokenExpired() from e
        except tokens.TokenRejected as e:
            raise InvalidToken() from e
        except tokens.KeySetUnavailable as e:
            raise AuthUnavailable() from e

    def get_user(self, claims: dict[str, Any]) -> User:
        """
        The local row for ``sub``, made on the user's first request.

        Nothing is written unless the row is new or the token's email or name
        changed, so an ordinary request only reads.
        """
        profile = profile_from_claims(claims)
        try:
            user = User.objects.get(pk=claims["sub"])
        except User.DoesNotExist:
            user = create_user(claims["sub"], profile)
        if not user.is_active:
            raise InvalidToken("user inactive")
        changed = [field for field, value in profile.items() if getattr(user, field) != value]
        if changed:
            for field in changed:
                setattr(user, field, profile[field])
            user.save(update_fields=changed)
        return user


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
