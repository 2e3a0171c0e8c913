"""
The database work of each endpoint, so that a change that adds a query (an
N+1 in the list, a second read in authentication, a write on every request)
fails here rather than showing up as a slower server.

On PostgreSQL, which may be across a network (Neon), every endpoint is one
round trip in steady state (a known user, a warm connection): counted from
the wire (tests/round_trips.py), where BEGIN, COMMIT or a ping would each be
one. Elsewhere (SQLite) the writes are transactions of several statements,
counted here too.
"""

from contextlib import contextmanager

import pytest
from django.db import connection

from authn.authentication import known_users
from authn.models import User

from .round_trips import traced

pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"
WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(captured) -> list[str]:
    """Statements that write, a WITH ... INSERT among them."""
    found = []
    for query in captured.captured_queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(WRITES) or (sql.startswith("WITH") and "INSERT INTO" in sql):
            found.append(query["sql"])
    return found


def user_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "authn_user" in q["sql"]]


@pytest.fixture
def tasks(alice, add_task):
    """Alice, known to the API, with 20 tasks: a list's worth, so that an N+1 would show."""
    # The first request makes her row, the second reads and remembers it.
    for _ in range(2):
        assert alice.get("/api/tasks").status_code == 200
    return [add_task("alice-id", f"Task {n}", description="d") for n in range(20)]


@pytest.fixture
def budget(django_assert_num_queries):
    """
    ``with budget(sqlite=n):``: one statement and one round trip on
    PostgreSQL, ``n`` statements elsewhere.
    """

    @contextmanager
    def check(sqlite: int = 1, postgresql: int = 1):
        expected = postgresql if POSTGRESQL else sqlite
        with django_assert_num_queries(expected) as captured:
            if POSTGRESQL:
                with traced() as trace:
                    yield captured
            else:
                yield captured
        if POSTGRESQL:
            assert trace.round_trips == expected, trace.text

    return check


def test_the_list_is_one_round_trip_whatever_its_length(alice, tasks, budget):
    with budget():
        response = alice.get("/api/tasks?status=pending&sort=title&search=task")
    assert len(response.json()) == 20


def test_the_list_under_the_user_path(alice, tasks, budget):
    with budget():
        assert alice.get("/api/alice-id/tasks").status_code == 200


def test_a_page_counts_the_whole_list_in_the_same_statement(alice, tasks, budget):
    with budget(sqlite=2):
        response = alice.get("/api/tasks?limit=10&offset=10")
    assert len(response.json()) == 10
    assert response["X-Total-Count"] == "20"


def test_a_page_past_the_end(alice, tasks, budget):
    with budget(sqlite=2):
        response = alice.get("/api/tasks?offset=100")
    assert response.json() == []
    assert response["X-Total-Count"] == "20"


def test_detail(alice, tasks, budget):
    with budget():
        assert alice.get(f"/api/tasks/{tasks[0].pk}").status_code == 200


def test_tags(alice, tasks, budget):
    with budget():
        assert alice.get("/api/tags").status_code == 200


def test_create(alice, tasks, budget):
    # The owner's change number (an upsert of the counter) and the row.
    with budget(sqlite=2) as captured:
        response = alice.post("/api/tasks", {"title": "New"}, format="json")
    assert response.status_code == 201
    assert len(writes(captured)) == (1 if POSTGRESQL else 2)


