"""
Writes with side effects: completing a recurring task makes its next
occurrence, deleting an occurrence unlinks it from the task it came from.
Every API route, bulk or single, and the admin write through these, inside
the caller's transaction.
"""

from django.utils import timezone

from .models import Task
from .recurrence import next_due


def task_create(*, owner, data: dict) -> Task:
    task = Task(owner=owner, **data)
    # A task created completed makes no occurrence.
    task.save()
    return task


def task_update(*, task: Task, changes: dict) -> Task:
    """Writes the fields whose value changes, and nothing at all when none does."""
    changed = [field for field, value in changes.items() if getattr(task, field) != value]
    if not changed:
        return task
    for field in changed:
        setattr(task, field, changes[field])
    if "completed" in changed and task.completed and make_next_occurrence(task):
        changed.append("next_occurrence")
    task.save(update_fields=changed)
    return task


def task_set_completed(*, task: Task, completed: bool) -> Task:
    return task_update(task=task, changes={"completed": completed})


def make_next_occurrence(task: Task) -> Task | None:
    """
    The task's next occurrence, made when a recurring task is completed and
    has none yet: at most one per task, however often it is reopened and
    completed again. None for a task that does not recur, or whose series ends.
    """
    if task.recurrence_frequency is None or task.next_occurrence_id is not None:
        return None
    due_at = next_due(task.due_at, task.recurrence_frequency, task.recurrence_interval)
    if due_at is None:
        return None
    occurrence = Task(
        owner_id=task.owner_id,
        title=task.title,
        description=task.description,
        priority=task.priority,
        tags=list(task.tags),
        recurrence_frequency=task.recurrence_frequency,
        recurrence_interval=task.recurrence_interval,
        due_at=due_at,
    )
    occurrence.save()
    task.next_occurrence = occurrence
    return occurrence


def task_delete(*, task: Task) -> None:
    """Deletes the task; the task it was the next occurrence of changes (and can recur again)."""
    Task.objects.filter(next_occurrence_id=task.pk).update(
        next_occurrence=None, updated_at=timezone.now()
    )
    task.delete()
