"""
A Redis that is down or unreachable never makes a request fail: the rate
limits fail open, the outage is logged once per interval, and a dead Redis is
left alone for a few seconds rather than asked again on every request.
"""

import logging
import socket
import time
from contextlib import contextmanager

import pytest
from django.core.cache import cache

from todo_project import shared_cache

pytestmark = pytest.mark.django_db

LOGGER = "todo_project.shared_cache"


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "3/minute"},
    }


@pytest.fixture
def clock(monkeypatch):
    """The outage's clock, moved by the test."""
    now = [1000.0]
    monkeypatch.setattr(shared_cache.outage, "clock", lambda: now[0])
    return now


def outage_lines(caplog, word):
    return [r for r in caplog.records if r.name == LOGGER and word in r.getMessage()]


@contextmanager
def unreachable_redis(settings, timeout=0.3):
    """A port that accepts connections and never answers, like a hung server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0",
                "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
            }
        }
        yield


def test_with_redis_shut_down_every_request_goes_on_and_it_is_logged_once(
    alice, anonymous, redis_cache, rates, caplog
):
    assert alice.get("/api/tasks").status_code == 200
    redis_cache.shutdown()
    with caplog.at_level(logging.INFO):
        statuses = [alice.get("/api/tasks").status_code for _ in range(10)]
        statuses.append(alice.post("/api/tasks", {"title": "x"}, format="json").status_code)
        statuses.append(anonymous.get("/api/tasks").status_code)
        statuses.append(anonymous.get("/api/health").status_code)
    # More than the limit of 3 get through: the limit fails open.
    assert statuses == [200] * 10 + [201, 401, 200]
    assert len(outage_lines(caplog, "unavailable")) == 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_outage_is_logged_once_per_interval_however_often_redis_is_asked(
    alice, redis_cache, rates, settings, clock, caplog
):
    redis_cache.shutdown()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(5):
            # Past the pause after a failure: each of these asks Redis again.
            clock[0] += settings.REDIS_RETRY_SECONDS + 1
            assert alice.get("/api/tasks").status_code == 200
        assert len(outage_lines(caplog, "unavailable")) == 1
        clock[0] += shared_cache.LOG_INTERVAL_SECONDS
        assert alice.get("/api/tasks").status_code == 200
        assert len(outage_lines(caplog, "unavailable")) == 2


def test_counting_resumes_once_redis_is_back_and_the_pause_is_over(
    alice, redis_cache, rates, settings, clock, caplog
):
    key = cache.make_key("rate:user:alice-id")
    redis_cache.shutdown()
    assert alice.get("/api/tasks").status_code == 200
    redis_cache.start()  # same port, empty
    assert alice.get("/api/tasks").status_code == 200
    assert redis_cache.client().get(key) is None, "asked again before the pause was over"
    clock[0] += settings.REDIS_RETRY_SECONDS
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert alice.get("/api/tasks").status_code == 200
    assert int(redis_cache.client().get(key)) == 1
    assert len(outage_lines(caplog, "reachable again")) == 1
    assert [alice.get("/api/tasks").status_code for _ in range(3)] == [200, 200, 429]


def test_an_unreachable_redis_holds_one_request_for_a_timeout_then_none(alice, rates, settings):
    with unreachable_redis(settings, timeout=0.3):
        started = time.monotonic()
        assert alice.get("/api/tasks").status_code == 200
        first = time.monotonic() - started
        started = time.monotonic()
        assert {alice.get("/api/tasks").status_code for _ in range(10)} == {200}
        next_ten = time.monotonic() - started
    assert 0.3 <= first < 2
    # Ten more timeouts would take 3 s.
    assert next_ten < 1.5


def test_health_says_an_unreachable_redis_is_unavailable_within_its_timeout(anonymous, settings):
    with unreachable_redis(settings, timeout=0.3):
        started = time.monotonic()
        response = anonymous.get("/api/health")
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}
    assert elapsed < 2
