"""The bulk routes: PATCH /api/tasks ("mark all as complete") and DELETE /api/tasks?status=completed."""

import pytest

from tasks.models import Task

from .test_validation import assert_invalid

pytestmark = pytest.mark.django_db


def bulk(client, body, path="/api/tasks"):
    return client.patch(path, body, format="json")


@pytest.fixture
def three(add_task):
    return [add_task("alice-id", title).pk for title in ("a", "b", "c")]


def test_it_sets_completed_on_all_and_answers_in_the_order_of_ids(alice, three):
    order = [three[2], three[0], three[1]]
    response = bulk(alice, {"ids": order, "completed": True})
    assert response.status_code == 200
    assert [task["id"] for task in response.json()] == order
    assert all(task["completed"] and task["completed_at"] for task in response.json())
    assert response.json()[0] == alice.get(f"/api/tasks/{order[0]}").json()
    assert Task.objects.filter(completed=True).count() == 3


def test_it_reopens_too_and_leaves_unchanged_tasks_alone(alice, add_task):
    done = add_task("alice-id", "done", completed=True)
    pending = add_task("alice-id", "pending")
    response = bulk(alice, {"ids": [done.pk, pending.pk], "completed": False})
    assert [task["completed"] for task in response.json()] == [False, False]
    assert Task.objects.get(pk=pending.pk).updated_at == pending.updated_at


def test_recurring_tasks_recur(alice):
    body = {
        "title": "weekly",
        "due_at": "2026-12-04T17:00:00Z",
        "recurrence": {"frequency": "weekly"},
    }
    task_id = alice.post("/api/tasks", body, format="json").json()["id"]
    response = bulk(alice, {"ids": [task_id], "completed": True})
    occurrence_id = response.json()[0]["next_occurrence_id"]
    assert alice.get(f"/api/tasks/{occurrence_id}").json()["due_at"] == "2026-12-11T17:00:00Z"
    bulk(alice, {"ids": [task_id], "completed": False})
    bulk(alice, {"ids": [task_id], "completed": True})
    assert Task.objects.count() == 2


def test_another_users_id_is_a_403_and_nothing_changes(alice, three, add_task):
    bobs = add_task("bob-id", "bob's")
    response = bulk(alice, {"ids": [*three, bobs.pk], "completed": True})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Task.objects.filter(completed=True).exists()


def test_a_missing_id_is_a_404_and_nothing_changes(alice, three):
    for missing in (999999, 0, -5, 2**63, 10**30):
        response = bulk(alice, {"ids": [three[0], missing], "completed": True})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert not Task.objects.filter(completed=True).exists()


def test_with_hidden_foreign_tasks_another_users_id_is_a_404(alice, three, add_task, settings):
    settings.TASKS_HIDE_FOREIGN = True
    bobs = add_task("bob-id", "bob's")
    assert bulk(alice, {"ids": [bobs.pk], "completed": True}).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"completed": True}, "ids"),
        ({"ids": [], "completed": True}, "ids"),
        ({"ids": list(range(1, 102)), "completed": True}, "ids"),
        ({"ids": [1, 1], "completed": True}, "ids"),
        ({"ids": "1,2", "completed": True}, "ids"),
        ({"ids": [1, "2"], "completed": True}, "ids"),
        ({"ids": [1, 2.0], "completed": True}, "ids"),
        ({"ids": [True], "completed": True}, "ids"),
        ({"ids": [None], "completed": True}, "ids"),
        ({"ids": "bob's"}, "completed"),
        ({"ids": "bob's", "completed": None}, "completed"),
        ({"ids": "bob's", "completed": "true"}, "completed"),
        ({"ids": "bob's", "completed": 1}, "completed"),
    ],
)
def test_the_body_is_checked_first(alice, add_task, body, field):
    """422 even where the ids would be a 403: another user's task."""
    bobs = add_task("bob-id", "bob's")
    if body.get("ids") == "bob's":
        body = {**body, "ids": [bobs.pk]}
    assert_invalid(bulk(alice, body), field)


def test_a_hundred_distinct_ids_are_fine(alice, add_task):
    ids = [add_task("alice-id", f"t{n}").pk for n in range(100)]
    assert bulk(alice, {"ids": ids, "completed": True}).status_code == 200


