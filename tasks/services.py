"""
The task writes, for every caller: the REST views, the MCP tools and the
admin. Each takes what the client sent (a body not yet validated, the
``If-Match`` header) and keeps the contract's order of checks: the task's
owner and existence (403, 404), then ``If-Match`` (412), then the body (422).

Side effects live here too: completing a recurring task makes its next
occurrence; deleting a task leaves a tombstone for the changes feed and
unlinks it from the task it recurred from; every change writes its event
to the outbox (events/outbox.py) in the same transaction.

Each write first takes the owner's change lock (ChangeCounter.objects.reserve)
and reads what it changes under it: one writer at a time per user, so a
check and the write it guards (If-Match, "no occurrence yet") are one step.
On PostgreSQL each write is one statement that does all of this
(tasks/writes.py); elsewhere (SQLite) it is a transaction of several.
"""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError

from events import outbox

from . import writes
from .conditional import PreconditionFailed, check_if_match, if_match_numbers, task_etag
from .models import ChangeCounter, Task, Tombstone
from .recurrence import next_due

# Task ids are 64-bit; a longer number names no task (and must not reach SQL).
MAX_TASK_ID = 2**63 - 1


def reserve(owner_id: str, count: int = 1) -> int:
    return ChangeCounter.objects.reserve(owner_id, count)


def missing(task_ids: list[int]) -> Exception:
    """403 when one of these ids is another user's task (unless hidden), else 404."""
    task_ids = [task_id for task_id in task_ids if 0 < task_id <= MAX_TASK_ID]
    if not settings.TASKS_HIDE_FOREIGN and Task.objects.filter(pk__in=task_ids).exists():
        return PermissionDenied("This task belongs to another user.")
    return NotFound("No such task.")


def task_read(*, owner_id: str, task_id: int) -> Task:
    task = Task.objects.owned(owner_id, task_id)
    if task is None:
        raise missing([task_id])
    return task


def task_create(*, owner, data) -> Task:
    """A new task of ``owner`` from a body not yet validated."""
    serializer = task_serializer(data=data)
    serializer.is_valid(raise_exception=True)
    return task_insert(owner=owner, data=serializer.validated_data)


def new_task(owner, data: dict) -> Task:
    """The unsaved task, with what the server sets: timestamps, completed_at, the reminder."""
    task = Task(owner=owner, **data)
    now = timezone.now()
    task.created_at = task.updated_at = now
    task.completed_at = now if task.completed else None
    task.arm_reminder(now)
    return task


def task_insert(*, owner, data: dict) -> Task:
    """A new task from validated data. A task created completed makes no occurrence."""
    task = new_task(owner, data)
    if writes.in_one_statement():
        return writes.create(task)
    if not outbox.is_enabled():
        # save() takes the change number and inserts in a transaction of its own.
        task.save()
        return task
    with transaction.atomic():
        task.save()
        outbox.task_changed(task, created=True)
    return task


def task_update(*, owner_id: str, task_id: int, data, if_match: str | None = None) -> Task:
    """
    PUT and PATCH: the fields the body names change, the others keep their
    values. ``data`` is the body, or a function that parses it (a request's
    ``request.data``), so that a malformed body is told after a 412.
    """
    if writes.in_one_statement():
        serializer = valid_body(
            lambda: task_serializer(data=body_of(data), partial=True), owner_id, task_id, if_match
        )
        return write_one(owner_id, task_id, serializer.validated_data, if_match, data)
    with transaction.atomic():
        task, change_seq = locked_task(owner_id, task_id, if_match)
        serializer = task_serializer(task, data=body_of(data), partial=True)
        serializer.is_valid(raise_exception=True)
        apply_changes(task, serializer.validated_data, change_seq)
    return task


