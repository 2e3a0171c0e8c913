"""
Other frontends' spellings on input (Contract v3): ``due_date`` for
``due_at`` and ``is_completed`` for ``completed``, wherever the field is.
"""

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db

DUE = "2026-12-05T17:00:00Z"


def create(client, body):
    return client.post("/api/tasks", body, format="json")


@pytest.fixture
def task(alice):
    response = create(alice, {"title": "Buy milk"})
    assert response.status_code == 201
    return response.json()


def test_due_date_sets_due_at(alice):
    response = create(alice, {"title": "Buy milk", "due_date": "2026-12-05T18:00:00+01:00"})
    assert response.status_code == 201
    assert response.json()["due_at"] == DUE


def test_a_bare_date_is_midnight_utc_of_that_day(alice):
    response = create(alice, {"title": "Buy milk", "due_date": "2026-12-05"})
    assert response.status_code == 201
    assert response.json()["due_at"] == "2026-12-05T00:00:00Z"


def test_a_bare_date_is_still_a_422_under_due_at(alice):
    response = create(alice, {"title": "Buy milk", "due_at": "2026-12-05"})
    assert response.status_code == 422
    assert "offset" in response.json()["errors"]["due_at"][0]


@pytest.mark.parametrize(
    "value", ["2026-13-45", "2026-02-30", "tomorrow", "2026-12-05T17:00:00", 20261205, True, ""]
)
def test_a_bad_due_date_is_a_422_naming_due_date(alice, value):
    response = create(alice, {"title": "Buy milk", "due_date": value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["due_date"]
    assert Task.objects.count() == 0


def test_due_date_null_clears_the_due_date(alice):
    task = create(alice, {"title": "Buy milk", "due_at": DUE}).json()
    response = alice.patch(f"/api/tasks/{task['id']}", {"due_date": None}, format="json")
    assert response.status_code == 200
    assert response.json()["due_at"] is None


def test_due_date_changes_the_due_date_with_put_and_patch(alice, task):
    for method in (alice.put, alice.patch):
        response = method(f"/api/tasks/{task['id']}", {"due_date": "2027-01-31"}, format="json")
        assert response.status_code == 200
        assert response.json()["due_at"] == "2027-01-31T00:00:00Z"


def test_one_instant_in_two_offsets_is_one_value(alice):
    body = {"title": "Buy milk", "due_at": DUE, "due_date": "2026-12-05T18:00:00+01:00"}
    response = create(alice, body)
    assert response.status_code == 201
    assert response.json()["due_at"] == DUE


def test_due_at_and_a_different_due_date_is_a_422_naming_due_date(alice, task):
    body = {"due_at": DUE, "due_date": "2026-12-06"}
    response = alice.patch(f"/api/tasks/{task['id']}", body, format="json")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["due_date"]
    assert alice.get(f"/api/tasks/{task['id']}").json()["due_at"] is None


def test_a_recurring_task_can_be_dated_by_due_date(alice):
    body = {
        "title": "Water the plants",
        "due_date": "2026-12-04",
        "recurrence": {"frequency": "weekly"},
    }
    task = create(alice, body).json()
    done = alice.patch(f"/api/tasks/{task['id']}/complete").json()
    occurrence = alice.get(f"/api/tasks/{done['next_occurrence_id']}").json()
    assert occurrence["due_at"] == "2026-12-11T00:00:00Z"


def test_clearing_due_date_of_a_recurring_task_names_due_date(alice):
    body = {"title": "Water the plants", "due_at": DUE, "recurrence": {"frequency": "weekly"}}
    task = create(alice, body).json()
    response = alice.patch(f"/api/tasks/{task['id']}", {"due_date": None}, format="json")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["due_date"]


def test_is_completed_sets_completed_on_create(alice):
    response = create(alice, {"title": "Buy milk", "is_completed": True})
    assert response.status_code == 201
    assert response.json()["completed"] is True


@pytest.mark.parametrize("method", ["put", "patch"])
def test_is_completed_changes_completed(alice, task, method):
    response = getattr(alice, method)(
        f"/api/tasks/{task['id']}", {"is_completed": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["completed"] is True
    assert Task.objects.get().completed is True


def test_is_completed_sets_it_on_the_toggle(alice, task):
    for _ in range(2):
        response = alice.patch(
            f"/api/tasks/{task['id']}/complete", {"is_completed": True}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["completed"] is True


def test_is_completed_in_the_bulk_update(alice, task):
    other = create(alice, {"title": "Bread"}).json()
    body = {"ids": [task["id"], other["id"]], "is_completed": True}
    response = alice.patch("/api/tasks", body, format="json")
    assert response.status_code == 200
    assert [item["completed"] for item in response.json()] == [True, True]


@pytest.mark.parametrize("value", ["yes", 1, "true", None])
def test_a_bad_is_completed_is_a_422_naming_is_completed(alice, task, value):
    answers = [
        create(alice, {"title": "x", "is_completed": value}),
        alice.patch(f"/api/tasks/{task['id']}", {"is_completed": value}, format="json"),
        alice.patch(f"/api/tasks/{task['id']}/complete", {"is_completed": value}, format="json"),
        alice.patch("/api/tasks", {"ids": [task["id"]], "is_completed": value}, format="json"),
    ]
    for response in answers:
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["is_completed"]
    assert Task.objects.get().completed is False


def test_completed_and_a_different_is_completed_is_a_422_naming_is_completed(alice, task):
    body = {"completed": True, "is_completed": False}
    answers = [
        create(alice, {"title": "x", **body}),
        alice.patch(f"/api/tasks/{task['id']}", body, format="json"),
        alice.patch(f"/api/tasks/{task['id']}/complete", body, format="json"),
        alice.patch("/api/tasks", {"ids": [task["id"]], **body}, format="json"),
    ]
    for response in answers:
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["is_completed"]
    assert Task.objects.count() == 1
    assert Task.objects.get().completed is False


def test_completed_and_an_equal_is_completed_is_one_value(alice, task):
    body = {"completed": True, "is_completed": True}
    response = alice.patch(f"/api/tasks/{task['id']}/complete", body, format="json")
    assert response.status_code == 200
    assert response.json()["completed"] is True


def test_the_bulk_update_still_needs_one_of_the_two(alice, task):
    response = alice.patch("/api/tasks", {"ids": [task["id"]]}, format="json")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["completed"]


def test_aliases_never_reach_another_users_task(alice, bob, task):
    response = bob.patch(f"/api/tasks/{task['id']}", {"is_completed": True}, format="json")
    assert response.status_code == 403
    assert Task.objects.get().completed is False
