"""Recurring tasks: the date arithmetic, and the next occurrence a completion makes."""

from datetime import UTC, datetime

import pytest

from tasks.models import Task
from tasks.recurrence import next_due


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    "due_at, frequency, interval, expected",
    [
        (utc(2026, 12, 5, 17), "daily", 1, utc(2026, 12, 6, 17)),
        (utc(2026, 12, 30, 9, 15), "daily", 3, utc(2027, 1, 2, 9, 15)),
        (utc(2026, 12, 4, 17), "weekly", 1, utc(2026, 12, 11, 17)),
        (utc(2026, 12, 4, 17), "weekly", 2, utc(2026, 12, 18, 17)),
        (utc(2026, 12, 25, 8), "weekly", 2, utc(2027, 1, 8, 8)),
        (utc(2027, 1, 31, 10), "monthly", 1, utc(2027, 2, 28, 10)),
        (utc(2028, 1, 31, 10), "monthly", 1, utc(2028, 2, 29, 10)),
        (utc(2026, 3, 31), "monthly", 1, utc(2026, 4, 30)),
        (utc(2026, 8, 31), "monthly", 6, utc(2027, 2, 28)),
        (
            utc(2026, 11, 30, 23, 59, 59, 999999),
            "monthly",
            1,
            utc(2026, 12, 30, 23, 59, 59, 999999),
        ),
        (utc(2026, 12, 15), "monthly", 1, utc(2027, 1, 15)),
        (utc(2026, 10, 15), "monthly", 27, utc(2029, 1, 15)),
        (utc(2028, 2, 29, 12), "yearly", 1, utc(2029, 2, 28, 12)),
        (utc(2028, 2, 29, 12), "yearly", 4, utc(2032, 2, 29, 12)),
        (utc(2026, 12, 31), "yearly", 1, utc(2027, 12, 31)),
    ],
)
def test_the_next_due_date(due_at, frequency, interval, expected):
    assert next_due(due_at, frequency, interval) == expected


def test_a_series_past_the_year_9999_ends():
    assert next_due(utc(9999, 6, 1), "yearly", 1) is None
    assert next_due(utc(9999, 12, 31), "daily", 1) is None
    assert next_due(utc(9999, 11, 1), "monthly", 2) is None


WEEKLY = {"due_at": "2026-12-04T17:00:00Z", "recurrence": {"frequency": "weekly", "interval": 1}}


@pytest.fixture
def weekly(alice):
    body = {"title": "Water the plants", "description": "all of them", "priority": "high"}
    body.update(WEEKLY, tags=["home", "garden"])
    response = alice.post("/api/tasks", body, format="json")
    assert response.status_code == 201
    return response.json()


def occurrence_of(client, task):
    task = client.get(f"/api/tasks/{task['id']}").json()
    assert task["next_occurrence_id"] is not None
    return client.get(f"/api/tasks/{task['next_occurrence_id']}").json()


