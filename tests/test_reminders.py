"""
Reminders: the worker's todo.task.reminder events, for tasks set up through
the API with a sink configured (so that writes make their events).
"""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from events.models import Event, EventType
from events.reminders import make_due_reminders
from tasks import services
from tasks.models import ChangeCounter, Task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def events_on(settings):
    settings.WEBHOOK_URLS = ["http://127.0.0.1:9/never-called"]


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def ago(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def create(client, **fields) -> dict:
    response = client.post("/api/tasks", {"title": "Call mum", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reminders() -> list[Event]:
    return list(Event.objects.filter(type=EventType.REMINDER).order_by("pk"))


def test_a_due_reminder_is_one_event_and_changes_nothing_of_the_task(alice):
    task = create(alice, remind_at=rfc3339(ago(seconds=2)))
    before = alice.get(f"/api/tasks/{task['id']}")
    feed = alice.get("/api/tasks/changes").json()
    assert make_due_reminders() == 1
    [reminder] = reminders()
    assert reminder.task_id == task["id"] and reminder.owner_id == "alice-id"
    assert reminder.sequence == ChangeCounter.objects.get(user_id="alice-id").last_seq
    assert abs((reminder.time - datetime.now(UTC)).total_seconds()) < 5
    assert json.loads(reminder.data) == {"user_id": "alice-id", "task": before.json()}
    after = alice.get(f"/api/tasks/{task['id']}")
    assert after.json() == before.json()
    assert after["ETag"] == before["ETag"]
    assert alice.get("/api/tasks/changes", {"cursor": feed["cursor"]}).json()["changed"] == []
    # One reminder for one remind_at.
    assert make_due_reminders() == 0
    assert not Task.objects.get(pk=task["id"]).reminder_armed


def test_a_reminder_waits_for_its_time(alice):
    remind_at = datetime.now(UTC) + timedelta(hours=1)
    create(alice, remind_at=rfc3339(remind_at))
    assert make_due_reminders() == 0
    assert make_due_reminders(now=remind_at + timedelta(seconds=1)) == 1


def test_completed_and_deleted_tasks_are_not_reminded(alice):
    completed = create(alice, remind_at=rfc3339(ago(seconds=1)))
    deleted = create(alice, remind_at=rfc3339(ago(seconds=1)))
    alice.patch(f"/api/tasks/{completed['id']}/complete")
    alice.delete(f"/api/tasks/{deleted['id']}")
    assert make_due_reminders() == 0
    assert reminders() == []


def test_a_remind_at_already_long_past_when_set_makes_no_reminder(alice, settings):
    settings.REMINDER_GRACE_SECONDS = 300
    create(alice, remind_at=rfc3339(ago(minutes=10)))
    assert make_due_reminders() == 0


def test_a_new_remind_at_arms_it_again(alice):
    task = create(alice, remind_at=rfc3339(ago(seconds=5)))
    assert make_due_reminders() == 1
    alice.patch(f"/api/tasks/{task['id']}", {"remind_at": rfc3339(ago(seconds=1))}, format="json")
    assert make_due_reminders() == 1
    first, second = reminders()
    assert (
        json.loads(second.data)["task"]["remind_at"] != json.loads(first.data)["task"]["remind_at"]
    )
    assert second.sequence > first.sequence


def test_the_next_occurrence_of_a_recurring_task_is_reminded_in_its_turn(alice):
    due = datetime.now(UTC) + timedelta(hours=1)
    task = create(
        alice,
        due_at=rfc3339(due),
        remind_at=rfc3339(due - timedelta(minutes=30)),
        recurrence={"frequency": "daily"},
    )
    next_id = alice.patch(f"/api/tasks/{task['id']}/complete").json()["next_occurrence_id"]
    assert make_due_reminders(now=due + timedelta(days=1)) == 1
    assert [reminder.task_id for reminder in reminders()] == [next_id]


def test_reminders_come_after_the_changes_before_them_in_the_owners_order(alice):
    task = create(alice, remind_at=rfc3339(ago(seconds=1)))
    alice.patch(f"/api/tasks/{task['id']}", {"title": "Call mum today"}, format="json")
    make_due_reminders()
    alice.patch(f"/api/tasks/{task['id']}", {"title": "Call mum now"}, format="json")
    events = Event.objects.filter(owner_id="alice-id").order_by("sequence", "pk")
    assert [event.type for event in events] == [
        "todo.task.created",
        "todo.task.updated",
        "todo.task.reminder",
        "todo.task.updated",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one at a time")
def test_a_reminder_waits_for_a_write_under_way_and_takes_its_number(alice):
    """A reminder made while a write holds the owner's lock comes after that write."""
    task = create(alice, remind_at=rfc3339(ago(seconds=1)))
    holding, release = threading.Event(), threading.Event()

    def write():
        try:
            with transaction.atomic():
                services.task_update(owner_id="alice-id", task_id=task["id"], data={"title": "x"})
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert holding.wait(10)
    threading.Timer(0.3, release.set).start()
    assert make_due_reminders() == 1
    writer.join()
    updated = Event.objects.get(type=EventType.UPDATED)
    [reminder] = reminders()
    # The write's number or a later one it took (the counter's last), never an earlier one.
    assert reminder.sequence >= updated.sequence
    assert reminder.sequence == ChangeCounter.objects.get(user_id="alice-id").last_seq
    assert reminder.pk > updated.pk
    assert json.loads(reminder.data)["task"]["title"] == "x"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_scan_for_due_reminders_reads_only_the_partial_index(add_task):
    for n in range(200):
        add_task("alice-id", f"task {n}")
    due = Task.objects.filter(reminder_armed=True, completed=False, remind_at__lte=ago(seconds=0))
    sql, params = due.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "task_reminder_due_idx" in plan
