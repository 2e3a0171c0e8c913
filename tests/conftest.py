"""
Shared fixtures. The cast: Alice and Bob are Better Auth users who call the
API with their own tokens; Bob should have no access to Alice's stuff.
"""

import secrets
import time

import jwt
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from authn import sessions, tokens
from authn.models import User
from tasks.models import Task

from .jwks_server import JWKSServer
from .redis_server import PrivateRedis, skip_or_fail_without_redis

TEST_SECRET = secrets.token_urlsafe(32)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counts live in the cache; each test starts with none (LocMemCache, see settings)."""
    cache.clear()


@pytest.fixture
def redis_server():
    """A Redis of this test's own on a free port, which it may shut down and start again."""
    skip_or_fail_without_redis()
    server = PrivateRedis.started()
    yield server
    server.close()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache in the private Redis, configured as REDIS_URL would."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return redis_server


@pytest.fixture(autouse=True)
def auth_settings(settings):
    """Shared-secret mode only, whatever the developer's .env says."""
    settings.BETTER_AUTH_SECRET = TEST_SECRET
    settings.BETTER_AUTH_URL = ""
    settings.BETTER_AUTH_JWKS_URL = ""
    settings.BETTER_AUTH_ISSUER = ""
    settings.BETTER_AUTH_AUDIENCE = ""
    settings.BETTER_AUTH_JWT_ALGORITHMS = []
    settings.JWT_LEEWAY_SECONDS = 30
    settings.TASKS_HIDE_FOREIGN = False
    settings.BETTER_AUTH_SESSIONS = ""
    settings.BETTER_AUTH_SESSION_TABLE = "session"
    settings.BETTER_AUTH_USER_TABLE = "user"
    settings.BETTER_AUTH_SESSION_CACHE_SECONDS = 5
    settings.BETTER_AUTH_SESSION_TIMEOUT_SECONDS = 3.0
    tokens.forget_key_sets()
    sessions.forget_sessions()
    yield settings
    tokens.forget_key_sets()
    sessions.forget_sessions()


@pytest.fixture
def shared_secret():
    """The BETTER_AUTH_SECRET every test starts with."""
    return TEST_SECRET


@pytest.fixture
def make_token():
    """An HS256 token as a Next.js route would sign it; claims may be overridden or None'd."""

    def make(sub="alice-id", *, secret=None, algorithm="HS256", headers=None, **claims):
        now = int(time.time())
        payload = {"sub": sub, "iat": now, "exp": now + 300, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, secret or TEST_SECRET, algorithm=algorithm, headers=headers)

    return make


@pytest.fixture
def client_for(make_token):
    """An API client that sends a bearer token for the given user id."""

    def make(sub, **claims):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(sub, **claims)}")
        return client

    return make


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def alice(client_for, db):
    return client_for("alice-id", email="alice@example.com", name="Alice")


@pytest.fixture
def bob(client_for, db):
    return client_for("bob-id", email="bob@example.com", name="Bob")


@pytest.fixture
def add_task(db):
    """Store a task directly, for tests about reading it back."""

    def add(owner_id="alice-id", title="Buy milk", **fields):
        owner, _ = User.objects.get_or_create(pk=owner_id)
        return Task.objects.create(owner=owner, title=title, **fields)

    return add


@pytest.fixture
def jwks_server(settings):
    """A key set on 127.0.0.1, with the API in JWKS mode pointed at its origin."""
    server = JWKSServer()
    settings.BETTER_AUTH_URL = server.origin
    yield server
    server.close()


@pytest.fixture
def jwt_claims(jwks_server):
    """Claims as Better Auth's jwt plugin puts them in a token, for Alice."""

    def make(sub="alice-id", **overrides):
        now = int(time.time())
        claims = {
            "sub": sub,
            "id": sub,
            "email": "alice@example.com",
            "name": "Alice",
            "emailVerified": True,
            "iat": now,
            "exp": now + 900,
            "iss": jwks_server.origin,
            "aud": jwks_server.origin,
            **overrides,
        }
        return {name: value for name, value in claims.items() if value is not None}

    return make
