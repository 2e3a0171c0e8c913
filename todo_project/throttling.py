"""
The rate limits: DRF's user and anonymous throttles, counted in a fixed window
in the default cache.

DRF's own throttles read a list of request times from the cache and write it
back: two processes that read the same list both let their request through, so
behind several instances a limit lets several times its number through. Here a
request adds one to a counter in one atomic step, which with Redis is one round
trip. A window starts with its first request and lasts the rate's period;
Retry-After is what is left of it. While Redis is down the limits fail open
(shared_cache.outage).
"""

import threading
import time

from django.core.cache import caches
from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from . import shared_cache


def count(key: str, period: int) -> tuple[int, float] | None:
    """
    This request's number in the current window of ``key``, and the seconds
    left of that window; None while the shared cache is down.
    """
    if shared_cache.outage.is_current():
        return None
    redis = shared_cache.redis_client(key)
    if redis is None:
        return count_in_process(key, period)
    client, stored_key = redis
    try:
        number, milliseconds_left = COUNT_IN_REDIS(
            keys=[stored_key], args=[period * 1000], client=client
        )
    except RedisError as error:
        shared_cache.outage.record(error)
        return None
    shared_cache.outage.record_success()
    # At least a millisecond, so that Retry-After says at least 1.
    return number, max(milliseconds_left, 1) / 1000


# One script, so one round trip, and atomic: no other command runs between
# its steps. A key found without an expiry (the first request of a window, or
# a key stored by something else) gets the window's. Sent as EVALSHA; the
# script itself only when Redis does not know it yet (after a restart).
COUNT_IN_REDIS = Script(
    None,
    b"""
    local number = redis.call('INCR', KEYS[1])
    local left = redis.call('PTTL', KEYS[1])
    if left < 0 then
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        left = tonumber(ARGV[1])
    end
    return {number, left}
    """,
)


_in_process = threading.Lock()


def count_in_process(key: str, period: int) -> tuple[int, float]:
    """The same window in a cache of this process (LocMemCache): a lock makes it atomic."""
    backend = caches["default"]
    now = time.time()
    with _in_process:
        started, number = backend.get(key) or (now, 0)
        if started + period <= now:
            started, number = now, 0
        number += 1
        backend.set(key, (started, number), started + period - now)
    return number, started + period - now


class WindowThrottle:
    """
    A mixin for DRF's throttles that counts with ``count`` and reads the rates
    on each request (DRF's classes copy them when first imported, so a changed
    setting would be missed).
    """

    # Not DRF's key: a list DRF stored there cannot be counted up.
    cache_format = "rate:%(scope)s:%(ident)s"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        counted = count(key, self.duration)
        if counted is None:
            return True
        number, self.seconds_left = counted
        return number <= self.num_requests

    def wait(self):
        return self.seconds_left


class UserThrottle(WindowThrottle, UserRateThrottle):
    pass


class AnonThrottle(WindowThrottle, AnonRateThrottle):
    pass
