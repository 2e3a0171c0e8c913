"""
The list's SQL, compiled by the ORM once per shape of query and then reused.

Composing and compiling the list's queryset costs about 0.4 ms of CPU, a
fifth of a whole list request (bench/README.md), and gives the same SQL every
time for the same shape: which filters are given, how many priorities or
tags, the sort and the page. So the ORM still writes the SQL, from
filter_tasks and sort_tasks, but once per shape: with a marker in the place
of every value that varies (the owner, priorities, tags, dates, the search),
noting which parameter each marker became. A later query of that shape takes
the SQL as it is and puts its own values where the markers were, prepared as
Django prepares them. A parameter that cannot be traced to a marker is a
constant of the shape (the status filter's true or false); one that still
holds a marker in another form stops the shape from being cached at all.
"""

import json
from dataclasses import replace
from datetime import UTC, datetime

from django.db import connection

from .models import Task
from .query import TaskQuery, filter_tasks, sort_tasks

MARK = "\x00task-list-marker:"
MAX_OFFSET = 2**62
DUE_MARKERS = {
    "due_after": datetime(2, 2, 2, 2, 2, 2, 2, tzinfo=UTC),
    "due_before": datetime(3, 3, 3, 3, 3, 3, 3, tzinfo=UTC),
}


def build_page(owner_id: str, query: TaskQuery):
    """The queryset of one page of the list, as the view sends it."""
    tasks = sort_tasks(filter_tasks(Task.objects.filter(owner_id=owner_id), query), query.sort)
    if query.limit is None and query.offset is None:
        return tasks
    # Past any list there can be, and within the 64-bit integers of SQL.
    offset = min(query.offset or 0, MAX_OFFSET)
    return tasks[offset : offset + query.limit if query.limit is not None else None]


def shape(query: TaskQuery) -> tuple:
    return (
        connection.vendor,
        query.status,
        len(query.priorities or ()),
        None if query.tags is None else len(query.tags),
        query.due_after is None,
        query.due_before is None,
        bool(query.search),
        query.sort,
        query.limit,
        query.offset,
    )


def marked(query: TaskQuery) -> TaskQuery:
    return replace(
        query,
        priorities=None
        if query.priorities is None
        else [f"{MARK}priority{n}" for n in range(len(query.priorities))],
        tags=None if query.tags is None else [f"{MARK}tag{n}" for n in range(len(query.tags))],
        due_after=None if query.due_after is None else DUE_MARKERS["due_after"],
        due_before=None if query.due_before is None else DUE_MARKERS["due_before"],
        search=f"{MARK}search" if query.search else "",
    )


class NotTraceable(Exception):
    pass


def date_time(value):
    return Task._meta.get_field("due_at").get_db_prep_value(value, connection)


def like_pattern(value: str) -> str:
    """What Django sends for an icontains lookup of ``value``."""
    return f"%{connection.ops.prep_for_like_query(value)}%"


def recipe_for(parameter, query: TaskQuery):
    """How to make this parameter from a query's own values."""
    markers = {f"{MARK}owner": lambda owner_id, q: owner_id}
    for n in range(len(query.priorities or ())):
        markers[f"{MARK}priority{n}"] = lambda owner_id, q, n=n: q.priorities[n]
    for n in range(len(query.tags or ())):
        markers[f"{MARK}tag{n}"] = lambda owner_id, q, n=n: q.tags[n]
    if query.tags:
        # The PostgreSQL lookup sends the tags as one JSON array.
        markers[json.dumps(marked(query).tags)] = lambda owner_id, q: json.dumps(q.tags)
    if query.search:
        markers[like_pattern(f"{MARK}search")] = lambda owner_id, q: like_pattern(q.search)
    for name, value in DUE_MARKERS.items():
        if getattr(query, name) is not None:
            markers[date_time(value)] = lambda owner_id, q, name=name: date_time(getattr(q, name))
    try:
        return markers[parameter]
    except (KeyError, TypeError):
        pass
    if (isinstance(parameter, str) and MARK in parameter) or parameter in DUE_MARKERS.values():
        raise NotTraceable(parameter)
    return lambda owner_id, q: parameter


class CompiledLists:
    """Per process and bounded: one entry per shape of query seen."""

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.entries: dict[tuple, tuple[str, list] | None] = {}

    def sql(self, owner_id: str, query: TaskQuery) -> tuple[str, list]:
        """The SQL of the list's page and its parameters; EmptyResultSet as the ORM raises it."""
        key = shape(query)
        entry = self.entries.get(key)
        if entry is None and key not in self.entries:
            entry = self.compile(query)
            if len(self.entries) >= self.max_size:
                self.entries.clear()
            self.entries[key] = entry
        if entry is None:
            # A shape whose parameters cannot all be traced: compiled each time.
            sql, parameters = build_page(owner_id, query).query.sql_with_params()
            return sql, list(parameters)
        sql, recipe = entry
        return sql, [part(owner_id, query) for part in recipe]

    def compile(self, query: TaskQuery) -> tuple[str, list] | None:
        sql, parameters = build_page(f"{MARK}owner", marked(query)).query.sql_with_params()
        try:
            return sql, [recipe_for(parameter, query) for parameter in parameters]
        except NotTraceable:
            return None


compiled_lists = CompiledLists(max_size=512)
