"""
Two instances behind no balancer, started from the Procfile's web line, on one
PostgreSQL database of their own and one private Redis: what one instance
shares with the other holds (rate limits, admin sessions, idempotency keys,
conditional writes, the changes feed), and a Redis shut down under them costs
no request.

Needs a PostgreSQL where it may create a database: MULTI_INSTANCE_POSTGRES names
it, e.g. postgresql://postgres@127.0.0.1:5432/postgres (CI sets it), and
redis-server. Each instance is sized as in the issue: 2 workers of 2 threads.
"""

import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import psycopg
import pytest

from .instances import admin_sign_in, running_instances
from .live import ROOT, migrate
from .redis_server import PrivateRedis, skip_or_fail_without_redis

ADMIN_URL = os.environ.get("MULTI_INSTANCE_POSTGRES", "")
LIMIT = 40
SECRET = secrets.token_urlsafe(32)
WORKERS = 2

pytestmark = [
    pytest.mark.multi_instance,
    pytest.mark.skipif(not ADMIN_URL, reason="set MULTI_INSTANCE_POSTGRES (CI does) to run"),
]


def token_for(user_id: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user_id, "iat": now, "exp": now + 600}, SECRET)


@pytest.fixture(scope="module")
def database_url():
    """A fresh database on the PostgreSQL server, dropped afterwards."""
    name = f"todo_two_instances_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urllib.parse.urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def redis():
    skip_or_fail_without_redis()
    server = PrivateRedis.started()
    yield server
    server.close()


@pytest.fixture(scope="module")
def env(database_url, redis):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "THROTTLE_USER_RATE": f"{LIMIT}/minute",
        # Counting resumes soon after Redis is back.
        "REDIS_RETRY_SECONDS": "1",
        "WEB_CONCURRENCY": str(WORKERS),
        "GRANIAN_BLOCKING_THREADS": "2",
        # Nothing of a developer's .env: HS256 tokens, a direct connection.
        "BETTER_AUTH_URL": "",
        "BETTER_AUTH_JWKS_URL": "",
        "DATABASE_POOLER": "",
    }
    # Once per deploy, not per instance.
    migrate(env)
    return env


@pytest.fixture(scope="module")
def instances(env, tmp_path_factory):
    with running_instances(2, env, tmp_path_factory.mktemp("instances")) as started:
        yield started


def spread(instances, count, send):
    """``count`` requests from 8 threads, alternating between the instances."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda n: send(instances[n % len(instances)], n), range(count)))


def test_both_instances_count_in_the_one_redis(instances, redis):
    token = token_for("counted-on-both")
    for instance in instances:
        assert instance.get("/api/health").json() == {
            "status": "ok",
            "database": "ok",
            "cache": "ok",
        }
        for _ in range(3):
            assert instance.get("/api/tasks", token=token).status == 200
    keys = redis.client().keys("*rate:user:counted-on-both")
    assert len(keys) == 1
    assert int(redis.client().get(keys[0])) == 6


def test_a_burst_across_both_instances_gets_the_limit_through_and_no_more(instances, capsys):
    token = token_for("bursting")
    answers = spread(instances, 3 * LIMIT, lambda i, n: i.get("/api/tasks", token=token))
    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) == {200, 429}
    # Without a shared count, 2 instances of 2 workers would let up to 4 x LIMIT through.
    assert LIMIT <= statuses[200] <= LIMIT + 2
    for answer in answers:
        if answer.status == 429:
            assert answer.json()["code"] == "throttled"
            assert 1 <= int(answer.header("Retry-After")) <= 60
    with capsys.disabled():
        print(f"\nburst of {3 * LIMIT} across 2 instances, limit {LIMIT}: {dict(statuses)}")


def test_an_admin_sign_in_on_one_instance_holds_on_the_other(instances, env):
    password = secrets.token_urlsafe(16)
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--no-input",
         "--username", "staff", "--email", "staff@example.com"],
        cwd=ROOT, check=True, capture_output=True,
        env={"PATH": os.environ["PATH"], **env, "DJANGO_SUPERUSER_PASSWORD": password},
    )  # fmt: skip
    first, second = instances
    session = admin_sign_in(first, "staff", password)
    html = {"Accept": "text/html"}
    admin = second.get("/admin/", headers={**html, "Cookie": f"sessionid={session}"})
    assert admin.status == 200
    assert b"Site administration" in admin.body
    browsable = second.get("/api/tasks", headers={**html, "Cookie": f"sessionid={session}"})
    assert browsable.status == 200
    assert second.get("/admin/", headers=html).status == 302  # and not without the cookie


def at_once(*calls):
    """Run the calls in threads that start together; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def titled(instance, token, title):
    listing = instance.get("/api/tasks", token=token)
    assert listing.status == 200
    return [task for task in listing.json() if task["title"] == title]


