"""
The database work each endpoint may do, so that a change that adds a query (an
N+1 in the list, a second read in authentication, a write on every request)
fails here rather than showing up as a slower server.

Authentication reads the user row at most once, and not at all while the user
is remembered (authn.authentication.known_users); the endpoint budgets below
are counted with a cold cache. Writes inside transaction.atomic() show up as
SAVEPOINT / RELEASE SAVEPOINT here, where production sends BEGIN / COMMIT: the
same number of round trips.
"""

import pytest
from django.db import connection

from authn.authentication import known_users
from authn.models import User

pytestmark = pytest.mark.django_db

AUTH = 1  # the caller's user row, read by primary key
WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(captured) -> list[str]:
    """Statements that write, a WITH ... INSERT among them."""
    found = []
    for query in captured.captured_queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(WRITES) or (sql.startswith("WITH") and "INSERT INTO" in sql):
            found.append(query["sql"])
    return found


@pytest.fixture
def tasks(alice, add_task):
    """Alice, known to the API, with more tasks than a page, so that an N+1 would show."""
    assert alice.get("/api/tasks").status_code == 200
    return [add_task("alice-id", f"Task {n}", description="d") for n in range(25)]


@pytest.fixture(autouse=True)
def cold_user_cache(tasks):
    known_users.clear()
    yield
    known_users.clear()


def task_writes(captured) -> list[str]:
    """Writes of tasks, leaving out the change counter's lock and number."""
    return [sql for sql in writes(captured) if "tasks_changecounter" not in sql]


def user_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"authn_user"' in q["sql"]]


def test_authentication_reads_at_most_one_row_and_writes_nothing(
    alice, tasks, django_assert_max_num_queries
):
    with django_assert_max_num_queries(AUTH + 1) as captured:
        assert alice.get("/api/tasks").status_code == 200
    assert writes(captured) == []
    assert len(user_reads(captured)) <= AUTH


def test_a_remembered_user_costs_no_query(alice, tasks, django_assert_num_queries):
    assert alice.get("/api/tasks").status_code == 200
    with django_assert_num_queries(1) as captured:
        assert alice.get("/api/tasks").status_code == 200
    assert user_reads(captured) == []


def test_a_new_email_or_name_in_the_token_still_reaches_the_row(
    client_for, tasks, django_assert_num_queries
):
    alice = client_for("alice-id", email="alice@example.com", name="Alice")
    alice.get("/api/tasks")
    renamed = client_for("alice-id", email="alice@example.com", name="Alice Smith")
    with django_assert_num_queries(AUTH + 1 + 1) as captured:
        assert renamed.get("/api/tasks").status_code == 200
    assert len(writes(captured)) == 1
    assert User.objects.get(pk="alice-id").name == "Alice Smith"


def test_a_user_deactivated_in_this_process_is_refused_at_once(alice, tasks):
    alice.get("/api/tasks")
    user = User.objects.get(pk="alice-id")
    user.is_active = False
    user.save()
    response = alice.get("/api/tasks")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_user_deactivated_elsewhere_is_refused_once_remembered_too_long(
    alice, tasks, monkeypatch
):
    alice.get("/api/tasks")
    # As another process would: no signal reaches this one.
    User.objects.filter(pk="alice-id").update(is_active=False)
    assert alice.get("/api/tasks").status_code == 200
    later = known_users.clock() + known_users.ttl
    monkeypatch.setattr(known_users, "clock", lambda: later)
    assert alice.get("/api/tasks").status_code == 401


def test_the_list_is_one_query_whatever_its_length(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 1):
        response = alice.get("/api/tasks?status=pending&sort=title&search=task")
    assert len(response.json()) == 25


def test_the_list_under_the_user_path_is_one_query(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 1):
        assert alice.get("/api/alice-id/tasks").status_code == 200


def test_a_page_of_the_list_adds_only_the_count(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 2):
        response = alice.get("/api/tasks?limit=10&offset=10")
    assert len(response.json()) == 10
    assert response["X-Total-Count"] == "25"


def test_a_page_past_the_end_is_only_the_count(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 1):
        assert alice.get("/api/tasks?offset=100").json() == []


def test_detail(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 1):
        assert alice.get(f"/api/tasks/{tasks[0].pk}").status_code == 200


def test_create(alice, tasks, django_assert_num_queries):
    # The owner's change number (an upsert of the counter) and the row: one
    # statement on PostgreSQL, two elsewhere.
    statements = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(AUTH + statements) as captured:
        response = alice.post("/api/tasks", {"title": "New"}, format="json")
    assert response.status_code == 201
    assert len(writes(captured)) == statements


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update(alice, tasks, method, django_assert_num_queries):
    send = getattr(alice, method)
    # SAVEPOINT, the owner's change lock and number, SELECT, UPDATE, RELEASE:
    # one writer at a time per user, so that If-Match and "one next
    # occurrence" hold for two requests at once.
    with django_assert_num_queries(AUTH + 5) as captured:
        response = send(f"/api/tasks/{tasks[0].pk}", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    assert len(task_writes(captured)) == 1


def test_toggle(alice, tasks, django_assert_num_queries):
    with django_assert_num_queries(AUTH + 5) as captured:
        response = alice.patch(f"/api/tasks/{tasks[0].pk}/complete")
    assert response.status_code == 200
    assert len(task_writes(captured)) == 1


def test_setting_completed_to_its_value_writes_nothing(alice, tasks, django_assert_num_queries):
    tasks[0].completed = True
    tasks[0].save()
    with django_assert_num_queries(AUTH + 4) as captured:
        response = alice.patch(
            f"/api/tasks/{tasks[0].pk}/complete", {"completed": True}, format="json"
        )
    assert response.status_code == 200
    # Only the change lock, taken before the task is read.
    assert task_writes(captured) == []


def test_delete(alice, tasks, django_assert_num_queries):
    # SAVEPOINT, the change lock, the task, the task it may recur from, the
    # tombstone's number, the tombstone, DELETE, RELEASE.
    with django_assert_num_queries(AUTH + 8) as captured:
        assert alice.delete(f"/api/tasks/{tasks[0].pk}").status_code == 204
    assert len(task_writes(captured)) == 2


def test_another_users_task(bob, tasks, django_assert_num_queries):
    assert bob.get("/api/tasks").status_code == 200
    known_users.clear()
    # The miss among the caller's tasks, then whether the id exists at all.
    with django_assert_num_queries(AUTH + 2) as captured:
        assert bob.get(f"/api/tasks/{tasks[0].pk}").status_code == 403
    assert writes(captured) == []
