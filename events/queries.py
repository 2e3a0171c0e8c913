"""
The relay's reads and writes of the outbox and its lanes, in plain SQL: a
round runs the same handful of statements however many owners it takes.
Through the ORM a round cost one composed query per owner, and compiling
them cost more CPU than delivering the events (a round of 40 owners took
0.37 s; now 0.04 s).

Positions in an owner's events are (sequence, event id) pairs: reminders
share their sequence with the change before them, and the id orders them.
"""

import json
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from functools import reduce

from django.db import DEFAULT_DB_ALIAS, connection, connections

from todo_project.rows import row_reader

from .models import Event, EventState, Lane, cloudevent_json

# The advisory locks' first key, so that they meet no other lock of the database.
OWNER_LOCK_SPACE = 0x65766E74  # "evnt"

# Places (owner, sequence, event id) sent to PostgreSQL as one JSON parameter.
PLACES = "jsonb_to_recordset(%s::jsonb) AS p(owner_id text, sequence bigint, event bigint)"

EVENT_TABLE = Event._meta.db_table
LANE_TABLE = Lane._meta.db_table
LANE_COLUMNS = ["sink", "owner_id", "sequence", "event", "failures", "retry_at", "last_error"]


def owners_with_pending_events(after: str, limit: int) -> list[str]:
    """Up to ``limit`` owners with pending events, in order of id, after ``after``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT owner_id FROM {EVENT_TABLE} "
            "WHERE state = %s AND owner_id > %s ORDER BY owner_id LIMIT %s",
            [EventState.PENDING, after, limit],
        )
        return [owner for (owner,) in cursor.fetchall()]


def claim(owners: list[str]) -> list[str]:
    """
    Those of ``owners`` that no other worker has claimed, now claimed by this
    one until its transaction ends. SQLite has no such lock: one worker only.
    """
    if connection.vendor != "postgresql" or not owners:
        return owners
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner FROM jsonb_array_elements_text(%s::jsonb) AS owner "
            "WHERE pg_try_advisory_xact_lock(%s, hashtext(owner))",
            [json.dumps(owners), OWNER_LOCK_SPACE],
        )
        return [owner for (owner,) in cursor.fetchall()]


@dataclass(slots=True)
class LaneState:
    """A lane as a round holds it: cheaper to make than the model, a few hundred a round."""

    sink: str
    owner_id: str
    sequence: int = 0
    event: int = 0
    failures: int = 0
    retry_at: datetime | None = None
    last_error: str = ""


def open_lanes(owners: list[str], sinks: list[str]) -> dict[tuple[str, str], LaneState]:
    """Every sink's lane of every owner; a new one starts before all of the owner's events."""
    columns = ", ".join(connection.ops.quote_name(column) for column in LANE_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {columns} FROM {LANE_TABLE} "
                "WHERE owner_id IN (SELECT jsonb_array_elements_text(%s::jsonb)) "
                "AND sink IN (SELECT jsonb_array_elements_text(%s::jsonb))",
                [json.dumps(owners), json.dumps(sinks)],
            )
        else:
            cursor.execute(
                f"SELECT {columns} FROM {LANE_TABLE} "
                f"WHERE owner_id IN ({', '.join(['%s'] * len(owners))}) "
                f"AND sink IN ({', '.join(['%s'] * len(sinks))})",
                [*owners, *sinks],
            )
        rows = cursor.fetchall()
    retry_at = converter(Lane, "retry_at")
    lanes = {}
    for sink, owner_id, sequence, event, failures, retry, last_error in rows:
        lanes[sink, owner_id] = LaneState(
            sink, owner_id, sequence, event, failures, retry_at(retry), last_error
        )
    for owner in owners:
        for sink in sinks:
            lanes.setdefault((sink, owner), LaneState(sink, owner))
    return lanes


def converter(model, name: str):
    """What the ORM does to a column's value as read (SQLite's datetimes are text)."""
    for field, expression, converters in row_reader(model, connection.alias, connection.vendor):
        if field.name == name:
            return lambda value: reduce(
                lambda value, convert: convert(value, expression, connection), converters, value
            )
    raise LookupError(name)


def places_json(places) -> str:
    return json.dumps(
        [
            {"owner_id": owner, "sequence": sequence, "event": event}
            for owner, sequence, event in places
        ]
    )


@dataclass(slots=True)
class PendingEvent:
    """An outbox row as a round sends it: cheaper to make than the model, hundreds a round."""

    pk: int
    event_id: uuid.UUID
    owner_id: str
    type: str
    task_id: int
    sequence: int
    time: datetime
    data: str
    dead_sinks: str

    def to_cloudevent(self) -> str:
        return cloudevent_json(self)

    def dead_sink_names(self) -> list[str]:
        return self.dead_sinks.split("\n") if self.dead_sinks else []


PENDING_EVENT_COLUMNS = [field.name for field in fields(PendingEvent)]


def events_after(places: list[tuple[str, int, int]], limit: int) -> dict[tuple, list]:
    """
    For each place (owner, sequence, event id): the owner's next ``limit``
    pending events after it, in order. On PostgreSQL one statement reads
    them all, each place through the index on its own (LATERAL).
    """
    found = {place: [] for place in places}
    if not places:
        return found
    columns = ", ".join(f"e.{'id' if name == 'pk' else name}" for name in PENDING_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT p.owner_id, p.sequence, p.event, {columns} "
                f"FROM {PLACES} CROSS JOIN LATERAL (SELECT * FROM {EVENT_TABLE} AS e "
                "WHERE e.owner_id = p.owner_id AND e.state = %s "
                "AND (e.sequence, e.id) > (p.sequence, p.event) "
                "ORDER BY e.sequence, e.id LIMIT %s) AS e "
                "ORDER BY p.owner_id, p.sequence, p.event, e.sequence, e.id",
                [places_json(places), EventState.PENDING, limit],
            )
            for row in cursor.fetchall():
                found[tuple(row[:3])].append(PendingEvent(*row[3:]))
            return found
        event_id, time = converter(Event, "event_id"), converter(Event, "time")
        for place in places:
            cursor.execute(
                f"SELECT {columns} FROM {EVENT_TABLE} AS e WHERE e.owner_id = %s AND e.state = %s "
                "AND (e.sequence, e.id) > (%s, %s) ORDER BY e.sequence, e.id LIMIT %s",
                [place[0], EventState.PENDING, place[1], place[2], limit],
            )
            for pk, uid, owner, type_, task, sequence, at, data, dead in cursor.fetchall():
                found[place].append(
                    PendingEvent(
                        pk, event_id(uid), owner, type_, task, sequence, time(at), data, dead
                    )
                )
    return found


def save_lanes(lanes: list[LaneState]) -> None:
    """Each lane's place, failures and error, inserted or updated in one statement."""
    if not lanes:
        return
    quoted = ", ".join(connection.ops.quote_name(column) for column in LANE_COLUMNS)
    updates = ", ".join(f"{column} = excluded.{column}" for column in LANE_COLUMNS[2:])
    upsert = f"ON CONFLICT (sink, owner_id) DO UPDATE SET {updates}"
    # Plain values: through Field.get_db_prep_save, each of them cost more
    # than the rest of the statement. Only a time needs adapting (for SQLite).
    adapt_time = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value
    columns = [
        [lane.sink for lane in lanes],
        [lane.owner_id for lane in lanes],
        [lane.sequence for lane in lanes],
        [lane.event for lane in lanes],
        [lane.failures for lane in lanes],
        [adapt_time(lane.retry_at) for lane in lanes],
        [lane.last_error for lane in lanes],
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows as one JSON parameter: the same statement text every
            # round, which PostgreSQL plans once (and psycopg parses once),
            # and cheaper to send than an array a column.
            rows = [dict(zip(LANE_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]
            cursor.execute(
                f"INSERT INTO {LANE_TABLE} ({quoted}) SELECT {quoted} "
                "FROM jsonb_to_recordset(%s::jsonb) AS l(sink text, owner_id text, "
                "sequence bigint, event bigint, failures integer, retry_at timestamptz, "
                f"last_error text) {upsert}",
                [json.dumps(rows, default=str)],
            )
            return
        rows = ", ".join([f"({', '.join(['%s'] * len(LANE_COLUMNS))})"] * len(lanes))
        cursor.execute(
            f"INSERT INTO {LANE_TABLE} ({quoted}) VALUES {rows} {upsert}",
            [value for row in zip(*columns, strict=True) for value in row],
        )


def finish(passed: dict[str, tuple[int, int]], now) -> None:
    """
    Each owner's pending events up to its place in ``passed`` (every sink has
    gone past them): delivered, or dead where a sink gave up on one.
    """
    if not passed:
        return
    owners = list(passed)
    sequences = [passed[owner][0] for owner in owners]
    events = [passed[owner][1] for owner in owners]
    delivered_at = Event._meta.get_field("delivered_at").get_db_prep_save(now, connection)
    settle = (
        "state = CASE WHEN dead_sinks = '' THEN %s ELSE %s END, "
        "delivered_at = CASE WHEN dead_sinks = '' THEN %s END"
    )
    settled = [EventState.DELIVERED, EventState.DEAD, delivered_at]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {EVENT_TABLE} AS e SET {settle} "
                f"FROM {PLACES} WHERE e.owner_id = p.owner_id AND e.state = %s "
                "AND (e.sequence, e.id) <= (p.sequence, p.event)",
                [
                    *settled,
                    places_json(list(zip(owners, sequences, events, strict=True))),
                    EventState.PENDING,
                ],
            )
            return
        rows = ", ".join(["(%s, %s, %s)"] * len(owners))
        cursor.execute(
            f"WITH passed(owner_id, sequence, event) AS (VALUES {rows}) "
            f"UPDATE {EVENT_TABLE} SET {settle} WHERE state = %s AND EXISTS (SELECT 1 FROM passed "
            f"WHERE passed.owner_id = {EVENT_TABLE}.owner_id "
            f"AND ({EVENT_TABLE}.sequence, {EVENT_TABLE}.id) <= (passed.sequence, passed.event))",
            [
                *(value for owner in owners for value in (owner, *passed[owner])),
                *settled,
                EventState.PENDING,
            ],
        )
