"""
Every committed change of a task writes its event to the outbox in the same
transaction (on PostgreSQL in the write's one statement): one event per
change, of the right type, numbered with the owner's change number, holding
the task as the API answers it. Nothing for a write that changed nothing,
failed or rolled back; nothing while no sink is configured.
"""

import json
import uuid

import pytest
from django.db import transaction

from events.models import Event
from tasks import services

pytestmark = pytest.mark.django_db

RECURRING = {
    "title": "Water the plants",
    "due_at": "2026-12-04T17:00:00Z",
    "remind_at": "2026-12-04T16:00:00Z",
    "recurrence": {"frequency": "weekly"},
}


@pytest.fixture(autouse=True)
def a_sink(settings):
    settings.WEBHOOK_URLS = ["http://127.0.0.1:9/hook"]


def events() -> list[tuple[str, int]]:
    return [(event.type, event.task_id) for event in Event.objects.order_by("sequence", "id")]


def create(client, body):
    response = client.post("/api/tasks", body, format="json")
    assert response.status_code == 201
    return response.json()


def test_a_create_is_a_created_event_holding_the_task(alice):
    task = create(alice, {"title": "Buy milk", "tags": ["Home"]})
    (event,) = Event.objects.all()
    assert event.type == "todo.task.created"
    assert event.owner_id == "alice-id"
    assert event.task_id == task["id"]
    assert json.loads(event.data) == {"user_id": "alice-id", "task": task}
    assert isinstance(event.event_id, uuid.UUID)
    answer = alice.get(f"/api/tasks/{task['id']}")
    assert event.sequence == int(answer["ETag"].strip('"').split("-")[1])
    assert event.time.isoformat().replace("+00:00", "Z") == task["updated_at"]


def test_a_change_is_an_updated_event_with_the_task_after_it(alice):
    task = create(alice, {"title": "Buy milk"})
    changed = alice.patch(f"/api/tasks/{task['id']}", {"title": "Buy oat milk"}, format="json")
    assert events() == [("todo.task.created", task["id"]), ("todo.task.updated", task["id"])]
    assert json.loads(Event.objects.latest("sequence").data)["task"] == changed.json()


def test_completing_is_one_completed_event_and_reopening_an_updated_one(alice):
    task = create(alice, {"title": "Buy milk"})
    alice.patch(f"/api/tasks/{task['id']}/complete")
    alice.patch(f"/api/tasks/{task['id']}/complete")
    assert [kind for kind, _ in events()] == [
        "todo.task.created",
        "todo.task.completed",
        "todo.task.updated",
    ]


def test_completing_a_recurring_task_also_announces_its_next_occurrence(alice):
    task = create(alice, RECURRING)
    done = alice.patch(f"/api/tasks/{task['id']}/complete").json()
    occurrence = alice.get(f"/api/tasks/{done['next_occurrence_id']}").json()
    assert events() == [
        ("todo.task.created", task["id"]),
        ("todo.task.completed", task["id"]),
        ("todo.task.created", occurrence["id"]),
    ]
    created = Event.objects.filter(task_id=occurrence["id"]).get()
    assert json.loads(created.data)["task"] == occurrence
    assert occurrence["remind_at"] == "2026-12-11T16:00:00Z"


def test_the_sequence_grows_with_every_change_of_the_owner(alice):
    task = create(alice, RECURRING)
    alice.patch(f"/api/tasks/{task['id']}", {"title": "x"}, format="json")
    alice.patch(f"/api/tasks/{task['id']}/complete")
    alice.delete(f"/api/tasks/{task['id']}")
    sequences = list(Event.objects.order_by("id").values_list("sequence", flat=True))
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)


def test_a_delete_is_a_deleted_event_with_only_the_id(alice):
    task = create(alice, {"title": "Buy milk"})
    alice.delete(f"/api/tasks/{task['id']}")
    event = Event.objects.latest("sequence")
    assert event.type == "todo.task.deleted"
    assert json.loads(event.data) == {"user_id": "alice-id", "task": {"id": task["id"]}}