def test_an_idempotency_key_replays_across_both_instances(instances):
    token = token_for("idempotent")
    first, second = instances
    body = {"title": "Buy milk once", "tags": ["errands"]}
    created = first.request(
        "POST", "/api/tasks", token=token, body=body, headers={"Idempotency-Key": "key-1"}
    )
    assert created.status == 201
    replayed = second.request(
        "POST", "/api/tasks", token=token, body=body, headers={"Idempotency-Key": "key-1"}
    )
    assert replayed.status == 201
    assert replayed.header("Idempotent-Replayed") == "true"
    assert replayed.json() == created.json()
    reused = second.request(
        "POST", "/api/tasks", token=token, body={"title": "Other"},
        headers={"Idempotency-Key": "key-1"},
    )  # fmt: skip
    assert reused.status == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert len(titled(first, token, "Buy milk once")) == 1
    assert titled(first, token, "Other") == []

    # The same key on both instances at the same moment: never a second task.
    def create_on(instance):
        return lambda: instance.request(
            "POST", "/api/tasks", token=token, body={"title": "Raced once"},
            headers={"Idempotency-Key": "key-2"},
        )  # fmt: skip

    answers = at_once(create_on(first), create_on(second))
    assert {answer.status for answer in answers} <= {201, 409}
    assert 201 in {answer.status for answer in answers}
    for answer in answers:
        if answer.status == 409:
            assert answer.json()["code"] == "idempotency_key_in_use"
    if [answer.status for answer in answers] == [201, 201]:
        assert answers[0].json() == answers[1].json()  # one waited and got the replay
    assert len(titled(second, token, "Raced once")) == 1


def test_one_etag_sent_to_both_instances_makes_exactly_one_winner(instances):
    token = token_for("conditional")
    first, second = instances
    created = first.request("POST", "/api/tasks", token=token, body={"title": "v0"})
    assert created.status == 201
    path = f"/api/tasks/{created.json()['id']}"
    for round_ in range(5):
        etag = second.get(path, token=token).header("ETag")
        assert etag

        def patch_on(instance, title, etag=etag):
            return lambda: instance.request(
                "PATCH", path, token=token, body={"title": title}, headers={"If-Match": etag}
            )

        answers = at_once(patch_on(first, f"first {round_}"), patch_on(second, f"second {round_}"))
        assert sorted(answer.status for answer in answers) == [200, 412]
        winner = next(answer for answer in answers if answer.status == 200)
        loser = next(answer for answer in answers if answer.status == 412)
        assert loser.json()["code"] == "precondition_failed"
        # The loser is told the task's current ETag: the winner's.
        assert loser.header("ETag") == winner.header("ETag") != etag
        now = first.get(path, token=token)
        assert now.json()["title"] == winner.json()["title"]
        assert now.header("ETag") == winner.header("ETag")


def changes(instance, token, cursor=None):
    """Follow the changes feed until has_more is false: changed by id, deleted ids, cursor."""
    changed, deleted = {}, set()
    while True:
        query = "?" + urllib.parse.urlencode({"cursor": cursor}) if cursor else ""
        answer = instance.get(f"/api/tasks/changes{query}", token=token)
        assert answer.status == 200
        page = answer.json()
        changed.update({task["id"]: task for task in page["changed"]})
        deleted.update(page["deleted"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changed, deleted, cursor


def test_a_write_on_one_instance_is_in_the_changes_feed_of_the_other(instances):
    token = token_for("syncing")
    first, second = instances
    kept = first.request("POST", "/api/tasks", token=token, body={"title": "kept"}).json()
    doomed = first.request("POST", "/api/tasks", token=token, body={"title": "doomed"}).json()
    changed, deleted, cursor = changes(second, token)
    assert set(changed) == {kept["id"], doomed["id"]}
    assert deleted == set()

    added = first.request("POST", "/api/tasks", token=token, body={"title": "added"})
    assert added.status == 201
    edited = first.request(
        "PATCH", f"/api/tasks/{kept['id']}", token=token, body={"title": "kept, edited"}
    )
    assert edited.status == 200
    assert first.request("DELETE", f"/api/tasks/{doomed['id']}", token=token).status == 204

    changed, deleted, _ = changes(second, token, cursor)
    assert set(changed) == {added.json()["id"], kept["id"]}
    assert changed[kept["id"]]["title"] == "kept, edited"
    assert changed[added.json()["id"]] == added.json()
    assert deleted == {doomed["id"]}


def test_with_redis_shut_down_nothing_fails_and_health_says_so(instances, redis):
    token = token_for("through-the-outage")
    redis.shutdown()  # redis-cli -p N shutdown nosave

    def send(instance, n):
        if n % 4 == 0:
            return instance.request("POST", "/api/tasks", token=token, body={"title": f"t{n}"})
        return instance.get("/api/tasks", token=token)

    # Twice the limit: with Redis gone the limit fails open.
    answers = spread(instances, 2 * LIMIT, send)
    assert Counter(answer.status for answer in answers) == {200: 60, 201: 20}
    for instance in instances:
        health = instance.get("/api/health")
        assert health.status == 200
        assert health.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}
        # Logged once per worker process, not once per request.
        lines = instance.log().count("Redis unavailable")
        assert 1 <= lines <= WORKERS, instance.log()
        assert "Traceback" not in instance.log()

    redis.start()
    for instance in instances:
        assert instance.get("/api/health").json()["cache"] == "ok"
    deadline = time.monotonic() + 15
    while not redis.client().keys("*rate:user:through-the-outage"):
        assert time.monotonic() < deadline, "the rate limit did not count again"
        answers = spread(instances, 4, lambda i, n: i.get("/api/tasks", token=token))
        assert {answer.status for answer in answers} == {200}
        time.sleep(0.2)
