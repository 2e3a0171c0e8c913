"""
The changes feed, ``GET /api/tasks/changes``: what changed in a user's tasks
since a cursor, in the order of the user's change numbers (ChangeCounter).

Timestamps cannot promise "nothing missed" (a transaction that began earlier
can commit later); the change numbers can. A user's writes take them under
the lock of the user's counter row, so they commit in number order, and a
reader that sees the counter at N sees every change numbered up to N. An
answer covers the numbers after the cursor up to the counter as it read it
first; a cursor names the last number covered.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from .models import ChangeCounter, Task, Tombstone
from .rendering import task_json
from .serializers import TASK_COLUMNS, represent_task_row

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
SALT = "tasks.changes.cursor"


class CursorExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This cursor is older than the deletions kept: sync again without one."
    default_code = "cursor_expired"


class RawTask(str):
    """A task's JSON as the database wrote it (tasks/rendering.py)."""


@dataclass
class ChangeSet:
    changed: list[dict | RawTask]
    deleted: list[int]
    cursor: str
    has_more: bool

    def as_dict(self) -> dict:
        return {
            "changed": [
                json.loads(task) if isinstance(task, RawTask) else task for task in self.changed
            ],
            "deleted": self.deleted,
            "cursor": self.cursor,
            "has_more": self.has_more,
        }

    def as_json(self) -> bytes:
        """What JSONRenderer writes for as_dict(), without parsing the tasks the database wrote."""
        render = JSONRenderer().render
        changed = b",".join(
            task.encode() if isinstance(task, RawTask) else render(task) for task in self.changed
        )
        rest = render({"deleted": self.deleted, "cursor": self.cursor, "has_more": self.has_more})
        return b'{"changed":[' + changed + b"]," + rest[1:]


def make_cursor(user_id: str, seq: int) -> str:
    """Signed, so that it cannot be made or changed into another meaning, and dated."""
    return signing.dumps({"u": user_id, "s": seq}, salt=SALT, compress=True)


def read_cursor(user_id: str, cursor: str) -> int:
    try:
        payload = signing.loads(
            cursor, salt=SALT, max_age=settings.TASKS_TOMBSTONE_DAYS * 24 * 3600
        )
    except signing.SignatureExpired:
        raise CursorExpired() from None
    except signing.BadSignature:
        raise ValidationError({"cursor": ["Not a cursor this server gave out."]}) from None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        raise ValidationError({"cursor": ["Not a cursor this server gave you."]})
    return payload["s"]


def change_set(user_id: str, cursor: str | None, limit: int) -> ChangeSet:
    after = None if cursor is None else read_cursor(user_id, cursor)
    if connection.vendor == "postgresql":
        return change_set_in_one_statement(user_id, after, limit)
    counter = ChangeCounter.objects.filter(user_id=user_id).values("last_seq", "purged_seq").first()
    last, purged = (counter["last_seq"], counter["purged_seq"]) if counter else (0, 0)
    if after is not None and after < purged:
        raise CursorExpired()

    tasks = Task.objects.filter(owner_id=user_id, change_seq__lte=last)
    if after is not None:
        tasks = tasks.filter(change_seq__gt=after)
    rows = list(tasks.order_by("change_seq").values("change_seq", *TASK_COLUMNS)[: limit + 1])
    entries = [(row.pop("change_seq"), represent_task_row(row)) for row in rows]
    if after is not None:
        tombstones = Tombstone.objects.filter(
            owner_id=user_id, change_seq__gt=after, change_seq__lte=last
        )
        deletions = tombstones.order_by("change_seq").values_list("change_seq", "task_id")
        entries += list(deletions[: limit + 1])
    return page_of(user_id, entries, last, limit)


def page_of(user_id: str, entries: list[tuple[int, dict | int]], last: int, limit: int):
    """The first ``limit`` entries (change number, task or deleted id) by number, and a cursor."""
    entries.sort(key=lambda entry: entry[0])
    page = entries[:limit]
    has_more = len(entries) > limit
    covered = page[-1][0] if has_more else last
    return ChangeSet(
        changed=[entry for _, entry in page if not isinstance(entry, int)],
        deleted=[entry for _, entry in page if isinstance(entry, int)],
        cursor=make_cursor(user_id, covered),
        has_more=has_more,
    )


def parse_limit(params) -> int:
    value = params.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Give a number from 1 to {MAX_LIMIT}."]})
    return int(value)


def parse_cursor(params) -> str | None:
    return params.get("cursor") or None


def change_set_in_one_statement(user_id: str, after: int | None, limit: int) -> ChangeSet:
    """
    change_set on PostgreSQL in one statement: the counter, the changed tasks
    (written as JSON by the database, tasks/rendering.py) and the
    tombstones, all read in the statement's one snapshot, which holds every
    change numbered up to the counter it reads.
    """
    sql = f"""
        WITH counter AS (
            SELECT last_seq, purged_seq FROM tasks_changecounter WHERE user_id = %(user)s
        )
        SELECT 'counter', last_seq, purged_seq, NULL FROM counter
        UNION ALL
        (SELECT 'task', t.change_seq, NULL, {task_json()} FROM tasks_task t
         WHERE t.user_id = %(user)s AND t.change_seq > %(after)s
           AND t.change_seq <= (SELECT last_seq FROM counter)
         ORDER BY t.change_seq LIMIT %(limit)s)
        UNION ALL
        (SELECT 'deleted', change_seq, task_id, NULL FROM tasks_tombstone
         WHERE %(with_deletions)s AND owner_id = %(user)s AND change_seq > %(after)s
           AND change_seq <= (SELECT last_seq FROM counter)
         ORDER BY change_seq LIMIT %(limit)s)
    """
    params = {
        "user": user_id,
        "after": -1 if after is None else after,
        "limit": limit + 1,
        "with_deletions": after is not None,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    last, purged, entries = 0, 0, []
    for kind, number, value, task in rows:
        if kind == "counter":
            last, purged = number, value
        elif kind == "task":
            entries.append((number, RawTask(task)))
        else:
            entries.append((number, value))
    if after is not None and after < purged:
        raise CursorExpired()
    return page_of(user_id, entries, last, limit)