COMPLETIONS = {
    "complete, flip": lambda c, t: c.patch(f"/api/tasks/{t['id']}/complete"),
    "complete, set": lambda c, t: c.patch(
        f"/api/tasks/{t['id']}/complete", {"completed": True}, format="json"
    ),
    "PUT": lambda c, t: c.put(f"/api/tasks/{t['id']}", {"completed": True}, format="json"),
    "PATCH": lambda c, t: c.patch(f"/api/tasks/{t['id']}", {"completed": True}, format="json"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("route", COMPLETIONS)
def test_completing_a_recurring_task_makes_its_next_occurrence(alice, weekly, route):
    response = COMPLETIONS[route](alice, weekly)
    assert response.status_code == 200
    done = response.json()
    assert done["completed"] is True
    occurrence = alice.get(f"/api/tasks/{done['next_occurrence_id']}").json()
    assert occurrence["title"] == "Water the plants"
    assert occurrence["description"] == "all of them"
    assert occurrence["priority"] == "high"
    assert occurrence["tags"] == ["home", "garden"]
    assert occurrence["recurrence"] == {"frequency": "weekly", "interval": 1}
    assert occurrence["due_at"] == "2026-12-11T17:00:00Z"
    assert occurrence["completed"] is False
    assert occurrence["completed_at"] is None
    assert occurrence["next_occurrence_id"] is None
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_the_answer_names_the_occurrence(alice, weekly):
    done = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    assert done["next_occurrence_id"] == Task.objects.exclude(pk=weekly["id"]).get().pk


@pytest.mark.django_db
def test_the_occurrence_is_due_from_the_due_date_given_with_the_completion(alice, weekly):
    body = {"completed": True, "due_at": "2026-12-10T08:00:00+01:00"}
    alice.patch(f"/api/tasks/{weekly['id']}", body, format="json")
    assert occurrence_of(alice, weekly)["due_at"] == "2026-12-17T07:00:00Z"


@pytest.mark.django_db
def test_completing_the_occurrence_makes_the_one_after(alice, weekly):
    alice.patch(f"/api/tasks/{weekly['id']}/complete")
    second = occurrence_of(alice, weekly)
    alice.patch(f"/api/tasks/{second['id']}/complete")
    assert occurrence_of(alice, second)["due_at"] == "2026-12-18T17:00:00Z"
    assert Task.objects.count() == 3


@pytest.mark.django_db
def test_reopening_and_completing_again_makes_no_second_occurrence(alice, weekly):
    first = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()["next_occurrence_id"]
    reopened = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    assert reopened["completed"] is False
    assert reopened["next_occurrence_id"] == first
    again = alice.patch(f"/api/tasks/{weekly['id']}", {"completed": True}, format="json").json()
    assert again["next_occurrence_id"] == first
    assert Task.objects.count() == 2
    assert Task.objects.filter(pk=first).exists()


@pytest.mark.django_db
def test_completing_an_already_completed_task_makes_nothing(alice, weekly):
    alice.patch(f"/api/tasks/{weekly['id']}/complete")
    for _ in range(3):
        alice.put(f"/api/tasks/{weekly['id']}", {"completed": True}, format="json")
        alice.patch(f"/api/tasks/{weekly['id']}/complete", {"completed": True}, format="json")
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_deleting_the_occurrence_lets_a_later_completion_make_a_new_one(alice, weekly):
    done = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    assert alice.delete(f"/api/tasks/{done['next_occurrence_id']}").status_code == 204
    unlinked = alice.get(f"/api/tasks/{weekly['id']}").json()
    assert unlinked["next_occurrence_id"] is None
    assert unlinked["updated_at"] > done["updated_at"]
    alice.patch(f"/api/tasks/{weekly['id']}/complete")
    again = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    assert again["next_occurrence_id"] not in (None, done["next_occurrence_id"])
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_deleting_the_completed_task_keeps_its_occurrence(alice, weekly):
    done = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    assert alice.delete(f"/api/tasks/{weekly['id']}").status_code == 204
    assert alice.get(f"/api/tasks/{done['next_occurrence_id']}").status_code == 200


@pytest.mark.django_db
def test_a_task_created_completed_makes_no_occurrence(alice):
    response = alice.post(
        "/api/tasks", {"title": "Done", "completed": True, **WEEKLY}, format="json"
    )
    assert response.json()["next_occurrence_id"] is None
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_task_without_recurrence_makes_no_occurrence(alice):
    task = alice.post(
        "/api/tasks", {"title": "Once", "due_at": "2026-12-04T17:00:00Z"}, format="json"
    )
    done = alice.patch(f"/api/tasks/{task.json()['id']}/complete").json()
    assert done["next_occurrence_id"] is None
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_series_that_would_pass_the_year_9999_just_completes(alice):
    body = {
        "title": "Last",
        "due_at": "9999-06-01T00:00:00Z",
        "recurrence": {"frequency": "yearly"},
    }
    task = alice.post("/api/tasks", body, format="json").json()
    done = alice.patch(f"/api/tasks/{task['id']}/complete")
    assert done.status_code == 200
    assert done.json()["next_occurrence_id"] is None


@pytest.mark.django_db
def test_the_occurrence_belongs_to_the_owner_alone(alice, bob, weekly):
    done = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    occurrence = Task.objects.get(pk=done["next_occurrence_id"])
    assert occurrence.owner_id == "alice-id"
    assert bob.get(f"/api/tasks/{occurrence.pk}").status_code == 403
    assert bob.get("/api/tasks").json() == []


@pytest.mark.django_db
def test_another_user_cannot_complete_the_task(bob, weekly):
    assert COMPLETIONS["PUT"](bob, weekly).status_code == 403
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_completion_makes_no_occurrence(alice, weekly):
    body = {"completed": True, "title": ""}
    assert alice.patch(f"/api/tasks/{weekly['id']}", body, format="json").status_code == 422
    assert Task.objects.count() == 1
    assert Task.objects.get().completed is False
