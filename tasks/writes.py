"""
Each task write as one PostgreSQL statement: one round trip to a database
that may be across a network (Neon), where BEGIN, a lock, a read, the write
and COMMIT would each cost one.

Every statement keeps the guarantees the multi-statement path of
tasks/services.py keeps on SQLite, and says where:

- The owner's change lock comes first: the ``counter`` CTE upserts the
  owner's ChangeCounter row, which stays locked until the statement's
  transaction commits, and reserves the change numbers the write may use
  (unused ones leave gaps, which the changes feed allows). So the owner's
  writes take their numbers and commit one after another, and a reader that
  sees number N sees every change below it.
- The rows to change are read after that lock and locked themselves: the
  ``old`` CTE is ``SELECT ... FOR UPDATE`` gated by a one-time filter on the
  counter, so PostgreSQL evaluates the counter first. Its snapshot is the
  statement's, taken before the lock was waited for, but FOR UPDATE returns
  the newest version of each row (READ COMMITTED re-checks a row another
  transaction changed meanwhile), so the write is decided on the row as it
  is now: an ``If-Match`` that another write made stale is a 412, a second
  completion finds the next occurrence the first one made.
- Each part then depends on the one before it through the data it uses, so
  a failed check (412, no such task) changes nothing.
- The event of each change (events/) is inserted by the same statement, so
  an event exists if and only if its change committed.

A statement that finds no task cannot tell another user's task from none
without reading it: that costs the error path a second statement
(services.missing), as does a body that fails validation (the order of
checks puts 404, 403 and 412 before 422).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from events import outbox
from todo_project.rows import instance_from_row, select_list

from .models import Task
from .rendering import task_json

# Casts for the parameters of changed fields: with server-side binding a
# parameter used in more than one place must have one declared type.
CASTS = {
    "title": "text",
    "description": "text",
    "completed": "boolean",
    "priority": "text",
    "due_at": "timestamptz",
    "tags": "jsonb",
    "recurrence_frequency": "text",
    "recurrence_interval": "integer",
    "remind_at": "timestamptz",
}
# A series ends where its next due date would pass the year 9999, as in
# tasks/recurrence.py.
END_OF_TIME = "'10000-01-01 00:00:00+00'::timestamptz"
FLIP = object()


def in_one_statement() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class Row:
    """A task a statement answered, and what the statement did with it."""

    outcome: str  # changed, unchanged, stale (If-Match), undated (recurrence needs due_at)
    task: Task


def run(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def counter_cte(count_sql: str) -> str:
    """
    The owner's change lock and ``count`` new change numbers, from ``first``.
    It commits with the statement: see the module's docstring.
    """
    return (
        f"needed AS (SELECT ({count_sql})::bigint AS count), "
        "counter AS ("
        "INSERT INTO tasks_changecounter (user_id, last_seq, purged_seq) "
        "VALUES (%(owner)s::text, (SELECT count FROM needed), 0) "
        "ON CONFLICT (user_id) DO UPDATE "
        "SET last_seq = tasks_changecounter.last_seq + excluded.last_seq "
        "RETURNING last_seq - (SELECT count FROM needed) + 1 AS first)"
    )


# Reading (SELECT first FROM counter) in a WHERE clause makes PostgreSQL run
# the counter's upsert, and so take the lock, before it reads a task row.
AFTER_THE_LOCK = "(SELECT first FROM counter) IS NOT NULL"
FIRST = "(SELECT first FROM counter)"


def columns(alias: str) -> str:
    return select_list(Task, table=alias)


def tasks_from(rows, offset: int = 1) -> list[Task]:
    return [instance_from_row(Task, row[offset:]) for row in rows]


def event_data() -> str:
    """The event's ``data`` for the task row ``t``, as events/outbox.py writes it."""
    return f"""'{{"user_id":' || to_json(t.user_id)::text || ',"task":' || {task_json()} || '}}'"""


