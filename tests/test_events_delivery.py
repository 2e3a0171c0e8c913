"""
Every change reaches every sink, in each owner's order, through the real
parts: the API under its production server with the sinks in its
environment, the Procfile's worker in processes of its own, a private Redis
and a webhook receiver over HTTP that checks signatures and fails on purpose.
SQLite runs one worker, PostgreSQL two at once.

The changes are made through the REST endpoints, so these tests hold
whatever way the API writes its events. The expected events come from the
answers the API gave, not from the outbox.
"""

import json
import secrets
import threading
import time
import urllib.parse
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import jwt
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from .live import http, live_server, migrate
from .redis_server import PrivateRedis, skip_or_fail_without_redis
from .relay_worker import Worker
from .webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.worker

POSTGRESQL = connection.vendor == "postgresql"
WORKERS = 2 if POSTGRESQL else 1
SECRET = secrets.token_urlsafe(32)
STREAM = "todo.task-events"
ROLLBACK_MARK = "roll me back"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A database of the module's own: SQLite beside it, or one on the tests' PostgreSQL."""
    if not POSTGRESQL:
        yield f"sqlite:///{tmp_path_factory.mktemp('events')}/db.sqlite3"
        return
    url = urllib.parse.urlsplit(settings.DATABASE_URL)
    # Named after the tests' database, so that CI's clean-up finds it if left over.
    name = f"{url.path.lstrip('/')}_events_{secrets.token_hex(3)}"[-63:]
    server = url._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis():
    skip_or_fail_without_redis()
    # Durable: entries taken before a kill are still there after it.
    server = PrivateRedis.started(durable=True)
    yield server
    server.close()


@pytest.fixture(scope="module")
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def env(database_url, redis, receiver):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_URL": "",
        "BETTER_AUTH_JWKS_URL": "",
        "DATABASE_URL": database_url,
        "DATABASE_POOLER": "true" if settings.DATABASES["default"].get(
            "DISABLE_SERVER_SIDE_CURSORS"
        ) else "",
        "REDIS_URL": "",
        "THROTTLE_USER_RATE": "off",
        "EVENTS_REDIS_URL": redis.url,
        "EVENTS_STREAM": STREAM,
        "WEBHOOK_URLS": receiver.url,
        "WEBHOOK_SECRET": receiver.secret,
        "WEBHOOK_TIMEOUT_SECONDS": "2",
    }  # fmt: skip
    migrate(env)
    refuse_marked_events(database_url)
    return env


def refuse_marked_events(database_url: str) -> None:
    """
    A write whose event carries ROLLBACK_MARK fails at its commit (PostgreSQL)
    or at its event's insert (SQLite), after everything else was written: the
    rolled-back write the outbox must never announce.
    """
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as sqlite:
            sqlite.execute(
                "CREATE TRIGGER refuse_marked_event AFTER INSERT ON events_event "
                f"WHEN NEW.data LIKE '%{ROLLBACK_MARK}%' "
                "BEGIN SELECT RAISE(ABORT, 'rolled back on purpose'); END"
            )
        return
    with psycopg.connect(database_url, autocommit=True) as database:
        database.execute(
            "CREATE FUNCTION refuse_marked_event() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'rolled back on purpose'; END $$"
        )
        database.execute(
            "CREATE CONSTRAINT TRIGGER refuse_marked_event AFTER INSERT ON events_event "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN (NEW.data LIKE '%{ROLLBACK_MARK}%') EXECUTE FUNCTION refuse_marked_event()"
        )


@pytest.fixture(scope="module")
def api(env):
    with live_server(env) as url:
        yield url


@pytest.fixture
def workers(env, tmp_path, receiver):
    """
    Starts workers on demand (they start while the test goes on); each is
    killed after the test, and its log shown if the test failed.
    """
    receiver.fail_when, receiver.delay = None, 0.0
    started = []

    def start(count: int = 1) -> list[Worker]:
        new = [Worker(env, tmp_path / f"worker-{len(started) + n}.log") for n in range(count)]
        started.extend(new)
        return [worker.start() for worker in new]

    yield start
    for worker in started:
        worker.kill()
        print(f"--- {worker.log_path.name}\n{worker.log()}")


class Client:
    def __init__(self, api: str, user: str, pace: float = 0):
        self.api = api
        self.pace = pace
        now = int(time.time())
        self.token = jwt.encode({"sub": user, "iat": now, "exp": now + 600}, SECRET)

    def call(self, method: str, path: str, body=None, expect: int = 200):
        time.sleep(self.pace)
        response = http(method, f"{self.api}{path}", token=self.token, body=body)
        assert response.status == expect, (method, path, response.status, response.body[:300])
        return response.json() if response.body else None


def make_changes(api: str, user: str, pace: float = 0) -> list[tuple[str, int, dict | None]]:
    """
    One user's writes of every kind, one after another (``pace`` seconds
    apart); the events they must make, in order: (type, task id, the task as
    the answer gave it, if any).
    """
    client = Client(api, user, pace)
    made = []
    errand = client.call("POST", "/api/tasks", {"title": f"{user}'s errand"}, 201)
    plants = client.call(
        "POST",
        "/api/tasks",
        {"title": "Water plants", "due_at": "2027-01-04T09:00:00Z", "recurrence": {"frequency": "daily"}},
        201,
    )  # fmt: skip
    tagged = client.call("POST", "/api/tasks", {"title": "Tagged", "tags": ["Home"]}, 201)
    made += [("created", task["id"], task) for task in (errand, plants, tagged)]
    errand = client.call("PATCH", f"/api/tasks/{errand['id']}", {"title": "Errand, renamed"})
    made.append(("updated", errand["id"], errand))
    # A write that changes nothing makes no event.
    client.call("PUT", f"/api/tasks/{errand['id']}", {"title": "Errand, renamed"})
    plants = client.call("PATCH", f"/api/tasks/{plants['id']}/complete")
    next_plants = plants["next_occurrence_id"]
    made += [("completed", plants["id"], plants), ("created", next_plants, None)]
    both = client.call(
        "PATCH", "/api/tasks", {"ids": [errand["id"], tagged["id"]], "completed": True}
    )
    made += [("completed", task["id"], task) for task in both]
    # All or nothing: a bulk update naming a missing task changes nothing.
    client.call("PATCH", "/api/tasks", {"ids": [errand["id"], 2**62], "completed": False}, 404)
    # Rolled back after its task and event were written.
    client.call("POST", "/api/tasks", {"title": ROLLBACK_MARK}, 500)
    errand = client.call("PATCH", f"/api/tasks/{errand['id']}/complete", {"completed": False})
    made.append(("updated", errand["id"], errand))
    client.call("DELETE", f"/api/tasks/{tagged['id']}", expect=204)
    made.append(("deleted", tagged["id"], {"id": tagged["id"]}))
    # Deleting an occurrence changes the task it came from.
    client.call("DELETE", f"/api/tasks/{next_plants}", expect=204)
    made += [("updated", plants["id"], None), ("deleted", next_plants, {"id": next_plants})]
    assert client.call("DELETE", "/api/tasks?status=completed") == {"deleted": 1}
    made.append(("deleted", plants["id"], {"id": plants["id"]}))
    return made


def burst(api: str, users: list[str], pace: float = 0) -> dict[str, list]:
    """Every user's changes at once, from a thread each."""
    made = {}

    def run(user):
        made[user] = make_changes(api, user, pace)

    threads = [threading.Thread(target=run, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(made) == set(users), "a user's changes failed"
    return made


def stream_events(redis) -> list[dict]:
    return [json.loads(fields[b"event"]) for _, fields in redis.client().xrange(STREAM)]


def wait_for(condition, timeout: float = 30, what: str = "delivery") -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} took over {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - started


def of(events: list[dict], users) -> list[dict]:
    return [event for event in events if event["data"]["user_id"] in users]


def wait_until_delivered(api, redis, receiver, made) -> None:
    expected = sum(len(events) for events in made.values())

    def done():
        health = http("GET", f"{api}/api/health").json()["events"]
        return (
            health["pending"] == 0
            and len({e["id"] for e in of(receiver.events(), made)}) >= expected
            and len({e["id"] for e in of(stream_events(redis), made)}) >= expected
        )

    wait_for(done)


def check_delivered(events: list[dict], made: dict, *, after_a_crash: bool = False) -> None:
    """Each change once (again only after a crash, the same event), in its owner's order."""
    first = {}
    by_user = defaultdict(list)
    for event in of(events, made):
        if event["id"] in first:
            assert after_a_crash, f"{event['id']} delivered twice without a crash"
            assert event == first[event["id"]]
            continue
        first[event["id"]] = event
        by_user[event["data"]["user_id"]].append(event)
    for user, changes in made.items():
        delivered = by_user[user]
        assert [(e["type"], int(e["subject"])) for e in delivered] == [
            (f"todo.task.{kind}", task_id) for kind, task_id, _ in changes
        ]
        sequences = [int(event["sequence"]) for event in delivered]
        assert sequences == sorted(set(sequences))
        for event, (_, _, task) in zip(delivered, changes, strict=True):
            assert event["specversion"] == "1.0" and event["source"] == "todo-api"
            assert event["datacontenttype"] == "application/json"
            if task is not None:
                assert event["data"]["task"] == task
        assert not any(ROLLBACK_MARK in json.dumps(event) for event in delivered)


def users_for(name: str, count: int = 8) -> list[str]:
    return [f"{name}-{secrets.token_hex(3)}-{n}" for n in range(count)]


def test_every_change_reaches_both_sinks_once_in_its_owners_order(api, redis, receiver, workers):
    # The receiver fails the first try of some events: they are tried again
    # (after about a second), and the owner's later ones wait for them.
    refused = set()

    def first_try_of_some(event):
        if event["type"] == "todo.task.updated" and event["id"] not in refused:
            refused.add(event["id"])
            return True
        return False

    receiver.fail_when = first_try_of_some
    workers(WORKERS)
    made = burst(api, users_for("burst"))
    wait_until_delivered(api, redis, receiver, made)
    assert refused
    assert receiver.refused_signatures == 0
    check_delivered(receiver.events(), made)
    check_delivered(stream_events(redis), made)


def test_a_worker_killed_mid_burst_loses_nothing(api, redis, receiver, workers):
    [worker] = workers(1)
    users = users_for("killed", 6)
    made = {}
    writer = threading.Thread(target=lambda: made.update(burst(api, users)))
    writer.start()
    wait_for(lambda: len(of(receiver.events(), users)) >= 20, what="the first deliveries")
    worker.kill()
    writer.join()
    workers(WORKERS)
    wait_until_delivered(api, redis, receiver, made)
    check_delivered(receiver.events(), made, after_a_crash=True)
    check_delivered(stream_events(redis), made, after_a_crash=True)


def test_redis_killed_and_restarted_under_load_holds_back_nothing_else(
    api, redis, receiver, workers
):
    for worker in workers(WORKERS):
        worker.wait_started()
    users = users_for("redis-down", 6)
    made = {}
    # Paced, so that writes go on while Redis is down and after it is back.
    writer = threading.Thread(target=lambda: made.update(burst(api, users, pace=0.15)))
    writer.start()
    try:
        wait_for(lambda: len(of(stream_events(redis), users)) >= 10, what="the first entries")
        redis.kill()
        taken_by_then = len(of(receiver.events(), users))
        time.sleep(1)
        # Webhooks went on, while the stream's events wait.
        assert len(of(receiver.events(), users)) > taken_by_then
        assert http("GET", f"{api}/api/health").json()["events"]["pending"] > 0
        assert writer.is_alive()
    finally:
        redis.start()
    writer.join()
    wait_until_delivered(api, redis, receiver, made)
    check_delivered(receiver.events(), made)
    check_delivered(stream_events(redis), made, after_a_crash=True)


def test_sigterm_lets_the_worker_finish_its_round_and_exit(api, redis, receiver, workers):
    [worker] = workers(1)
    # A slow receiver: the signal comes while a round is in hand.
    receiver.delay = 0.1
    users = users_for("stopped", 2)
    made = burst(api, users)
    wait_for(lambda: of(receiver.events(), users), what="the first delivery")
    assert worker.terminate(timeout=10) == 0
    assert worker.log().rstrip().endswith("stopped")
    receiver.delay = 0
    workers(1)
    wait_until_delivered(api, redis, receiver, made)
    # No event twice: the round in hand was marked before the worker left.
    check_delivered(receiver.events(), made)
    check_delivered(stream_events(redis), made)


def test_a_reminder_reaches_the_sinks_within_seconds_of_its_time(api, redis, receiver, workers):
    workers(1)
    user = users_for("reminded", 1)[0]
    remind_at = datetime.now(UTC) + timedelta(seconds=2)
    task = Client(api, user).call(
        "POST",
        "/api/tasks",
        {"title": "Call mum", "remind_at": remind_at.isoformat().replace("+00:00", "Z")},
        201,
    )

    def reminded():
        return [e for e in of(receiver.events(), [user]) if e["type"] == "todo.task.reminder"]

    wait_for(reminded, timeout=15, what="the reminder")
    late = (datetime.now(UTC) - remind_at).total_seconds()
    assert late < 5
    [reminder] = reminded()
    assert reminder["data"] == {"user_id": user, "task": task}
    assert datetime.fromisoformat(reminder["time"]) >= remind_at
    wait_for(
        lambda: any(e["type"] == "todo.task.reminder" for e in of(stream_events(redis), [user]))
    )
