"""
The task list as the bytes of its JSON body.

The list is most of the traffic, and turning rows into Python values and
back into JSON was most of its cost (bench/README.md). On PostgreSQL the
database writes the body itself, as PostgREST does: the ORM still composes
the query (filters, sort, paging), and one statement around it renders each
row and joins them, in exactly the bytes DRF's JSONRenderer writes for
TaskSerializer's output: compact separators, timestamps in UTC with "Z" and
microseconds only when there are some, U+2028 and U+2029 escaped. Elsewhere
(SQLite) the rows go through Python and DRF's renderer. Tests hold the two
paths to the same bytes (tests/test_rendering.py).
"""

from dataclasses import replace
from functools import cache

from django.core.exceptions import EmptyResultSet
from django.db import connection
from rest_framework.renderers import JSONRenderer

from .compiled import build_page, compiled_lists
from .serializers import TASK_COLUMNS, represent_task_row
from .spellings import extra_fields


def text(column: str) -> str:
    """A JSON string, escaped as DRF's renderer does it (U+2028/9 too)."""
    return (
        f"replace(replace(to_json({column})::text, U&'\\2028', '\\u2028'), U&'\\2029', '\\u2029')"
    )


def timestamp(column: str) -> str:
    """As DRF writes an aware datetime: 2026-12-05T17:00:00Z, or ...:00.250000Z."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"'\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN date_part('microseconds', {column})::bigint %% 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || 'Z\"'"
    )


def nullable(expression: str, column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN 'null' ELSE {expression} END"


# A tag has no comma, so in jsonb's text of a string array '", "' is only
# ever the separator, which DRF writes without the space.
TAGS = (
    "replace(replace(replace(t.tags::text, '\", \"', '\",\"'), "
    "U&'\\2028', '\\u2028'), U&'\\2029', '\\u2029')"
)
RECURRENCE = (
    "CASE WHEN t.recurrence_frequency IS NULL THEN 'null' ELSE "
    "'{\"frequency\":' || to_json(t.recurrence_frequency)::text || "
    "',\"interval\":' || t.recurrence_interval || '}' END"
)
STANDARD_KEYS = " || ".join(
    [
        "'{\"id\":' || t.id",
        "',\"title\":' || " + text("t.title"),
        "',\"description\":' || " + nullable(text("t.description"), "t.description"),
        "',\"completed\":' || CASE WHEN t.completed THEN 'true' ELSE 'false' END",
        "',\"completed_at\":' || " + nullable(timestamp("t.completed_at"), "t.completed_at"),
        "',\"priority\":' || to_json(t.priority)::text",
        "',\"due_at\":' || " + nullable(timestamp("t.due_at"), "t.due_at"),
        "',\"tags\":' || " + TAGS,
        "',\"recurrence\":' || " + RECURRENCE,
        "',\"next_occurrence_id\":' || coalesce(t.next_occurrence_id::text, 'null')",
        "',\"remind_at\":' || " + nullable(timestamp("t.remind_at"), "t.remind_at"),
        "',\"created_at\":' || " + timestamp("t.created_at"),
        "',\"updated_at\":' || " + timestamp("t.updated_at"),
    ]
)
# The keys TASK_EXTRA_FIELDS may add (tasks/spellings.py), as the serializer writes them.
EXTRA_KEYS = {
    "user_id": "',\"user_id\":' || " + text("t.user_id"),
    "is_completed": "',\"is_completed\":' || CASE WHEN t.completed THEN 'true' ELSE 'false' END",
    "due_date": "',\"due_date\":' || " + nullable(timestamp("t.due_at"), "t.due_at"),
    "status": "',\"status\":' || CASE WHEN t.completed THEN '\"completed\"' ELSE '\"pending\"' END",
}


def task_json() -> str:
    """The SQL of one task row ``t`` as its JSON object, with the configured extra keys."""
    return task_json_with(tuple(extra_fields()))


@cache
def task_json_with(extra_keys: tuple[str, ...]) -> str:
    return " || ".join([STANDARD_KEYS, *(EXTRA_KEYS[name] for name in extra_keys), "'}'"])


def list_page_json(owner_id: str, query) -> tuple[bytes, int]:
    """
    The body of one page of the owner's list, and how many tasks match the
    filters (X-Total-Count): the page's own count when there is no paging.
    """
    paged = query.limit is not None or query.offset is not None
    if connection.vendor != "postgresql":
        tasks = build_page(owner_id, query)
        body, count = task_list_json(tasks)
        if paged:
            count = build_page(owner_id, replace(query, limit=None, offset=None)).count()
        return body, count
    try:
        page = compiled_lists.sql(owner_id, query)
        everything = compiled_lists.sql(owner_id, replace(query, limit=None, offset=None))
    except EmptyResultSet:
        # A filter that no task can pass (tasks.none()).
        return b"[]", 0
    return render(*page, total_of=everything if paged else None)


def task_list_json(tasks) -> tuple[bytes, int]:
    """The body for these tasks (a sorted, maybe sliced queryset) and how many it holds."""
    if connection.vendor != "postgresql":
        page = [represent_task_row(row) for row in tasks.values(*TASK_COLUMNS)]
        return JSONRenderer().render(page), len(page)
    try:
        return render(*tasks.query.sql_with_params())
    except EmptyResultSet:
        return b"[]", 0


def render(inner: str, params, total_of: tuple[str, list] | None = None) -> tuple[bytes, int]:
    """
    PostgreSQL writes the rows of ``inner`` (a query of whole task rows) as
    the body, and counts them, or the rows of ``total_of`` (the whole list
    of a page), in the same statement.
    """
    count = "count(*)"
    if total_of is not None:
        count = f"(SELECT count(*) FROM ({total_of[0]}) AS everything)"
        # The placeholders of the count come first in the statement.
        params = [*total_of[1], *params]
    # The subquery's ORDER BY keeps it from being merged into the outer
    # query, so string_agg joins the rows in that order.
    sql = (
        f"SELECT coalesce('[' || string_agg({task_json()}, ',') || ']', '[]'), {count} "
        f"FROM ({inner}) AS t"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        body, count = cursor.fetchone()
    return body.encode(), count
