"""
Two requests at once must not break a rule that one at a time keeps: real
HTTP against the production server with several worker processes, on SQLite
or on PostgreSQL (DATABASE_URL).
"""

import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from .live import http, live_server, migrate


class LiveAPI:
    def __init__(self, url: str, secret: str):
        self.url = url
        self.secret = secret

    def token(self, sub: str) -> str:
        now = int(time.time())
        return jwt.encode({"sub": sub, "iat": now, "exp": now + 600}, self.secret)

    def call(self, method, path, sub, body=None, headers=None):
        return http(method, f"{self.url}{path}", token=self.token(sub), body=body, headers=headers)


@pytest.fixture(scope="module")
def live_api():
    secret = secrets.token_urlsafe(32)
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": secret,
        "THROTTLE_USER_RATE": "off",
        "THROTTLE_ANON_RATE": "off",
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        migrate(env)
    with live_server(env, workers=3) as url:
        yield LiveAPI(url, secret)


def at_once(count, request):
    """``request(n)`` from ``count`` threads released together; their answers."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        return request(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def user() -> str:
    return f"user-{secrets.token_hex(4)}"


RECURRING = {
    "title": "Water the plants",
    "due_at": "2026-12-04T17:00:00Z",
    "recurrence": {"frequency": "weekly"},
}

COMPLETIONS = [
    ("PATCH", "/complete", {"completed": True}),
    ("PUT", "", {"completed": True}),
    ("PATCH", "", {"completed": True}),
]


@pytest.mark.parametrize("attempt", range(3))
def test_completions_at_once_make_one_next_occurrence(live_api, attempt):
    owner = user()
    task = live_api.call("POST", "/api/tasks", owner, RECURRING).json()

    def complete(n):
        method, suffix, body = COMPLETIONS[n % len(COMPLETIONS)]
        return live_api.call(method, f"/api/tasks/{task['id']}{suffix}", owner, body)

    answers = at_once(6, complete)
    assert [answer.status for answer in answers] == [200] * 6
    tasks = live_api.call("GET", "/api/tasks", owner).json()
    assert len(tasks) == 2
    occurrence_ids = {answer.json()["next_occurrence_id"] for answer in answers}
    assert occurrence_ids == {tasks[0]["id"]}
    assert tasks[0]["due_at"] == "2026-12-11T17:00:00Z"
