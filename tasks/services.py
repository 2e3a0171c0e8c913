"""
Writes with side effects: completing a recurring task makes its next
occurrence; deleting a task leaves a tombstone for the changes feed and
unlinks it from the task it recurred from. Every API route, bulk or single,
and the admin write through these, inside the caller's transaction, and
after taking the owner's change lock (ChangeCounter.objects.reserve) before
reading what they change: one writer at a time per user, so a check and the
write it guards (If-Match, "no occurrence yet") are one step.
"""

from django.utils import timezone

from .models import ChangeCounter, Task, Tombstone
from .recurrence import next_due


def reserve(owner_id: str, count: int = 1) -> int:
    return ChangeCounter.objects.reserve(owner_id, count)


def task_create(*, owner, data: dict) -> Task:
    task = Task(owner=owner, **data)
    # A task created completed makes no occurrence.
    task.save()
    return task


def task_update(*, task: Task, changes: dict, change_seq: int) -> Task:
    """Writes the fields whose value changes, and nothing at all when none does."""
    changed = [field for field, value in changes.items() if getattr(task, field) != value]
    if not changed:
        return task
    for field in changed:
        setattr(task, field, changes[field])
    if "completed" in changed and task.completed and make_next_occurrence(task):
        changed.append("next_occurrence")
    task.save(update_fields=changed, change_seq=change_seq)
    return task


def task_set_completed(*, task: Task, completed: bool, change_seq: int) -> Task:
    return task_update(task=task, changes={"completed": completed}, change_seq=change_seq)


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


# Ids per statement: bound on the server, a PostgreSQL statement takes at
# most 65,535 parameters, and "clear completed" has no upper bound.
IDS_PER_STATEMENT = 5000


def tasks_delete(*, owner_id: str, task_ids: list[int]) -> int:
    """
    Deletes these tasks of the owner, each leaving a tombstone. A task that
    one of them was the next occurrence of changes (and can recur again).
    """
    if not task_ids:
        return 0
    chunks = [
        task_ids[start : start + IDS_PER_STATEMENT]
        for start in range(0, len(task_ids), IDS_PER_STATEMENT)
    ]
    deleting = set(task_ids)
    previous = [
        task
        for chunk in chunks
        for task in Task.objects.filter(next_occurrence_id__in=chunk)
        if task.pk not in deleting
    ]
    first = reserve(owner_id, len(previous) + len(task_ids))
    for number, task in enumerate(previous, start=first):
        task.next_occurrence = None
        task.save(update_fields=["next_occurrence"], change_seq=number)
    now = timezone.now()
    Tombstone.objects.bulk_create(
        (
            Tombstone(owner_id=owner_id, task_id=task_id, change_seq=number, deleted_at=now)
            for number, task_id in enumerate(task_ids, start=first + len(previous))
        ),
        batch_size=IDS_PER_STATEMENT,
    )
    for chunk in chunks:
        Task.objects.filter(owner_id=owner_id, pk__in=chunk).delete()
    return len(task_ids)
