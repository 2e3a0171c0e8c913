"""
The list's filters and sorts are served by indexes on PostgreSQL, for a user
with 10,000 tasks among 20,000 of others (bench/explain.py shows the whole plans).
"""

import pytest
from django.db import connection
from django.http import QueryDict

from tasks.models import Task
from tasks.query import filter_tasks, parse_task_query, sort_tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

SEED = """
INSERT INTO authn_user (id, password, is_superuser, email, name, is_staff, is_active, date_joined)
SELECT 'user-' || n, '', false, '', '', false, true, now() FROM generate_series(0, 1000) AS n;
INSERT INTO tasks_task (user_id, title, description, completed, created_at, updated_at, tags,
                        due_at, priority, change_seq)
SELECT CASE WHEN n <= 10000 THEN 'user-0' ELSE 'user-' || (n % 1000 + 1) END, md5(n::text), '',
       false, now() - n * interval '1 minute', now(),
       (CASE WHEN n % 5 = 0 THEN '["home"]'::jsonb ELSE '[]'::jsonb END)
       || (CASE WHEN n % 10 = 1 OR n % 50 = 0 THEN '["urgent"]'::jsonb ELSE '[]'::jsonb END)
       || jsonb_build_array('tag' || (n % 20)),
       CASE WHEN n % 3 = 2 THEN NULL ELSE now() + (n % 5000) * interval '1 hour' END,
       (ARRAY['low', 'medium', 'high'])[n % 3 + 1], n
FROM generate_series(1, 30000) AS n;
"""


@pytest.fixture(scope="module")
def heavy_user(django_db_setup, django_db_blocker):
    # Committed once for the module, so that VACUUM can run: it moves the new
    # rows of the GIN index out of its pending list, as autovacuum does.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(SEED)
        cursor.execute("VACUUM ANALYZE tasks_task")
    yield "user-0"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM tasks_task")
        cursor.execute("DELETE FROM authn_user WHERE id LIKE %s", ["user-%"])


def plan(user_id, **params):
    query = parse_task_query(params_dict(params))
    tasks = sort_tasks(filter_tasks(Task.objects.filter(owner_id=user_id), query), query.sort)
    if query.limit is not None:
        tasks = tasks[: query.limit]
    sql, sql_params = tasks.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


def params_dict(params):
    query = QueryDict(mutable=True)
    query.update(params)
    return query


def test_carrying_all_of_two_tags_reads_the_gin_index(heavy_user):
    assert "task_tags_gin_idx" in plan(heavy_user, tag="home,urgent")


@pytest.mark.parametrize(
    "sort, index",
    [
        ("due_at", "task_owner_due_idx"),
        ("-due_at", "task_owner_due_desc_idx"),
        ("priority", "task_owner_priority_idx"),
        ("-priority", "task_owner_priority_idx"),
        ("title", "task_owner_title_idx"),
        ("-created_at", "task_owner_created_idx"),
    ],
)
def test_a_page_of_each_sort_is_read_from_an_index(heavy_user, sort, index):
    explained = plan(heavy_user, sort=sort, limit="20")
    assert index in explained
    assert "Sort" not in explained
