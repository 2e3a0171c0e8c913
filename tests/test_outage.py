"""
A database outage under a running production server: 503 JSON while it is
down, recovery without a restart, and no acknowledged write lost; nor its
event, which the worker delivers once the database is back.

Needs a PostgreSQL of its own to stop and start; CI provides one:
OUTAGE_DATABASE_URL names it and OUTAGE_POSTGRES_CONTROL is a command taking
``stop-now`` (an immediate, crash-like stop) and ``start-again``.
"""

import json
import os
import secrets
import subprocess
import threading
import time

import jwt
import psycopg
import pytest

from .live import http, live_server, migrate
from .redis_server import PrivateRedis, skip_or_fail_without_redis
from .relay_worker import Worker
from .webhook_receiver import WebhookReceiver

DATABASE_URL = os.environ.get("OUTAGE_DATABASE_URL", "")
CONTROL = os.environ.get("OUTAGE_POSTGRES_CONTROL", "")

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL and CONTROL),
    reason="set OUTAGE_DATABASE_URL and OUTAGE_POSTGRES_CONTROL (CI does) to run",
)


class Writer(threading.Thread):
    """Creates tasks one after another, remembering which were acknowledged."""

    def __init__(self, url, token):
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.acknowledged: list[str] = []
        self.failures: list[tuple[int, str]] = []
        self.stop = threading.Event()

    def run(self):
        number = 0
        while not self.stop.is_set():
            number += 1
            title = f"outage-{number}"
            response = http(
                "POST", f"{self.url}/api/tasks", token=self.token, body={"title": title}
            )
            if response.status == 201:
                self.acknowledged.append(title)
            else:
                self.failures.append((response.status, response.json().get("code", "")))
                time.sleep(0.05)

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} writes acknowledged"
            time.sleep(0.05)


def control(action):
    subprocess.run([CONTROL, action], check=True, timeout=60)


def wait_for_health(url, status, timeout=60):
    deadline = time.monotonic() + timeout
    while (response := http("GET", f"{url}/api/health")).status != status:
        assert time.monotonic() < deadline, f"health stayed {response.status}"
        time.sleep(0.1)
    return response


def test_the_api_rides_out_a_database_restart_without_losing_a_write(capsys):
    secret = secrets.token_urlsafe(32)
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": secret,
        "DATABASE_URL": DATABASE_URL,
        "THROTTLE_USER_RATE": "off",
    }
    migrate(env)
    now = int(time.time())
    token = jwt.encode({"sub": "outage-user", "iat": now, "exp": now + 3600}, secret)

    with live_server(env, workers=2) as url:
        writer = Writer(url, token)
        writer.start()
        writer.wait_for(20)

        control("stop-now")
        health = wait_for_health(url, 503)
        assert health.json() == {"status": "unavailable", "database": "unavailable"}
        listing = http("GET", f"{url}/api/tasks", token=token)
        assert listing.status == 503
        assert listing.json()["code"] == "service_unavailable"
        time.sleep(1)
        acknowledged_before_restart = len(writer.acknowledged)

        control("start-again")
        wait_for_health(url, 200)
        writer.wait_for(acknowledged_before_restart + 20)
        writer.stop.set()
        writer.join(timeout=30)

    assert {status for status, _ in writer.failures} <= {503}
    assert {code for _, code in writer.failures} <= {"service_unavailable"}
    with psycopg.connect(DATABASE_URL) as connection:
        stored = {row[0] for row in connection.execute("SELECT title FROM tasks_task")}
    lost = [title for title in writer.acknowledged if title not in stored]
    assert lost == []
    with capsys.disabled():
        print(
            f"\noutage: {len(writer.acknowledged)} writes acknowledged, "
            f"{len(writer.failures)} refused with 503 around the restart, {len(lost)} lost"
        )


def test_the_worker_rides_out_a_database_restart_without_losing_an_event(capsys, tmp_path):
    skip_or_fail_without_redis()
    redis, receiver = PrivateRedis.started(), WebhookReceiver()
    secret = secrets.token_urlsafe(32)
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": secret,
        "DATABASE_URL": DATABASE_URL,
        "THROTTLE_USER_RATE": "off",
        "EVENTS_REDIS_URL": redis.url,
        "WEBHOOK_URLS": receiver.url,
        "WEBHOOK_SECRET": receiver.secret,
    }
    migrate(env)
    user = f"outage-events-{secrets.token_hex(3)}"
    now = int(time.time())
    token = jwt.encode({"sub": user, "iat": now, "exp": now + 3600}, secret)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        with live_server(env, workers=2) as url:
            worker.start()
            writer = Writer(url, token)
            writer.start()
            writer.wait_for(20)
            control("stop-now")
            wait_for_health(url, 503)
            time.sleep(2)
            control("start-again")
            wait_for_health(url, 200)
            writer.wait_for(len(writer.acknowledged) + 20)
            writer.stop.set()
            writer.join(timeout=30)

            deadline = time.monotonic() + 60
            while not all(
                set(writer.acknowledged) <= set(titles)
                for titles in delivered(receiver, redis, user)
            ):
                assert time.monotonic() < deadline, "events of acknowledged writes not delivered"
                time.sleep(0.1)
            taken = delivered(receiver, redis, user)
            assert worker.terminate() == 0
    finally:
        worker.kill()
        redis.close()
        receiver.close()
    with psycopg.connect(DATABASE_URL) as connection:
        stored = {
            row[0]
            for row in connection.execute("SELECT title FROM tasks_task WHERE user_id = %s", [user])
        }
    for titles in taken:
        # In the order written; nothing announced that is not stored.
        assert [t for t in titles if t in writer.acknowledged] == writer.acknowledged
        assert set(titles) <= stored
    assert "round failed" in worker.log()
    with capsys.disabled():
        print(f"\noutage: the worker delivered all {len(writer.acknowledged)} acknowledged creates")


def delivered(receiver, redis, user) -> tuple[list[str], list[str]]:
    """What the webhook receiver and the stream took: the user's created titles."""
    stream = redis.client().xrange("todo.task-events")
    return (
        created_titles(receiver.events(), user),
        created_titles([json.loads(fields[b"event"]) for _, fields in stream], user),
    )


def created_titles(events, user) -> list[str]:
    """The titles of the user's created tasks, in the order of their first delivery."""
    titles = []
    for event in events:
        if event["data"]["user_id"] == user and event["type"] == "todo.task.created":
            if event["data"]["task"]["title"] not in titles:
                titles.append(event["data"]["task"]["title"])
    return titles