def events_cte(selects: list[str]) -> str:
    """The outbox rows of this statement's changes, when a sink is configured."""
    if not outbox.is_enabled() or not selects:
        return ""
    rows = " UNION ALL ".join(selects)
    return (
        ", events AS (INSERT INTO events_event "
        "(event_id, owner_id, type, task_id, sequence, time, data) "
        f"{rows} RETURNING 1)"
    )


def event_select(rows: str, event_type: str, data: str | None = None) -> str:
    """The outbox row of each task row in ``rows`` (a CTE), read as ``t``."""
    return (
        f"SELECT gen_random_uuid(), t.user_id, {event_type}, t.id, t.change_seq, %(now)s, "
        f"{data or event_data()} FROM {rows} AS t"
    )


def now_params(now: datetime) -> dict:
    grace = timedelta(seconds=settings.REMINDER_GRACE_SECONDS)
    return {"now": now, "arm_after": now - grace}


# Inserts -------------------------------------------------------------------

INSERTED = [
    "user_id",
    "title",
    "description",
    "completed",
    "completed_at",
    "priority",
    "due_at",
    "tags",
    "recurrence_frequency",
    "recurrence_interval",
    "remind_at",
    "reminder_armed",
    "created_at",
    "updated_at",
]


def new_task_params(task: Task) -> dict:
    """The parameters of a new task's columns, prepared as the ORM prepares them."""
    params = {}
    for name in INSERTED:
        field = Task._meta.get_field("owner" if name == "user_id" else name)
        params[f"new_{name}"] = field.get_db_prep_save(getattr(task, field.attname), connection)
    return params


INSERTED_CASTS = {
    "user_id": "text",
    "completed_at": "timestamptz",
    "reminder_armed": "boolean",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    **CASTS,
}


def new_values_sql() -> str:
    """A new task's values: the parameters of new_task_params."""
    return ", ".join(f"%(new_{name})s::{INSERTED_CASTS[name]} AS {name}" for name in INSERTED)


def create(task: Task) -> Task:
    """
    ``POST /api/tasks``: the owner's change number and the insert, and the
    event, in one statement. ``task`` is the unsaved task, its timestamps set.
    """
    sql = (
        f"WITH {counter_cte('1')}, "
        f"inserted AS (INSERT INTO tasks_task ({', '.join(INSERTED)}, change_seq) "
        f"SELECT {new_values_sql()}, first FROM counter RETURNING {columns('tasks_task')})"
        f"{events_cte([event_select('inserted', quote('todo.task.created'))])} "
        "SELECT 'changed', * FROM inserted"
    )
    params = {"owner": task.owner_id, **new_task_params(task), **now_params(task.created_at)}
    (row,) = run(sql, params)
    return tasks_from([row])[0]


@dataclass
class KeyedCreate:
    """A create with an Idempotency-Key: the new task, or the answer remembered for the key."""

    task: Task | None = None
    status: int | None = None
    body: str = ""
    etag: str = ""
    request_hash: str = ""


