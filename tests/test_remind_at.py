"""
``remind_at``: a date-time with an offset, like ``due_at``, and the reminder
it arms for the worker (events/): set by a create or an update unless it was
already past by more than REMINDER_GRACE_SECONDS, re-armed when it changes,
moved with the due date of a recurring task's next occurrence.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def armed(task_id: int) -> bool:
    return Task.objects.get(pk=task_id).reminder_armed


def test_remind_at_is_returned_in_utc(alice):
    body = {"title": "Call mum", "remind_at": "2026-12-05T18:00:00+01:00"}
    task = alice.post("/api/tasks", body, format="json").json()
    assert task["remind_at"] == "2026-12-05T17:00:00Z"
    assert alice.get(f"/api/tasks/{task['id']}").json()["remind_at"] == "2026-12-05T17:00:00Z"


@pytest.mark.parametrize("value", ["2026-12-05T17:00:00", "2026-12-05", "soon", 5, True])
def test_remind_at_without_an_offset_is_a_422(alice, value):
    response = alice.post("/api/tasks", {"title": "x", "remind_at": value}, format="json")
    assert response.status_code == 422
    assert "offset" in response.json()["errors"]["remind_at"][0]


def test_remind_at_needs_no_due_date_and_may_follow_it(alice):
    body = {"title": "x", "due_at": "2026-12-05T17:00:00Z", "remind_at": "2026-12-06T09:00:00Z"}
    assert alice.post("/api/tasks", body, format="json").status_code == 201
    assert alice.post("/api/tasks", {"title": "y", "remind_at": body["remind_at"]}, format="json")


def test_a_future_reminder_is_armed_and_a_long_past_one_is_not(alice):
    now = datetime.now(UTC)
    future = alice.post("/api/tasks", {"title": "a", "remind_at": iso(now + timedelta(hours=1))})
    past = alice.post("/api/tasks", {"title": "b", "remind_at": iso(now - timedelta(hours=1))})
    recent = alice.post("/api/tasks", {"title": "c", "remind_at": iso(now - timedelta(seconds=30))})
    plain = alice.post("/api/tasks", {"title": "d"})
    assert armed(future.json()["id"]) is True
    assert armed(past.json()["id"]) is False
    assert armed(recent.json()["id"]) is True
    assert armed(plain.json()["id"]) is False


def test_changing_remind_at_rearms_it_and_other_changes_leave_it(alice):
    now = datetime.now(UTC)
    task = alice.post("/api/tasks", {"title": "a", "remind_at": iso(now + timedelta(hours=1))})
    task_id = task.json()["id"]
    Task.objects.filter(pk=task_id).update(reminder_armed=False)  # as the worker does
    alice.patch(f"/api/tasks/{task_id}", {"title": "b"}, format="json")
    assert armed(task_id) is False
    later = iso(now + timedelta(hours=2))
    assert alice.patch(f"/api/tasks/{task_id}", {"remind_at": later}, format="json").json()
    assert armed(task_id) is True
    alice.patch(f"/api/tasks/{task_id}", {"remind_at": None}, format="json")
    assert armed(task_id) is False


def test_the_grace_is_a_setting(alice, settings):
    settings.REMINDER_GRACE_SECONDS = 0
    now = datetime.now(UTC)
    task = alice.post("/api/tasks", {"title": "c", "remind_at": iso(now - timedelta(seconds=30))})
    assert armed(task.json()["id"]) is False


def test_the_next_occurrence_keeps_the_reminders_distance_to_its_due_date(alice):
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    body = {
        "title": "Water the plants",
        "due_at": iso(due),
        "remind_at": iso(due - timedelta(minutes=90)),
        "recurrence": {"frequency": "monthly"},
    }
    task = alice.post("/api/tasks", body, format="json").json()
    done = alice.patch(f"/api/tasks/{task['id']}/complete").json()
    occurrence = alice.get(f"/api/tasks/{done['next_occurrence_id']}").json()
    next_due = datetime.fromisoformat(occurrence["due_at"])
    assert datetime.fromisoformat(occurrence["remind_at"]) == next_due - timedelta(minutes=90)
    assert armed(occurrence["id"]) is True


def test_remind_at_is_in_the_changes_feed(alice):
    alice.post("/api/tasks", {"title": "a", "remind_at": "2026-12-05T17:00:00Z"}, format="json")
    (task,) = alice.get("/api/tasks/changes").json()["changed"]
    assert task["remind_at"] == "2026-12-05T17:00:00Z"