def task_complete(*, owner_id: str, task_id: int, data, if_match: str | None = None) -> Task:
    """No ``completed`` in the body flips it; ``{"completed": true/false}`` sets it."""
    from .serializers import CompletionSerializer

    if writes.in_one_statement():
        body = valid_body(
            lambda: CompletionSerializer(data=body_of(data), partial=True),
            owner_id,
            task_id,
            if_match,
        )
        completed = body.validated_data.get("completed", writes.FLIP)
        return write_one(owner_id, task_id, {"completed": completed}, if_match, data)
    with transaction.atomic():
        task, change_seq = locked_task(owner_id, task_id, if_match)
        body = CompletionSerializer(data=body_of(data), partial=True)
        body.is_valid(raise_exception=True)
        completed = body.validated_data.get("completed", not task.completed)
        apply_changes(task, {"completed": completed}, change_seq)
    return task


def task_delete(*, owner_id: str, task_id: int, if_match: str | None = None) -> Task:
    """Deletes the task and answers it as it was."""
    if writes.in_one_statement():
        rows = writes.delete(
            owner_id,
            now=timezone.now(),
            task_id=task_id,
            if_match=if_match_numbers(if_match, task_id),
        )
        return the_one_written(rows, task_id)
    with transaction.atomic():
        task, _ = locked_task(owner_id, task_id, if_match, count=0)
        delete_tasks(owner_id, [task.pk])
    return task


def tasks_set_completed(*, owner_id: str, task_ids: list[int], completed: bool) -> list[Task]:
    """The bulk update: every one of these tasks, in one transaction, or none (403, 404)."""
    if writes.in_one_statement():
        if not all(0 < task_id <= MAX_TASK_ID for task_id in task_ids):
            raise NotFound("No such task.")
        rows = writes.update(owner_id, task_ids, {"completed": completed}, now=timezone.now())
        found = {row.task.pk: row.task for row in rows}
        absent = [task_id for task_id in task_ids if task_id not in found]
        if absent:
            raise missing(absent)
        return [found[task_id] for task_id in task_ids]
    with transaction.atomic():
        first = reserve(owner_id, len(task_ids))
        valid = [task_id for task_id in task_ids if 0 < task_id <= MAX_TASK_ID]
        found = {task.pk: task for task in Task.objects.filter(owner_id=owner_id, pk__in=valid)}
        absent = [task_id for task_id in task_ids if task_id not in found]
        if absent:
            raise missing(absent)
        for number, task_id in enumerate(task_ids, start=first):
            apply_changes(found[task_id], {"completed": completed}, number)
    return [found[task_id] for task_id in task_ids]


def tasks_clear_completed(*, owner_id: str, tasks) -> int:
    """Deletes the owner's completed tasks among ``tasks`` (a queryset of theirs)."""
    if writes.in_one_statement():
        try:
            selected = tasks.filter(completed=True).values("pk").query.sql_with_params()
        except EmptyResultSet:
            return 0
        rows = writes.delete(owner_id, now=timezone.now(), completed_among=selected)
        return len(rows)
    with transaction.atomic():
        reserve(owner_id, 0)
        task_ids = list(tasks.filter(completed=True).values_list("pk", flat=True))
        return delete_tasks(owner_id, task_ids)


def body_of(data):
    return data() if callable(data) else data


def valid_body(make_serializer, owner_id: str, task_id: int, if_match: str | None):
    """
    The body's serializer, validated before the write's one statement. When
    the body is bad (400, 415, 422), the task's owner, existence and If-Match
    are still told first, at the cost of a read on this error path.
    """
    try:
        serializer = make_serializer()
        serializer.is_valid(raise_exception=True)
    except APIException:
        task = task_read(owner_id=owner_id, task_id=task_id)
        check_if_match(if_match, task_etag(task))
        raise
    return serializer


def write_one(owner_id: str, task_id: int, changes: dict, if_match: str | None, data) -> Task:
    """Writes validated ``changes`` to one task in one statement (tasks/writes.py)."""
    if not changes:
        # Nothing to write: the checks alone, as a read.
        task = task_read(owner_id=owner_id, task_id=task_id)
        check_if_match(if_match, task_etag(task))
        return task
    rows = writes.update(
        owner_id,
        [task_id],
        changes,
        now=timezone.now(),
        if_match=if_match_numbers(if_match, task_id),
    )
    task = the_one_written(rows, task_id)
    if rows[0].outcome == "undated":
        raise undated(changes, body_of(data))
    return task


