from datetime import datetime

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db

# In the contract's order.
TASK_KEYS = [
    "id",
    "title",
    "description",
    "completed",
    "completed_at",
    "priority",
    "due_at",
    "tags",
    "recurrence",
    "next_occurrence_id",
    "remind_at",
    "created_at",
    "updated_at",
]


def parse_time(value):
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_create_answers_201_with_exactly_the_task_fields(alice):
    response = alice.post(
        "/api/tasks", {"title": "Buy milk", "description": "2 litres"}, format="json"
    )
    assert response.status_code == 201
    assert list(response.json()) == TASK_KEYS
    assert response.json()["title"] == "Buy milk"
    assert response.json()["description"] == "2 litres"
    assert response.json()["completed"] is False
    assert isinstance(response.json()["id"], int)


def test_description_left_out_is_null(alice):
    response = alice.post("/api/tasks", {"title": "Buy milk"}, format="json")
    assert response.status_code == 201
    assert response.json()["description"] is None


def test_completed_may_be_given_on_create(alice):
    response = alice.post("/api/tasks", {"title": "Done already", "completed": True}, format="json")
    assert response.status_code == 201
    assert response.json()["completed"] is True


def test_title_is_trimmed(alice):
    response = alice.post("/api/tasks", {"title": "  Buy milk \n"}, format="json")
    assert response.status_code == 201
    assert response.json()["title"] == "Buy milk"


def test_timestamps_are_utc_and_equal_on_creation(alice):
    task = alice.post("/api/tasks", {"title": "Buy milk"}, format="json").json()
    assert task["created_at"] == task["updated_at"]
    assert parse_time(task["created_at"]).utcoffset().total_seconds() == 0


def test_it_lists_the_callers_tasks_newest_first(alice):
    first = alice.post("/api/tasks", {"title": "first"}, format="json").json()
    second = alice.post("/api/tasks", {"title": "second"}, format="json").json()
    response = alice.get("/api/tasks")
    assert response.status_code == 200
    assert [task["id"] for task in response.json()] == [second["id"], first["id"]]
    assert all(list(task) == TASK_KEYS for task in response.json())


def test_an_empty_list_is_an_empty_array(alice):
    response = alice.get("/api/tasks")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "0"


def test_it_shows_one_task(alice, add_task):
    task = add_task("alice-id", "Buy milk", description="2 litres")
    response = alice.get(f"/api/tasks/{task.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == task.pk
    assert response.json()["description"] == "2 litres"
    assert list(response.json()) == TASK_KEYS


def test_put_changes_only_the_fields_given(alice, add_task):
    task = add_task("alice-id", "Buy milk", description="2 litres")
    response = alice.put(f"/api/tasks/{task.pk}", {"completed": True}, format="json")
    assert response.status_code == 200
    assert response.json()["completed"] is True
    assert response.json()["title"] == "Buy milk"
    assert response.json()["description"] == "2 litres"


def test_patch_changes_only_the_fields_given(alice, add_task):
    task = add_task("alice-id", "Buy milk", description="2 litres")
    response = alice.patch(f"/api/tasks/{task.pk}", {"title": "Buy oat milk"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Buy oat milk"
    assert response.json()["description"] == "2 litres"
    task.refresh_from_db()
    assert task.title == "Buy oat milk"


def test_description_can_be_cleared_with_null(alice, add_task):
    task = add_task("alice-id", "Buy milk", description="2 litres")
    response = alice.patch(f"/api/tasks/{task.pk}", {"description": None}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] is None


def test_delete_answers_204_without_a_body(alice, add_task):
    task = add_task("alice-id")
    response = alice.delete(f"/api/tasks/{task.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Task.objects.filter(pk=task.pk).exists()


def test_a_deleted_task_is_gone(alice, add_task):
    task = add_task("alice-id")
    alice.delete(f"/api/tasks/{task.pk}")
    response = alice.get(f"/api/tasks/{task.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_updated_at_moves_on_a_change_and_created_at_never(alice):
    created = alice.post("/api/tasks", {"title": "Buy milk"}, format="json").json()
    changed = alice.patch(
        f"/api/tasks/{created['id']}", {"title": "Buy bread"}, format="json"
    ).json()
    assert changed["created_at"] == created["created_at"]
    assert parse_time(changed["updated_at"]) > parse_time(created["updated_at"])


@pytest.mark.parametrize(
    "field, value",
    [
        ("user_id", "bob-id"),
        ("owner", "bob-id"),
        ("owner_id", "bob-id"),
        ("id", 999999),
        ("created_at", "2001-01-01T00:00:00Z"),
        ("updated_at", "2001-01-01T00:00:00Z"),
    ],
)
def test_it_ignores_fields_the_server_owns(alice, bob, field, value):
    response = alice.post("/api/tasks", {"title": "Mine", field: value}, format="json")
    assert response.status_code == 201
    task = Task.objects.get(pk=response.json()["id"])
    assert task.owner_id == "alice-id"
    assert task.pk != 999999
    assert task.created_at.year > 2001
    assert bob.get("/api/tasks").json() == []


@pytest.mark.parametrize(
    "field, value", [("owner", "bob-id"), ("id", 999999), ("user_id", "bob-id")]
)
def test_an_update_cannot_move_or_renumber_a_task(alice, add_task, field, value):
    task = add_task("alice-id")
    response = alice.patch(f"/api/tasks/{task.pk}", {field: value}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == task.pk
    task.refresh_from_db()
    assert task.owner_id == "alice-id"


def test_no_response_holds_the_owner_id(alice, add_task):
    task = add_task("alice-id")
    bodies = [
        alice.post("/api/tasks", {"title": "x"}, format="json").content,
        alice.get("/api/tasks").content,
        alice.get(f"/api/tasks/{task.pk}").content,
        alice.patch(f"/api/tasks/{task.pk}", {"title": "y"}, format="json").content,
        alice.patch(f"/api/tasks/{task.pk}/complete").content,
    ]
    assert all(b"alice-id" not in body and b"owner" not in body for body in bodies)


def test_the_list_writes_each_task_exactly_as_the_detail_does(alice, add_task):
    """The list formats rows itself, for speed; it must match TaskSerializer to the byte."""
    from datetime import UTC, datetime

    add_task("alice-id", "plain")
    add_task("alice-id", "ünïcødé ✓", description="", completed=True)
    whole_second = add_task("alice-id", "whole second", description=None)
    Task.objects.filter(pk=whole_second.pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
    )
    for task in alice.get("/api/tasks").json():
        assert task == alice.get(f"/api/tasks/{task['id']}").json()
    assert alice.get("/api/tasks", {"limit": 2, "offset": 1}).json() == [
        alice.get(f"/api/tasks/{task['id']}").json() for task in alice.get("/api/tasks").json()[1:3]
    ]


@pytest.mark.parametrize(
    "method, body",
    [("patch", {"title": "Buy milk"}), ("put", {}), ("put", {"completed": False})],
)
def test_an_update_that_changes_nothing_leaves_updated_at(alice, add_task, method, body):
    task = add_task("alice-id", "Buy milk")
    response = getattr(alice, method)(f"/api/tasks/{task.pk}", body, format="json")
    assert response.status_code == 200
    assert parse_time(response.json()["updated_at"]) == task.updated_at
    assert Task.objects.get(pk=task.pk).updated_at == task.updated_at
