"""
Reminders: one ``todo.task.reminder`` event for each pending task whose armed
``remind_at`` has passed, made by the worker and put in the outbox like any
other event.

A reminder is not a change of the task: its updated_at, change number and
ETag stay. Its sequence is the owner's last change number, read under the
owner's change lock, which every write of the owner's tasks takes first: so
no write can come between the number and the reminder's place in the outbox,
and the owner's events stay in order.
"""

from django.db import transaction
from django.utils import timezone

from tasks.models import ChangeCounter, Task
from tasks.serializers import represent_task

from . import outbox
from .models import Event, EventType

REMINDERS_PER_ROUND = 100


def make_due_reminders(now=None) -> int:
    """The reminders due by ``now``, each in a transaction of its own; how many were made."""
    now = now or timezone.now()
    due = (
        # The partial index task_reminder_due_idx holds exactly these tasks.
        Task.objects.filter(reminder_armed=True, completed=False, remind_at__lte=now)
        .order_by("remind_at")
        .values_list("pk", "owner_id")[:REMINDERS_PER_ROUND]
    )
    made = 0
    for task_id, owner_id in list(due):
        with transaction.atomic():
            made += make_reminder(owner_id, task_id, now)
    return made


def make_reminder(owner_id: str, task_id: int, now) -> bool:
    """The task's reminder and its disarming, unless a write got there first."""
    sequence = last_change_locked(owner_id)
    # Read again under the lock: the task may have been completed, deleted,
    # given another remind_at, or reminded by another worker meanwhile.
    task = Task.objects.owned(owner_id, task_id)
    if task is None or not task.reminder_armed or task.completed or task.remind_at > now:
        return False
    Task.objects.filter(pk=task.pk).update(reminder_armed=False)
    Event.objects.create(
        owner_id=owner_id,
        type=EventType.REMINDER,
        task_id=task.pk,
        sequence=sequence,
        time=timezone.now(),
        data=outbox.event_data(owner_id, represent_task(task)),
    )
    return True


def last_change_locked(owner_id: str) -> int:
    """
    The owner's last change number, with the owner's change lock held until
    commit (on SQLite the transaction, BEGIN IMMEDIATE, holds the one write
    lock instead, and Django leaves FOR UPDATE out).
    """
    counter = ChangeCounter.objects.select_for_update().filter(user_id=owner_id)
    return counter.values_list("last_seq", flat=True).first() or 0