def the_one_written(rows: list, task_id: int) -> Task:
    """The task a one-statement write answered; 403, 404 or 412 when it wrote nothing."""
    if not rows:
        raise missing([task_id])
    (row,) = rows
    if row.outcome == "stale":
        raise PreconditionFailed(task_etag(row.task))
    return row.task


def undated(changes: dict, body) -> ValidationError:
    """A recurring task without a due date, named as the request made it so."""
    if changes.get("recurrence_frequency") is not None:
        return ValidationError({"recurrence": ["A recurring task needs a due_at."]})
    name = "due_date" if "due_date" in body and "due_at" not in body else "due_at"
    return ValidationError(
        {name: [f"A recurring task needs a {name}: clear its recurrence first."]}
    )


def task_serializer(*args, **kwargs):
    from .serializers import TaskSerializer

    return TaskSerializer(*args, **kwargs)


def locked_task(owner_id: str, task_id: int, if_match: str | None, count: int = 1):
    """
    The owner's change lock and ``count`` change numbers, then the task read
    under it (403, 404) and checked against ``If-Match`` (412).
    """
    task, change_seq = Task.objects.lock_owned(owner_id, task_id, count)
    if task is None:
        raise missing([task_id])
    check_if_match(if_match, task_etag(task))
    return task, change_seq


def apply_changes(task: Task, changes: dict, change_seq: int) -> Task:
    """Writes the fields whose value changes, and nothing at all when none does."""
    changed = [field for field, value in changes.items() if getattr(task, field) != value]
    if not changed:
        return task
    was_completed = task.completed
    for field in changed:
        setattr(task, field, changes[field])
    if "remind_at" in changed:
        task.arm_reminder(timezone.now())
        changed.append("reminder_armed")
    occurrence = None
    if "completed" in changed and task.completed:
        occurrence = make_next_occurrence(task)
        if occurrence is not None:
            changed.append("next_occurrence")
    task.save(update_fields=changed, change_seq=change_seq)
    outbox.task_changed(task, completed=task.completed and not was_completed)
    if occurrence is not None:
        outbox.task_changed(occurrence, created=True)
    return task


def make_next_occurrence(task: Task) -> Task | None:
    """
    The task's next occurrence, made when a recurring task is completed and
    has none yet: at most one per task, however often it is reopened and
    completed again. None for a task that does not recur, or whose series
    ends. Its change number follows the completion's.
    """
    if task.recurrence_frequency is None or task.next_occurrence_id is not None:
        return None
    due_at = next_due(task.due_at, task.recurrence_frequency, task.recurrence_interval)
    if due_at is None:
        return None
    remind_at = None if task.remind_at is None else task.remind_at + (due_at - task.due_at)
    occurrence = Task(
        owner_id=task.owner_id,
        title=task.title,
        description=task.description,
        priority=task.priority,
        tags=list(task.tags),
        recurrence_frequency=task.recurrence_frequency,
        recurrence_interval=task.recurrence_interval,
        due_at=due_at,
        remind_at=remind_at,
    )
    occurrence.arm_reminder(timezone.now())
    occurrence.save()
    task.next_occurrence = occurrence
    return occurrence


# Ids per statement: bound on the server, a PostgreSQL statement takes at
# most 65,535 parameters, and "clear completed" has no upper bound.
IDS_PER_STATEMENT = 5000


def delete_tasks(owner_id: str, task_ids: list[int]) -> int:
    """
    Deletes these tasks of the owner, each leaving a tombstone, under the
    owner's change lock. A task that one of them was the next occurrence of
    changes (and can recur again).
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
        outbox.task_changed(task)
    now = timezone.now()
    tombstones = [
        Tombstone(owner_id=owner_id, task_id=task_id, change_seq=number, deleted_at=now)
        for number, task_id in enumerate(task_ids, start=first + len(previous))
    ]
    Tombstone.objects.bulk_create(tombstones, batch_size=IDS_PER_STATEMENT)
    for tombstone in tombstones:
        outbox.task_deleted(tombstone)
    for chunk in chunks:
        Task.objects.filter(owner_id=owner_id, pk__in=chunk).delete()
    return len(task_ids)