def test_the_user_path_form_works_and_refuses_another_users_id(alice, bob, three):
    assert bulk(alice, {"ids": three, "completed": True}, "/api/alice-id/tasks").status_code == 200
    assert bulk(bob, {"ids": three, "completed": False}, "/api/alice-id/tasks").status_code == 403
    assert Task.objects.filter(completed=True).count() == 3


def test_bulk_needs_a_token(anonymous):
    assert bulk(anonymous, {"ids": [1], "completed": True}).status_code == 401


@pytest.fixture
def mixed(add_task):
    return {
        "done home": add_task(
            "alice-id", "done home", completed=True, tags=["home"], priority="high"
        ),
        "done work": add_task("alice-id", "done work", completed=True, tags=["work"]),
        "pending home": add_task("alice-id", "pending home", tags=["home"]),
        "bob done": add_task("bob-id", "bob done", completed=True),
    }


def titles_left(owner="alice-id"):
    return sorted(Task.objects.filter(owner_id=owner).values_list("title", flat=True))


def test_clear_completed_deletes_the_callers_completed_tasks(alice, mixed):
    response = alice.delete("/api/tasks?status=completed")
    assert response.status_code == 200
    assert response.json() == {"deleted": 2}
    assert titles_left() == ["pending home"]
    assert titles_left("bob-id") == ["bob done"]


@pytest.mark.parametrize(
    "query, left",
    [
        ("status=completed&tag=home", ["done work", "pending home"]),
        ("status=completed&priority=high", ["done work", "pending home"]),
        ("status=completed&search=WORK", ["done home", "pending home"]),
        ("status=completed&tag=nothing", ["done home", "done work", "pending home"]),
        ("completed=true", ["pending home"]),
        ("task_status=completed&tag=work", ["done home", "pending home"]),
    ],
)
def test_the_lists_other_filters_narrow_it(alice, mixed, query, left):
    assert alice.delete(f"/api/tasks?{query}").status_code == 200
    assert titles_left() == left


@pytest.mark.parametrize(
    "query", ["", "status=all", "status=pending", "completed=false", "status=", "tag=home"]
)
def test_without_status_completed_it_is_a_422_and_deletes_nothing(alice, mixed, query):
    assert_invalid(alice.delete(f"/api/tasks?{query}"), "status")
    assert len(titles_left()) == 3


@pytest.mark.parametrize(
    "query", ["status=completed&priority=urgent", "status=completed&due_after=x"]
)
def test_a_bad_filter_is_a_422_and_deletes_nothing(alice, mixed, query):
    assert alice.delete(f"/api/tasks?{query}").status_code == 422
    assert len(titles_left()) == 3


def test_clear_completed_with_nothing_to_clear_says_0(alice, db):
    assert alice.delete("/api/tasks?status=completed").json() == {"deleted": 0}


def test_clear_completed_under_the_user_path(alice, bob, mixed):
    assert bob.delete("/api/alice-id/tasks?status=completed").status_code == 403
    assert alice.delete("/api/alice-id/tasks/?status=completed").json() == {"deleted": 2}


def test_clearing_a_completed_occurrence_unlinks_its_completed_parent(alice):
    body = {
        "title": "weekly",
        "due_at": "2026-12-04T17:00:00Z",
        "recurrence": {"frequency": "weekly"},
    }
    first = alice.post("/api/tasks", body, format="json").json()
    second_id = alice.patch(f"/api/tasks/{first['id']}/complete").json()["next_occurrence_id"]
    alice.patch(f"/api/tasks/{second_id}/complete")
    assert alice.delete("/api/tasks?status=completed").json() == {"deleted": 2}
    [left] = alice.get("/api/tasks").json()
    assert left["title"] == "weekly" and left["completed"] is False


def test_clear_completed_takes_tens_of_thousands_at_once(alice, add_task):
    # More ids than PostgreSQL takes parameters in one statement (65,535)
    # when they are bound on the server.
    pending = add_task("alice-id", "pending")
    Task.objects.bulk_create(
        [
            Task(
                owner=pending.owner,
                title=f"done {n}",
                completed=True,
                completed_at=pending.created_at,
                created_at=pending.created_at,
                updated_at=pending.updated_at,
            )
            for n in range(70_000)
        ],
        batch_size=5000,
    )
    response = alice.delete("/api/tasks?status=completed")
    assert response.status_code == 200
    assert response.json() == {"deleted": 70_000}
    assert titles_left() == ["pending"]
