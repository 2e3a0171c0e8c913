"""
The cache the instances share: Redis, when REDIS_URL is set.

Only the rate limits and the health check talk to it. While it is down the
rate limits fail open and everything else goes on; ``outage`` remembers, per
process, that it is down, so that a dead Redis costs neither a timeout nor a
log line on every request.
"""

import logging
import time
import weakref

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A dead Redis is logged at most once per this many seconds in each process.
LOG_INTERVAL_SECONDS = 60.0


def is_configured() -> bool:
    return isinstance(caches["default"], RedisCache)


def redis_client(key: str) -> tuple[Redis, str] | None:
    """
    The Redis client of the default cache and the key as the cache stores it
    (with its prefix and version), or None when the default cache is not Redis.

    The client is one Django's RedisCache made, so one connection pool and one
    configuration (URL, timeouts) serve the cache and the rate limits. Django
    makes a new client for every operation, which costs more CPU (about
    0.1 ms) than the rate limit's round trip; a client is thread-safe, and
    this one is kept for the cache object's life (one per thread).
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    stored_key = backend.make_and_validate_key(key)
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend._cache.get_client(stored_key, write=True)
    return client, stored_key


_clients: "weakref.WeakKeyDictionary[RedisCache, Redis]" = weakref.WeakKeyDictionary()


def is_reachable() -> bool:
    """Whether Redis answers now; asked every time, whatever ``outage`` remembers."""
    client, _ = redis_client("health")
    try:
        return bool(client.ping())
    except RedisError:
        return False


class Outage:
    """
    The last failure of the shared cache, in this process.

    For REDIS_RETRY_SECONDS after a failure the rate limits do not ask Redis
    again: an unreachable one would hold every request for a timeout. A
    failure is logged at most once per LOG_INTERVAL_SECONDS, and the first
    success after it once.
    """

    def __init__(self):
        self.clock = time.monotonic
        self.clear()

    def is_current(self) -> bool:
        return self.clock() < self.retry_at

    def record(self, error: Exception) -> None:
        now = self.clock()
        self.retry_at = now + settings.REDIS_RETRY_SECONDS
        self.failing = True
        if self.logged_at is None or now - self.logged_at >= LOG_INTERVAL_SECONDS:
            self.logged_at = now
            logger.warning("Redis unavailable, rate limits are not counted: %s", error)

    def record_success(self) -> None:
        if self.failing:
            self.failing = False
            logger.warning("Redis reachable again, rate limits are counted")

    def clear(self) -> None:
        self.retry_at = float("-inf")
        self.logged_at: float | None = None
        self.failing = False


outage = Outage()


def forget_outage(setting, **kwargs):
    # Another cache (tests swap them) has no outage yet.
    if setting in ("CACHES", "REDIS_RETRY_SECONDS"):
        outage.clear()


setting_changed.connect(forget_outage, dispatch_uid="todo_project.forget_outage")