def create_once(task: Task, *, key: str, request_hash: str, expired_before: datetime):
    """
    ``POST /api/tasks`` with an ``Idempotency-Key``, in one statement: the
    key's row is claimed with the answer it will replay (the task as this
    statement writes it, rendered by the database as the list is), and the
    task is inserted only if the claim succeeded. The unique index, not a
    read before, stops a concurrent duplicate: a second request with the key
    waits for the first to commit, then finds the key taken. An expired key
    (older than 24 hours) is taken over.

    Returns the new task, or the earlier answer, or None when the key was
    taken by a request that committed while this one waited (its row is not
    in this statement's snapshot: tasks/idempotency.py reads it).
    """
    sql = f"""
        WITH {counter_cte("1")},
        t AS (
            SELECT nextval(pg_get_serial_sequence('tasks_task', 'id')) AS id,
                   {new_values_sql()},
                   NULL::bigint AS next_occurrence_id, first AS change_seq
            FROM counter
        ),
        claimed AS (
            INSERT INTO tasks_idempotencykey
                (owner_id, key, request_hash, status, body, etag, created_at)
            SELECT t.user_id, %(key)s::text, %(hash)s::text, 201, {task_json()},
                   '"' || t.id || '-' || t.change_seq || '"', %(now)s
            FROM t
            ON CONFLICT (owner_id, key) DO UPDATE
            SET request_hash = excluded.request_hash, status = excluded.status,
                body = excluded.body, etag = excluded.etag, created_at = excluded.created_at
            WHERE tasks_idempotencykey.created_at < %(expired_before)s
            RETURNING 1
        ),
        inserted AS (
            INSERT INTO tasks_task (id, {", ".join(INSERTED)}, change_seq)
            SELECT t.id, {", ".join(f"t.{name}" for name in INSERTED)}, t.change_seq
            FROM t WHERE EXISTS (SELECT 1 FROM claimed)
            RETURNING {columns("tasks_task")}
        ),
        earlier AS (
            SELECT status, body, etag, request_hash FROM tasks_idempotencykey
            WHERE owner_id = %(owner)s::text AND key = %(key)s::text
              AND created_at >= %(expired_before)s AND NOT EXISTS (SELECT 1 FROM claimed)
        )
        {events_cte([event_select("inserted", quote("todo.task.created"))])}
        SELECT 'changed', NULL::smallint, NULL, NULL, NULL, inserted.* FROM inserted
        UNION ALL
        SELECT 'earlier', status, body, etag, request_hash, {null_columns()} FROM earlier
    """
    params = {
        "owner": task.owner_id,
        "key": key,
        "hash": request_hash,
        "expired_before": expired_before,
        **new_task_params(task),
        **now_params(task.created_at),
    }
    rows = run(sql, params)
    if not rows:
        return None
    outcome, status, body, etag, earlier_hash, *_ = rows[0]
    if outcome == "changed":
        return KeyedCreate(task=tasks_from(rows, offset=5)[0])
    return KeyedCreate(status=status, body=body, etag=etag, request_hash=earlier_hash)


def null_columns() -> str:
    return ", ".join(["NULL"] * len(Task._meta.concrete_fields))


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Updates -------------------------------------------------------------------