def test_create_with_an_idempotency_key_and_its_replay(alice, tasks, budget):
    key = {"HTTP_IDEMPOTENCY_KEY": "one"}
    # Elsewhere: SAVEPOINTs, the key, the counter, the task, the answer, RELEASEs.
    with budget(sqlite=9):
        first = alice.post("/api/tasks", {"title": "New"}, format="json", **key)
    assert first.status_code == 201
    with budget(sqlite=8):
        replay = alice.post("/api/tasks", {"title": "New"}, format="json", **key)
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update(alice, tasks, method, budget):
    send = getattr(alice, method)
    # Elsewhere: SAVEPOINT, the owner's change lock and number, SELECT,
    # UPDATE, RELEASE.
    with budget(sqlite=5):
        response = send(f"/api/tasks/{tasks[0].pk}", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    with budget(sqlite=5):
        response = send(
            f"/api/tasks/{tasks[0].pk}",
            {"title": "Renamed again"},
            format="json",
            HTTP_IF_MATCH=response["ETag"],
        )
    assert response.status_code == 200


def test_a_stale_if_match_is_told_by_the_same_statement(alice, tasks, budget):
    with budget(sqlite=5):
        response = alice.patch(
            f"/api/tasks/{tasks[0].pk}", {"title": "x"}, format="json", HTTP_IF_MATCH='"1-999"'
        )
    assert response.status_code == 412


def test_toggle(alice, tasks, budget):
    with budget(sqlite=5):
        response = alice.patch(f"/api/tasks/{tasks[0].pk}/complete")
    assert response.status_code == 200


def test_setting_completed_to_its_value_writes_no_task(alice, tasks, budget):
    tasks[0].completed = True
    tasks[0].save()
    with budget(sqlite=4) as captured:
        response = alice.patch(
            f"/api/tasks/{tasks[0].pk}/complete", {"completed": True}, format="json"
        )
    assert response.status_code == 200
    # Only the change lock, taken before the task is read.
    assert not any('UPDATE "tasks_task"' in sql for sql in writes(captured))


def test_delete(alice, tasks, budget):
    # Elsewhere: SAVEPOINT, the change lock, the task, the task it may recur
    # from, the tombstone's number, the tombstone, DELETE, RELEASE.
    with budget(sqlite=8):
        assert alice.delete(f"/api/tasks/{tasks[0].pk}").status_code == 204


def test_the_changes_feed_with_and_without_a_cursor(alice, tasks, budget):
    with budget(sqlite=2):
        first = alice.get("/api/tasks/changes").json()
    alice.patch(f"/api/tasks/{tasks[0].pk}", {"title": "Renamed"}, format="json")
    with budget(sqlite=3):
        since = alice.get("/api/tasks/changes", {"cursor": first["cursor"]}).json()
    assert [task["title"] for task in since["changed"]] == ["Renamed"]


def test_the_bulk_update(alice, tasks, budget):
    ids = [task.pk for task in tasks[:10]]
    with budget(sqlite=14):
        response = alice.patch("/api/tasks", {"ids": ids, "completed": True}, format="json")
    assert response.status_code == 200


def test_clear_completed(alice, tasks, budget):
    alice.patch("/api/tasks", {"ids": [t.pk for t in tasks[:10]], "completed": True}, format="json")
    with budget(sqlite=8):
        response = alice.delete("/api/tasks?status=completed")
    assert response.json() == {"deleted": 10}


def test_a_list_after_seconds_idle_reads_no_user_row(alice, tasks, budget, monkeypatch):
    later = known_users.clock() + 6
    monkeypatch.setattr(known_users, "clock", lambda: later)
    with budget():
        assert alice.get("/api/tasks").status_code == 200


def test_another_users_task_costs_a_second_statement(bob, tasks, budget):
    for _ in range(2):
        assert bob.get("/api/tasks").status_code == 200
    # The miss among the caller's tasks, then whether the id exists at all.
    with budget(sqlite=2, postgresql=2):
        assert bob.get(f"/api/tasks/{tasks[0].pk}").status_code == 403


class TestAuthentication:
    """A known user costs no query; a new one, or a changed claim, one read or write."""

    @pytest.fixture(autouse=True)
    def cold_user_cache(self, tasks):
        known_users.clear()
        yield
        known_users.clear()

    def test_a_new_request_reads_at_most_the_user_row(self, alice, django_assert_num_queries):
        with django_assert_num_queries(2) as captured:
            assert alice.get("/api/tasks").status_code == 200
        assert writes(captured) == []
        assert len(user_reads(captured)) == 1

    def test_a_remembered_user_costs_no_query(self, alice, django_assert_num_queries):
        assert alice.get("/api/tasks").status_code == 200
        with django_assert_num_queries(1) as captured:
            assert alice.get("/api/tasks").status_code == 200
        assert user_reads(captured) == []

    def test_a_new_email_or_name_in_the_token_still_reaches_the_row(
        self, client_for, django_assert_num_queries
    ):
        client_for("alice-id", email="alice@example.com", name="Alice").get("/api/tasks")
        renamed = client_for("alice-id", email="alice@example.com", name="Alice Smith")
        with django_assert_num_queries(3) as captured:
            assert renamed.get("/api/tasks").status_code == 200
        assert len(writes(captured)) == 1
        assert User.objects.get(pk="alice-id").name == "Alice Smith"

    def test_a_user_deactivated_in_this_process_is_refused_at_once(self, alice):
        alice.get("/api/tasks")
        user = User.objects.get(pk="alice-id")
        user.is_active = False
        user.save()
        response = alice.get("/api/tasks")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"

    def test_a_user_deactivated_elsewhere_is_refused_once_remembered_too_long(
        self, alice, monkeypatch
    ):
        alice.get("/api/tasks")
        # As another process would: no signal reaches this one.
        User.objects.filter(pk="alice-id").update(is_active=False)
        assert alice.get("/api/tasks").status_code == 200
        later = known_users.clock() + known_users.ttl
        monkeypatch.setattr(known_users, "clock", lambda: later)
        assert alice.get("/api/tasks").status_code == 401
