"""
The one thing the request path does with events: write them to the outbox,
inside the transaction of the change they tell of. Delivery is the worker's
(``manage.py relay_events``); nothing here talks to a sink.

On PostgreSQL the task writes insert their event in the write's own
statement (tasks/writes.py); these functions serve the other paths (SQLite,
the admin) and say what an event holds.
"""

import json

from django.conf import settings

from .models import Event, EventType


def is_enabled() -> bool:
    """Events are written while at least one sink is configured to receive them."""
    return bool(settings.EVENTS_REDIS_URL or settings.WEBHOOK_URLS)


def task_changed(task, *, created: bool = False, completed: bool = False) -> None:
    """The event of a task's change: created, completed (it became so) or updated."""
    if not is_enabled():
        return
    from tasks.serializers import represent_task

    if created:
        event_type = EventType.CREATED
    elif completed:
        event_type = EventType.COMPLETED
    else:
        event_type = EventType.UPDATED
    Event.objects.create(
        owner_id=task.owner_id,
        type=event_type,
        task_id=task.pk,
        sequence=task.change_seq,
        time=task.updated_at,
        data=event_data(task.owner_id, represent_task(task)),
    )


def task_deleted(tombstone) -> None:
    if not is_enabled():
        return
    Event.objects.create(
        owner_id=tombstone.owner_id,
        type=EventType.DELETED,
        task_id=tombstone.task_id,
        sequence=tombstone.change_seq,
        time=tombstone.deleted_at,
        data=event_data(tombstone.owner_id, {"id": tombstone.task_id}),
    )


def event_data(owner_id: str, task: dict) -> str:
    return json.dumps(
        {"user_id": owner_id, "task": task}, separators=(",", ":"), ensure_ascii=False
    )