def update(
    owner_id: str,
    task_ids: list[int],
    changes: dict,
    *,
    now: datetime,
    if_match: list[int] | None = None,
) -> list[Row]:
    """
    Writes ``changes`` (validated field values; ``completed`` may be FLIP) to
    these tasks of the owner, each only where a value differs, in one
    statement; the answer has a Row for each task found, in no order.

    Several ids are the bulk update, all or nothing: unless every one is
    found, nothing changes. ``if_match`` is the change numbers an If-Match
    header names for the one task (None: no header, or ``*``).
    """
    params = {
        "owner": owner_id,
        "ids": task_ids,
        "count": len(task_ids),
        "if_match": if_match,
        **now_params(now),
    }
    new = {}  # column -> the SQL of its new value, from old (the row as it is)
    for name, value in changes.items():
        if name == "completed" and value is FLIP:
            new[name] = "NOT old.completed"
            continue
        field = Task._meta.get_field(name)
        params[f"set_{name}"] = field.get_db_prep_save(value, connection)
        new[name] = f"%(set_{name})s::{CASTS[name]}"

    def value(name: str) -> str:
        return new.get(name, f"old.{name}")

    differs = " OR ".join(f"old.{name} IS DISTINCT FROM {sql}" for name, sql in new.items())
    matches = "(%(if_match)s::bigint[] IS NULL OR old.change_seq = ANY(%(if_match)s::bigint[]))"
    dated = f"({value('recurrence_frequency')} IS NULL OR {value('due_at')} IS NOT NULL)"
    position = "(array_position(%(ids)s::bigint[], old.id) - 1)"
    assignments = [f"{name} = {sql}" for name, sql in new.items()]
    assignments += ["updated_at = %(now)s", f"change_seq = {FIRST} + {position}"]
    if "completed" in new:
        completed = value("completed")
        assignments.append(
            f"completed_at = CASE WHEN {completed} THEN coalesce(old.completed_at, %(now)s) END"
        )
        # A recurring task that becomes completed and has no next occurrence
        # gets the id of the one the occurrences CTE makes: at most one per task.
        becomes_recurring_and_completed = (
            f"{completed} AND NOT old.completed AND old.next_occurrence_id IS NULL "
            f"AND {value('recurrence_frequency')} IS NOT NULL "
            f"AND {next_due(value)} < {END_OF_TIME}"
        )
        assignments.append(
            f"next_occurrence_id = CASE WHEN {becomes_recurring_and_completed} "
            "THEN nextval(pg_get_serial_sequence('tasks_task', 'id')) "
            "ELSE old.next_occurrence_id END"
        )
    if "remind_at" in new:
        params["arm"] = (
            changes["remind_at"] is not None and changes["remind_at"] >= (params["arm_after"])
        )
        assignments.append(
            f"reminder_armed = CASE WHEN old.remind_at IS DISTINCT FROM {value('remind_at')} "
            "THEN %(arm)s::boolean ELSE old.reminder_armed END"
        )

    occurrence_due = next_due(lambda name: f"u.{name}")
    events = events_cte(
        [
            event_select(
                "updated",
                "CASE WHEN t.completed AND NOT t.was_completed "
                "THEN 'todo.task.completed' ELSE 'todo.task.updated' END",
            ),
            event_select("occurrences", quote("todo.task.created")),
        ]
    )
    sql = f"""
        WITH {counter_cte("2 * %(count)s::integer")},
        old AS (
            SELECT {columns("t")} FROM tasks_task t
            WHERE t.id = ANY(%(ids)s::bigint[]) AND t.user_id = %(owner)s::text
              AND {AFTER_THE_LOCK}
            ORDER BY t.id
            FOR UPDATE
        ),
        updated AS (
            UPDATE tasks_task SET {", ".join(assignments)}
            FROM old
            WHERE tasks_task.id = old.id
              AND (SELECT count(*) FROM old) = %(count)s::integer
              AND {matches} AND {dated} AND ({differs})
            RETURNING {columns("tasks_task")}, old.completed AS was_completed,
                      old.next_occurrence_id AS had_next, {position} AS position
        ),
        occurrences AS (
            INSERT INTO tasks_task (id, {", ".join(INSERTED)}, change_seq)
            SELECT u.next_occurrence_id, u.user_id, u.title, u.description, false, NULL,
                   u.priority, {occurrence_due}, u.tags, u.recurrence_frequency,
                   u.recurrence_interval, u.remind_at + ({occurrence_due} - u.due_at),
                   coalesce(u.remind_at + ({occurrence_due} - u.due_at) >= %(arm_after)s, false),
                   %(now)s, %(now)s, {FIRST} + %(count)s::integer + u.position
            FROM updated u
            WHERE u.next_occurrence_id IS NOT NULL AND u.had_next IS NULL
            RETURNING {columns("tasks_task")}
        )
        {events}
        SELECT 'changed', {columns("updated")} FROM updated
        UNION ALL
        SELECT CASE WHEN NOT {matches} THEN 'stale' WHEN NOT {dated} THEN 'undated'
                    ELSE 'unchanged' END, {columns("old")}
        FROM old WHERE old.id NOT IN (SELECT id FROM updated)
    """
    rows = run(sql, params)
    return [Row(outcome, task) for (outcome, *_), task in zip(rows, tasks_from(rows), strict=True)]


def next_due(value) -> str:
    """
    tasks/recurrence.py's next_due in SQL, of the columns ``value(name)``
    gives: PostgreSQL clamps month ends as it does, and the time of day is
    kept in UTC.
    """
    step = (
        f"CASE {value('recurrence_frequency')} "
        f"WHEN 'daily' THEN make_interval(days => {value('recurrence_interval')}) "
        f"WHEN 'weekly' THEN make_interval(weeks => {value('recurrence_interval')}) "
        f"WHEN 'monthly' THEN make_interval(months => {value('recurrence_interval')}) "
        f"ELSE make_interval(years => {value('recurrence_interval')}) END"
    )
    return f"(({value('due_at')} AT TIME ZONE 'UTC' + {step}) AT TIME ZONE 'UTC')"


