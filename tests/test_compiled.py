"""
The list's SQL, compiled once per shape with markers, is exactly what the
ORM compiles for each query (tasks/compiled.py).
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from tasks.compiled import CompiledLists, build_page
from tasks.query import parse_task_query

pytestmark = pytest.mark.django_db

QUERIES = [
    {},
    {"status": "pending"},
    {"status": "completed", "sort": "title"},
    {"priority": "high"},
    {"priority": "low,high"},
    {"priority": "medium,low,high", "sort": "-priority"},
    {"tag": "home"},
    {"tag": "home,work,x y"},
    {"due_after": "2026-12-05T17:00:00Z"},
    {"due_before": "2026-12-05T18:00:00+01:00", "sort": "due_at"},
    {"due_after": "2026-01-01T00:00:00Z", "due_before": "2027-01-01T00:00:00.5Z"},
    {"search": "milk"},
    {"search": "50% off_now \\ or"},
    {"limit": "20"},
    {"limit": "5", "offset": "10", "sort": "-due_at"},
    {"offset": "3"},
    {
        "status": "pending",
        "priority": "high,low",
        "tag": "a,b",
        "due_after": "2026-12-01T00:00:00Z",
        "due_before": "2026-12-31T00:00:00Z",
        "search": "x",
        "sort": "updated_at",
        "limit": "10",
    },
]


def query_of(params):
    return parse_task_query(QueryDict(urlencode(params)))


@pytest.mark.parametrize("params", QUERIES, ids=[urlencode(p) or "none" for p in QUERIES])
def test_the_cached_sql_is_the_orms(params):
    compiled = CompiledLists(max_size=100)
    query = query_of(params)
    for owner in ("alice-id", "bob-id"):
        expected_sql, expected_params = build_page(owner, query).query.sql_with_params()
        assert compiled.sql(owner, query) == (expected_sql, list(expected_params))


def test_one_shape_serves_other_values():
    compiled = CompiledLists(max_size=100)
    first = query_of(
        {"priority": "low", "tag": "a", "search": "one", "due_after": "2026-01-01T00:00:00Z"}
    )
    second = query_of(
        {"priority": "high", "tag": "b", "search": "two", "due_after": "2027-05-05T05:05:05Z"}
    )
    compiled.sql("alice-id", first)
    assert len(compiled.entries) == 1
    sql, params = compiled.sql("bob-id", second)
    assert (sql, params) == (
        build_page("bob-id", second).query.sql_with_params()[0],
        list(build_page("bob-id", second).query.sql_with_params()[1]),
    )
    assert len(compiled.entries) == 1
    assert "bob-id" in params and "high" in params
    assert datetime(2027, 5, 5, 5, 5, 5, tzinfo=UTC) in params or "2027-05-05 05:05:05" in params


def test_the_cache_is_bounded():
    compiled = CompiledLists(max_size=3)
    for limit in range(1, 10):
        compiled.sql("alice-id", query_of({"limit": str(limit)}))
        assert len(compiled.entries) <= 3


def test_the_list_answers_the_same_through_the_cache(alice, add_task):
    add_task("alice-id", "Milk", tags=["home"], priority="high")
    add_task("alice-id", "Bread", tags=["work"])
    for params in ({"tag": "home"}, {"tag": "work"}, {"priority": "high"}, {"search": "bread"}):
        titles = [task["title"] for task in alice.get("/api/tasks", params).json()]
        assert len(titles) == 1
    assert [t["title"] for t in alice.get("/api/tasks", {"tag": "home"}).json()] == ["Milk"]
    assert [t["title"] for t in alice.get("/api/tasks", {"tag": "work"}).json()] == ["Bread"]
