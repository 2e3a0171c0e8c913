"""
Verification of Better Auth JWTs: the one module to read for a security review.

Two modes, told apart by the token's ``alg``:

- shared secret (``BETTER_AUTH_SECRET``): HS256 tokens the frontend signs itself;
- JWKS (``BETTER_AUTH_URL`` or ``BETTER_AUTH_JWKS_URL``): tokens of Better Auth's
  ``jwt`` plugin, checked against the public keys it publishes.

Only algorithms of a configured mode are accepted, keys come only from the
configuration (never from the token's own header), and ``exp`` and ``sub`` are
required. Settings are read on every call, never at import time.

One verifier serves two resources, which differ only in whom a token must be
from and for: the REST API (``REST_API``: ``BETTER_AUTH_ISSUER`` and
``BETTER_AUTH_AUDIENCE``) and the MCP endpoint (``MCP``: the authorization
server it advertises, and ``aud`` naming ``MCP_RESOURCE_URL``). A token made
for one is refused by the other.
"""

import hashlib
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

SECRET_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
JWKS_ALGORITHMS = frozenset(
    {"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
# What each mode accepts unless BETTER_AUTH_JWT_ALGORITHMS narrows it: HS256 for
# the secret, and every algorithm Better Auth's jwt plugin can sign with.
DEFAULT_ALGORITHMS = ("HS256", "EdDSA", "ES256", "ES512", "RS256", "PS256")

# Headers that point at a key chosen by whoever made the token, or ask for
# extensions this verifier does not implement (RFC 8725 section 3.10).
FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c", "crit")

MAX_TOKEN_LENGTH = 8192
MAX_JWKS_BYTES = 256 * 1024
MAX_SUBJECT_LENGTH = 255

# The resources a token can be meant for.
REST_API = "rest"
MCP = "mcp"


class TokenRejected(Exception):
    """The token is not acceptable; ``check`` names the failed check."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


class TokenExpiredError(TokenRejected):
    def __init__(self, message: str = "the token has expired"):
        super().__init__("expired", message)


class KeySetUnavailable(Exception):
    """The JWKS cannot be fetched and no cached key fits the token."""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, as JavaScript's ``new URL(url).origin``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(scheme)
    if parts.port is None or parts.port == default_port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{parts.port}"


def jwks_url() -> str:
    if settings.BETTER_AUTH_JWKS_URL:
        return settings.BETTER_AUTH_JWKS_URL
    if settings.BETTER_AUTH_URL:
        return f"{origin_of(settings.BETTER_AUTH_URL)}/api/auth/jwks"
    return ""


def allowed_algorithms() -> list[str]:
    configured = settings.BETTER_AUTH_JWT_ALGORITHMS or DEFAULT_ALGORITHMS
    available = set()
    if settings.BETTER_AUTH_SECRET:
        available |= SECRET_ALGORITHMS
    if jwks_url():
        available |= JWKS_ALGORITHMS
    return [algorithm for algorithm in configured if algorithm in available]


def expected_issuer(algorithm: str, resource: str = REST_API) -> str | list[str] | None:
    """
    The required ``iss`` (or the allowed ones); ``None`` skips the check
    (secret mode, nothing configured).
    """
    if resource == MCP:
        return mcp_issuers(algorithm)
    if settings.BETTER_AUTH_ISSUER:
        return settings.BETTER_AUTH_ISSUER
    if algorithm in JWKS_ALGORITHMS and settings.BETTER_AUTH_URL:
        return origin_of(settings.BETTER_AUTH_URL)
    return None


def mcp_issuers(algorithm: str) -> str | list[str] | None:
    """
    /mcp's issuers: MCP_AUTHORIZATION_SERVER when set; else the REST API's,
    or Better Auth's as an OAuth server, which its ``mcp`` and
    ``oauth-provider`` plugins sign as (``<BETTER_AUTH_URL>/api/auth``) with
    the same keys.
    """
    if settings.MCP_AUTHORIZATION_SERVER:
        return settings.MCP_AUTHORIZATION_SERVER
    rest_issuer = expected_issuer(algorithm)
    if rest_issuer is None or not settings.BETTER_AUTH_URL:
        return rest_issuer
    return [rest_issuer, f"{origin_of(settings.BETTER_AUTH_URL)}/api/auth"]


def expected_audience(algorithm: str, resource: str = REST_API) -> str | None:
    if resource == MCP:
        # Never None: /mcp always checks the audience (RFC 8707), in every mode.
        return settings.MCP_RESOURCE_URL
    if settings.BETTER_AUTH_AUDIENCE:
        return settings.BETTER_AUTH_AUDIENCE
    if algorithm in JWKS_ALGORITHMS and settings.BETTER_AUTH_URL:
        return origin_of(settings.BETTER_AUTH_URL)
    return None


def authorization_server() -> str:
    """
    The issuer the MCP endpoint's metadata names, so that MCP clients sign in
    there: MCP_AUTHORIZATION_SERVER, else the issuer the API checks.
    """
    if settings.MCP_AUTHORIZATION_SERVER:
        return settings.MCP_AUTHORIZATION_SERVER
    if settings.BETTER_AUTH_ISSUER:
        return settings.BETTER_AUTH_ISSUER
    if settings.BETTER_AUTH_URL:
        return origin_of(settings.BETTER_AUTH_URL)
    return ""


def read_header(raw_token: str) -> dict[str, Any]:
    """The token's header, unverified: only used to choose the algorithm and key."""
    if len(raw_token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("malformed", "the token is too long")
    try:
        header = jwt.get_unverified_header(raw_token)
    except jwt.InvalidTokenError as e:
        raise TokenRejected("malformed", "the token is not a well-formed JWT") from e
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise TokenRejected("header", f"the token carries a {name!r} header")
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in allowed_algorithms():
        raise TokenRejected("algorithm", f"algorithm {algorithm!r} is not allowed")
    return header


def verification_key(header: dict[str, Any]) -> Any:
    algorithm = header["alg"]
    if algorithm in SECRET_ALGORITHMS:
        return settings.BETTER_AUTH_SECRET
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRejected("kid", "the token names no key (kid)")
    return key_set(jwks_url()).key_for(kid, algorithm)


def verify_token(raw_token: str, resource: str = REST_API) -> dict[str, Any]:
    """
    Return the token's claims, or raise TokenRejected or KeySetUnavailable.

    A token checked before in this process for the same resource is not
    checked again until its ``exp``, as long as the key that verified it is
    still the one the configuration gives for it (``verified_tokens``).
    """
    claims = verified_tokens.get(raw_token, resource)
    if claims is not None:
        return claims
    header = read_header(raw_token)
    key = verification_key(header)
    claims = check_token(raw_token, header, key, resource)
    verified_tokens.add(raw_token, header, key, claims, resource)
    return claims


def check_token(
    raw_token: str, header: dict[str, Any], key: Any, resource: str = REST_API
) -> dict[str, Any]:
    """The signature and every claim, checked in full."""
    algorithm = header["alg"]
    issuer = expected_issuer(algorithm, resource)
    audience = expected_audience(algorithm, resource)
    if resource == MCP and not audience:
        raise TokenRejected("audience", "MCP_RESOURCE_URL is not set")
    try:
        claims = jwt.decode(
            raw_token,
            key,
            algorithms=[algorithm],
            issuer=issuer,
            audience=audience,
            leeway=settings.JWT_LEEWAY_SECONDS,
            options={"require": ["exp", "sub"], "verify_aud": audience is not None},
        )
    except jwt.ExpiredSignatureError as e:
        raise TokenExpiredError() from e
    except jwt.ImmatureSignatureError as e:
        raise TokenRejected("not_yet_valid", "the token is not valid yet (nbf or iat)") from e
    except jwt.InvalidIssuerError as e:
        raise TokenRejected("issuer", f"the issuer is not {issuer!r}") from e
    except jwt.InvalidAudienceError as e:
        raise TokenRejected("audience", f"the audience is not {audience!r}") from e
    except jwt.InvalidSignatureError as e:
        raise TokenRejected("signature", "the signature does not match") from e
    except jwt.MissingRequiredClaimError as e:
        raise TokenRejected("claims", str(e)) from e
    except (jwt.InvalidTokenError, jwt.PyJWKError) as e:
        raise TokenRejected("invalid", str(e)) from e
    check_time_claims(claims)
    check_subject(claims.get("sub"))
    if audience is None:
        check_not_for_mcp(claims)
    return claims


def check_not_for_mcp(claims: dict[str, Any]) -> None:
    """
    Where the REST API checks no audience (secret mode without one), it still
    refuses a token made for the MCP endpoint: such a token is handed to an AI
    client, and must not open the whole API to it.
    """
    resource = settings.MCP_RESOURCE_URL
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if resource and isinstance(audiences, list) and resource in audiences:
        raise TokenRejected("audience", "the token is for the MCP endpoint, not this API")


def check_scopes(claims: dict[str, Any], required: list[str]) -> list[str]:
    """The scopes of ``required`` missing from the token's ``scope`` (RFC 9068: space separated)."""
    granted = claims.get("scope")
    granted = granted.split() if isinstance(granted, str) else []
    return [scope for scope in required if scope not in granted]


def check_time_claims(claims: dict[str, Any]) -> None:
    # PyJWT reads "exp": "1999999999" as a number; RFC 7519 asks for a JSON number.
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TokenRejected("claims", f"{name} must be a number")


def check_subject(subject: Any) -> None:
    if not isinstance(subject, str) or not subject.strip():
        raise TokenRejected("claims", "sub must be a non-empty string")
    if len(subject) > MAX_SUBJECT_LENGTH or not subject.isprintable():
        raise TokenRejected("claims", "sub is too long or holds control characters")


class KeySet:
    """
    The public keys published at one JWKS URL, cached in this process.

    An unknown ``kid`` triggers a fetch at most once per cooldown, however many
    requests carry one; known keys keep working while the JWKS is down.
    """

    def __init__(self, url: str):
        self.url = url
        self.jwks: dict[str, dict[str, Any]] = {}
        self.keys: dict[tuple[str, str], jwt.PyJWK] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.last_fetch_failed = False
        self.lock = threading.Lock()

    def key_for(self, kid: str, algorithm: str) -> jwt.PyJWK:
        jwk = self.jwks.get(kid)
        if jwk is not None and not self.is_stale():
            return self.build_key(kid, jwk, algorithm)
        if jwk is not None:
            # Stale but known: refresh if no other thread is at it, else use it.
            if self.lock.acquire(blocking=False):
                try:
                    self.refresh_if_allowed()
                finally:
                    self.lock.release()
        else:
            with self.lock:
                if kid not in self.jwks:
                    self.refresh_if_allowed()
        jwk = self.jwks.get(kid)
        if jwk is not None:
            return self.build_key(kid, jwk, algorithm)
        if self.last_fetch_failed or self.fetched_at is None:
            raise KeySetUnavailable(f"the JWKS at {self.url} cannot be fetched")
        raise TokenRejected("kid", f"no key with kid {kid!r} in the JWKS")

    def is_stale(self) -> bool:
        max_age = settings.BETTER_AUTH_JWKS_MAX_AGE_SECONDS
        return self.fetched_at is None or time.monotonic() - self.fetched_at > max_age

    def refresh_if_allowed(self) -> None:
        now = time.monotonic()
        cooldown = settings.BETTER_AUTH_JWKS_REFETCH_SECONDS
        if self.attempted_at is not None and now - self.attempted_at < cooldown:
            return
        self.attempted_at = now
        try:
            jwks = fetch_jwks(self.url, settings.BETTER_AUTH_JWKS_TIMEOUT_SECONDS)
        except (OSError, ValueError, http.client.HTTPException) as e:
            self.last_fetch_failed = True
            logger.warning("JWKS fetch from %s failed: %s", self.url, e)
            return
        self.jwks = jwks
        self.keys = {}
        self.fetched_at = now
        self.last_fetch_failed = False

    def build_key(self, kid: str, jwk: dict[str, Any], algorithm: str) -> jwt.PyJWK:
        cached = self.keys.get((kid, algorithm))
        if cached is not None:
            return cached
        if jwk.get("alg", algorithm) != algorithm:
            raise TokenRejected("algorithm", f"key {kid!r} is not for {algorithm}")
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm)
        except (jwt.PyJWKError, jwt.InvalidKeyError) as e:
            raise TokenRejected("algorithm", f"key {kid!r} cannot verify {algorithm}") from e
        self.keys[(kid, algorithm)] = key
        return key


def fetch_jwks(url: str, timeout: float) -> dict[str, dict[str, Any]]:
    """The signing keys at ``url`` by kid. Raises OSError, ValueError or HTTPException."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("the JWKS document is too large")
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the JWKS document has no list of keys")
    return {
        jwk["kid"]: jwk
        for jwk in document["keys"]
        if isinstance(jwk, dict)
        and isinstance(jwk.get("kid"), str)
        and jwk.get("use", "sig") == "sig"
    }


class VerifiedTokens:
    """
    Tokens whose signature and claims this process has checked, so that a
    user's next requests skip the cryptography (bench/README.md): bounded, and
    each valid until the token's ``exp``, never past it (the leeway applies to
    a full check only). A hit still asks for the verifying key as a full check
    would, which refreshes a stale JWKS; once the key set no longer holds that
    key (rotation, revocation) or the secret changed, the token is checked
    again, and refused.
    """

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.entries: dict[bytes, tuple[float, dict[str, Any], Any, dict[str, Any]]] = {}
        self.clock = time.time

    def get(self, raw_token: str, resource: str = REST_API) -> dict[str, Any] | None:
        digest = self.digest(raw_token, resource)
        entry = self.entries.get(digest)
        if entry is None:
            return None
        expires, header, key, claims = entry
        if self.clock() >= expires or not self.key_is_current(header, key):
            self.entries.pop(digest, None)
            return None
        return claims

    @staticmethod
    def key_is_current(header: dict[str, Any], key: Any) -> bool:
        try:
            # A JWKS key is the same object until its key set is fetched anew.
            return verification_key(header) == key
        except (TokenRejected, KeySetUnavailable):
            return False

    def add(
        self, raw_token: str, header, key, claims: dict[str, Any], resource: str = REST_API
    ) -> None:
        if len(self.entries) >= self.max_size:
            self.entries.clear()
        entry = (float(claims["exp"]), header, key, claims)
        self.entries[self.digest(raw_token, resource)] = entry

    @staticmethod
    def digest(raw_token: str, resource: str) -> bytes:
        # Live bearer tokens are not kept in memory longer than the request.
        # The resource is part of the key: a token checked for the REST API
        # was not checked against /mcp's issuer and audience, nor the reverse.
        return hashlib.sha256(f"{resource} {raw_token}".encode()).digest()

    def clear(self) -> None:
        self.entries.clear()


verified_tokens = VerifiedTokens(max_size=10_000)


_key_sets: dict[str, KeySet] = {}
_key_sets_lock = threading.Lock()


def key_set(url: str) -> KeySet:
    """The process-wide cache for one JWKS URL."""
    existing = _key_sets.get(url)
    if existing is not None:
        return existing
    with _key_sets_lock:
        if url not in _key_sets:
            _key_sets[url] = KeySet(url)
        return _key_sets[url]


def forget_key_sets() -> None:
    """Drop every cached key set and verified token (tests start each case cold)."""
    with _key_sets_lock:
        _key_sets.clear()
    verified_tokens.clear()


def forget_verified_tokens(**kwargs) -> None:
    # A new secret, issuer or audience is checked against every token anew.
    verified_tokens.clear()


setting_changed.connect(forget_verified_tokens, dispatch_uid="authn.forget_verified_tokens")