# Deletes -------------------------------------------------------------------


def delete(
    owner_id: str,
    *,
    now: datetime,
    task_id: int | None = None,
    if_match: list[int] | None = None,
    completed_among: tuple[str, list] | None = None,
) -> list[Row]:
    """
    Deletes the owner's task ``task_id`` (unless If-Match names none of its
    change numbers), or all of the owner's completed tasks among the query
    ``completed_among`` (SQL selecting ids, and its parameters), in one
    statement. Each leaves a tombstone for the changes feed; a task that one
    of them was the next occurrence of is unlinked, a change of its own.

    The answer has a Row for each task found: "changed" for the deleted ones
    (as they were), "stale" for one that If-Match kept.
    """
    params = {"owner": owner_id, "if_match": if_match, **now_params(now)}
    if completed_among is None:
        selection = "t.id = %(id)s::bigint"
        params["id"] = task_id
        count = "2"
    else:
        selected_sql, selected_params = completed_among
        selected_sql = named(selected_sql, selected_params, params)
        # The candidates as the statement's snapshot has them; a task
        # reopened meanwhile drops out below, leaving unused numbers.
        selection = f"t.completed AND t.id IN ({selected_sql})"
        count = f"2 * (SELECT count(*) FROM ({selected_sql}) AS candidates)::integer"
    matches = "(%(if_match)s::bigint[] IS NULL OR old.change_seq = ANY(%(if_match)s::bigint[]))"
    deleted_data = (
        """'{"user_id":' || to_json(t.user_id)::text || ',"task":{"id":' || t.id || '}}'"""
    )
    events = events_cte(
        [
            event_select("unlinked", quote("todo.task.updated")),
            event_select("deleted", quote("todo.task.deleted"), data=deleted_data),
        ]
    )
    sql = f"""
        WITH {counter_cte(count)},
        old AS (
            SELECT {columns("t")} FROM tasks_task t
            WHERE {selection} AND t.user_id = %(owner)s::text AND {AFTER_THE_LOCK}
            ORDER BY t.id
            FOR UPDATE
        ),
        doomed AS (
            SELECT old.id, row_number() OVER (ORDER BY old.id) - 1 AS position
            FROM old WHERE {matches}
        ),
        unlinked AS (
            UPDATE tasks_task SET next_occurrence_id = NULL, updated_at = %(now)s,
                   change_seq = {FIRST} + doomed.position
            FROM doomed
            WHERE tasks_task.next_occurrence_id = doomed.id
              AND tasks_task.id NOT IN (SELECT id FROM doomed)
            RETURNING {columns("tasks_task")}
        ),
        deleted AS (
            DELETE FROM tasks_task USING doomed WHERE tasks_task.id = doomed.id
            RETURNING tasks_task.id, tasks_task.user_id,
                      {FIRST} + (SELECT count(*) FROM doomed) + doomed.position AS change_seq
        ),
        tombstones AS (
            INSERT INTO tasks_tombstone (owner_id, task_id, change_seq, deleted_at)
            SELECT deleted.user_id, deleted.id, deleted.change_seq, %(now)s FROM deleted
        )
        {events}
        SELECT CASE WHEN {matches} THEN 'changed' ELSE 'stale' END, {columns("old")} FROM old
    """
    rows = run(sql, params)
    return [Row(outcome, task) for (outcome, *_), task in zip(rows, tasks_from(rows), strict=True)]


PLACEHOLDER = re.compile(r"(?<!%)%s")


def named(sql: str, values, params: dict) -> str:
    """The ORM's positional SQL with named placeholders, its values added to ``params``."""
    names = iter(range(len(values)))

    def name(match) -> str:
        return f"%(orm_{next(names)})s"

    named_sql = PLACEHOLDER.sub(name, sql)
    for number, value in enumerate(values):
        params[f"orm_{number}"] = value
    return named_sql