def test_deleting_an_occurrence_announces_the_task_it_came_from(alice):
    task = create(alice, RECURRING)
    occurrence_id = alice.patch(f"/api/tasks/{task['id']}/complete").json()["next_occurrence_id"]
    alice.delete(f"/api/tasks/{occurrence_id}")
    assert events()[-2:] == [
        ("todo.task.updated", task["id"]),
        ("todo.task.deleted", occurrence_id),
    ]
    unlinked = json.loads(Event.objects.filter(task_id=task["id"]).latest("sequence").data)
    assert unlinked["task"]["next_occurrence_id"] is None


def test_the_bulk_update_and_clear_are_one_event_per_task_changed(alice):
    ids = [create(alice, {"title": f"t{n}"})["id"] for n in range(3)]
    alice.patch(f"/api/tasks/{ids[0]}/complete")
    Event.objects.all().delete()
    alice.patch("/api/tasks", {"ids": ids, "completed": True}, format="json")
    assert sorted(events()) == [("todo.task.completed", ids[1]), ("todo.task.completed", ids[2])]
    Event.objects.all().delete()
    assert alice.delete("/api/tasks?status=completed").json() == {"deleted": 3}
    assert sorted(events()) == [("todo.task.deleted", task_id) for task_id in ids]


def test_a_write_that_changes_nothing_makes_no_event(alice):
    task = create(alice, {"title": "Buy milk"})
    alice.patch(f"/api/tasks/{task['id']}", {"title": "Buy milk"}, format="json")
    alice.patch(f"/api/tasks/{task['id']}/complete", {"completed": False}, format="json")
    assert events() == [("todo.task.created", task["id"])]


def test_a_failed_write_makes_no_event(alice, bob):
    task = create(alice, {"title": "Buy milk"})
    stale = {"HTTP_IF_MATCH": '"0-0"'}
    answers = [
        alice.patch(f"/api/tasks/{task['id']}", {"title": "x"}, format="json", **stale),
        alice.delete(f"/api/tasks/{task['id']}", **stale),
        alice.patch(f"/api/tasks/{task['id']}", {"title": ""}, format="json"),
        alice.patch(f"/api/tasks/{task['id']}", {"due_at": "soon"}, format="json"),
        bob.patch(f"/api/tasks/{task['id']}", {"title": "x"}, format="json"),
        alice.post("/api/tasks", {"title": ""}, format="json"),
    ]
    assert [answer.status_code for answer in answers] == [412, 412, 422, 422, 403, 422]
    assert events() == [("todo.task.created", task["id"])]


def test_a_recurring_task_left_without_a_due_date_makes_no_event(alice):
    task = create(alice, RECURRING)
    response = alice.patch(f"/api/tasks/{task['id']}", {"due_at": None}, format="json")
    assert response.status_code == 422
    assert events() == [("todo.task.created", task["id"])]


def test_a_rolled_back_write_leaves_no_event(alice):
    task = create(alice, {"title": "Buy milk"})
    with pytest.raises(RuntimeError), transaction.atomic():
        services.task_update(owner_id="alice-id", task_id=task["id"], data={"title": "gone"})
        assert len(events()) == 2
        raise RuntimeError("the rest of the request failed")
    assert events() == [("todo.task.created", task["id"])]
    assert alice.get(f"/api/tasks/{task['id']}").json()["title"] == "Buy milk"


def test_without_a_sink_no_event_is_written(alice, settings):
    settings.WEBHOOK_URLS = []
    settings.EVENTS_REDIS_URL = ""
    task = create(alice, {"title": "Buy milk"})
    alice.patch(f"/api/tasks/{task['id']}/complete")
    alice.delete(f"/api/tasks/{task['id']}")
    assert events() == []
