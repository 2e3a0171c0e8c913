"""
Rate limits counted in Redis, once per request whichever process serves it,
against a private Redis (tests/redis_server.py); and the same window in the
process's own cache without Redis.
"""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from authn.models import User
from todo_project.throttling import UserThrottle, count

from .live import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(user, anon="600/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": user, "anon": anon},
        }

    return set_rates


def test_a_limit_is_counted_in_redis(alice, bob, redis_cache, rates):
    rates("3/minute")
    assert [alice.get("/api/tasks").status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = alice.get("/api/tasks")
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    stored = redis_cache.client()
    key = cache.make_key("rate:user:alice-id")
    assert int(stored.get(key)) == 5
    assert 0 < stored.pttl(key) <= 60_000
    assert bob.get("/api/tasks").status_code == 200


def test_a_window_starts_with_its_first_request_and_ends_a_period_later(alice, redis_cache, rates):
    rates("2/second")
    assert [alice.get("/api/tasks").status_code for _ in range(3)] == [200, 200, 429]
    assert alice.get("/api/tasks")["Retry-After"] == "1"
    time.sleep(1.1)
    assert alice.get("/api/tasks").status_code == 200


def test_a_window_without_an_expiry_gets_one(redis_cache):
    """A key left without a TTL would otherwise throttle its user forever."""
    key = cache.make_key("rate:user:stuck")
    redis_cache.client().set(key, 7)
    assert count("rate:user:stuck", 60) == (8, 60.0)
    assert 0 < redis_cache.client().pttl(key) <= 60_000


def test_without_redis_the_same_window_is_kept_in_the_process(alice, rates):
    rates("2/second")
    assert [alice.get("/api/tasks").status_code for _ in range(3)] == [200, 200, 429]
    assert alice.get("/api/tasks")["Retry-After"] == "1"
    time.sleep(1.1)
    assert alice.get("/api/tasks").status_code == 200


def allowed_by_the_user_throttle(user_id: str) -> bool:
    request = Request(APIRequestFactory().get("/api/tasks"))
    # An unsaved row: the throttle reads only the user's id.
    request.user = User(pk=user_id)
    return UserThrottle().allow_request(request, view=None)


@pytest.mark.parametrize("cache_name", ["redis", "in-process"])
def test_threads_hammering_a_limit_let_exactly_that_many_through(request, rates, cache_name):
    if cache_name == "redis":
        request.getfixturevalue("redis_cache")
    rates("50/minute")
    # Each thread has its own cache object and Redis connection, as workers do.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(allowed_by_the_user_throttle, ["hammered-id"] * 200))
    assert answers.count(True) == 50


COUNTER = """
import json, sys, time
import django
django.setup()
from todo_project.throttling import count
start_at, calls = float(sys.argv[1]), int(sys.argv[2])
time.sleep(max(0, start_at - time.time()))
print(json.dumps([count("rate:user:shared", 60)[0] for _ in range(calls)]))
"""


def test_processes_sharing_one_redis_count_every_request_once(redis_server):
    """Four processes counting at the same moment: each number is given out exactly once."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "todo_project.settings",
        "REDIS_URL": redis_server.url,
    }
    start_at = str(time.time() + 3)  # after every process has started
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, start_at, "300"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    numbers = []
    for process in processes:
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        numbers += json.loads(output)
    assert sorted(numbers) == list(range(1, 1201))
    # So a limit of 100 lets exactly 100 of these requests through.
    assert len([number for number in numbers if number <= 100]) == 100
