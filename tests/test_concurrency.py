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
        # A fresh connection per request, from many threads: allow a slow one.
        return http(
            method,
            f"{self.url}{path}",
            token=self.token(sub),
            body=body,
            headers=headers,
            timeout=30,
        )


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


@pytest.mark.parametrize("route", ["PATCH", "PUT", "complete", "DELETE"])
def test_two_writers_with_one_etag_make_exactly_one_winner(live_api, route):
    owner = user()
    created = live_api.call("POST", "/api/tasks", owner, {"title": "Shared"})
    task_id, etag = created.json()["id"], created.headers["ETag"]

    def write(n):
        headers = {"If-Match": etag}
        if route == "DELETE":
            return live_api.call("DELETE", f"/api/tasks/{task_id}", owner, headers=headers)
        if route == "complete":
            # (A write that changes nothing keeps the ETag, and would pass.)
            body = {"completed": True}
            return live_api.call(
                "PATCH", f"/api/tasks/{task_id}/complete", owner, body, headers=headers
            )
        return live_api.call(route, f"/api/tasks/{task_id}", owner, {"title": f"tab {n}"}, headers)

    answers = at_once(6, write)
    statuses = sorted(answer.status for answer in answers)
    # After a delete the task is gone: the others find no task (404 comes before 412).
    assert statuses == ([204] + [404] * 5 if route == "DELETE" else [200] + [412] * 5)
    if route != "DELETE":
        winner = next(answer for answer in answers if answer.status == 200)
        current = live_api.call("GET", f"/api/tasks/{task_id}", owner)
        assert current.json() == winner.json()
        assert all(a.headers["ETag"] == current.headers["ETag"] for a in answers if a.status == 412)


def test_concurrent_duplicates_with_one_key_make_one_task(live_api):
    owner = user()
    headers = {"Idempotency-Key": secrets.token_hex(8)}

    def create(n):
        return live_api.call("POST", "/api/tasks", owner, {"title": "Once"}, headers=headers)

    answers = at_once(8, create)
    assert {answer.status for answer in answers} <= {201, 409}
    created = [answer for answer in answers if answer.status == 201]
    assert len({answer.json()["id"] for answer in created}) == 1
    assert sum("Idempotent-Replayed" not in answer.headers for answer in created) == 1
    assert len(live_api.call("GET", "/api/tasks", owner).json()) == 1


def test_a_syncing_client_misses_nothing_while_others_write(live_api):
    """Several writers in several processes; the client applies each answer to its copy."""
    import random

    owner = user()
    seeded = [live_api.call("POST", "/api/tasks", owner, {"title": f"seed {n}"}) for n in range(10)]
    known_ids = [answer.json()["id"] for answer in seeded]
    lock = threading.Lock()
    stop = threading.Event()
    failures = []

    def writer(seed):
        chance = random.Random(seed)
        while not stop.is_set():
            with lock:
                task_id = chance.choice(known_ids) if known_ids else None
            roll = chance.random()
            if task_id is None or roll < 0.3:
                answer = live_api.call("POST", "/api/tasks", owner, {"title": f"w{seed}"})
                if answer.status == 201:
                    with lock:
                        known_ids.append(answer.json()["id"])
            elif roll < 0.55:
                answer = live_api.call(
                    "PATCH", f"/api/tasks/{task_id}", owner, {"title": f"{chance.random()}"}
                )
            elif roll < 0.7:
                answer = live_api.call("PATCH", f"/api/tasks/{task_id}/complete", owner)
            elif roll < 0.85:
                answer = live_api.call("DELETE", f"/api/tasks/{task_id}", owner)
                with lock:
                    if task_id in known_ids:
                        known_ids.remove(task_id)
            else:
                answer = live_api.call("DELETE", "/api/tasks?status=completed", owner)
            if answer.status >= 500:
                failures.append(answer.status)

    copy: dict[int, dict] = {}
    cursor = None

    def sync_once(limit):
        nonlocal cursor
        while True:
            path = f"/api/tasks/changes?limit={limit}"
            if cursor is not None:
                path += f"&cursor={cursor}"
            answer = live_api.call("GET", path, owner)
            assert answer.status == 200, answer.body
            body = answer.json()
            for task in body["changed"]:
                copy[task["id"]] = task
            for task_id in body["deleted"]:
                copy.pop(task_id, None)
            assert not {task["id"] for task in body["changed"]} & set(body["deleted"])
            cursor = body["cursor"]
            if not body["has_more"]:
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        sync_once(limit=3)
    stop.set()
    for thread in threads:
        thread.join()
    sync_once(limit=7)
    server = {task["id"]: task for task in live_api.call("GET", "/api/tasks", owner).json()}
    assert failures == []
    assert copy == server


@pytest.mark.parametrize("attempt", range(3))
def test_a_delete_racing_a_completion_leaves_one_consistent_outcome(live_api, attempt):
    """Either the completion made its occurrence and then the task went, or it found none."""
    owner = user()
    task = live_api.call("POST", "/api/tasks", owner, RECURRING).json()

    def write(n):
        if n == 0:
            return live_api.call("DELETE", f"/api/tasks/{task['id']}", owner)
        return live_api.call("PATCH", f"/api/tasks/{task['id']}/complete", owner)

    deleted, completed = at_once(2, write)
    assert deleted.status == 204
    assert completed.status in (200, 404)
    left = live_api.call("GET", "/api/tasks", owner).json()
    if completed.status == 200:
        assert [other["id"] for other in left] == [completed.json()["next_occurrence_id"]]
        assert left[0]["due_at"] == "2026-12-11T17:00:00Z"
    else:
        assert left == []


def test_bulk_and_single_completions_at_once_make_one_occurrence_per_task(live_api):
    owner = user()
    ids = [live_api.call("POST", "/api/tasks", owner, RECURRING).json()["id"] for _ in range(3)]

    def complete(n):
        if n % 2:
            body = {"ids": ids, "completed": True}
            return live_api.call("PATCH", "/api/tasks", owner, body)
        return live_api.call(
            "PATCH", f"/api/tasks/{ids[n % 3]}/complete", owner, {"completed": True}
        )

    answers = at_once(8, complete)
    assert {answer.status for answer in answers} == {200}
    tasks = live_api.call("GET", "/api/tasks", owner).json()
    occurrences = [task for task in tasks if task["id"] not in ids]
    assert len(occurrences) == 3
    done = {task["id"]: task for task in tasks if task["id"] in ids}
    assert {task["next_occurrence_id"] for task in done.values()} == {t["id"] for t in occurrences}


def test_clear_completed_never_deletes_a_task_reopened_at_once(live_api):
    owner = user()
    ids = [
        live_api.call("POST", "/api/tasks", owner, {"title": f"t{n}", "completed": True}).json()[
            "id"
        ]
        for n in range(6)
    ]

    def write(n):
        if n == 0:
            return live_api.call("DELETE", "/api/tasks?status=completed", owner)
        return live_api.call(
            "PATCH", f"/api/tasks/{ids[n - 1]}/complete", owner, {"completed": False}
        )

    cleared, *reopened = at_once(1 + len(ids), write)
    assert cleared.status == 200
    left = {task["id"]: task for task in live_api.call("GET", "/api/tasks", owner).json()}
    for task_id, answer in zip(ids, reopened, strict=True):
        if answer.status == 200:
            # Reopened before the clear took it, or after it passed over it.
            assert task_id in left and left[task_id]["completed"] is False
        else:
            assert answer.status == 404 and task_id not in left
    assert cleared.json()["deleted"] == len(ids) - len(left)
