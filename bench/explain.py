"""
EXPLAIN (ANALYZE) of the task list's queries on PostgreSQL, for one user with
10,000 tasks next to other users' tasks (the benchmark's 1000 x 20 by default).

The statements are the view's own (tasks.query's parse, filter and sort, then
the count and the page as TaskViewSet.list sends them), captured as sent and explained,
so a change to the view or to Task.Meta.indexes shows here. Works in a fresh
database and drops it.

    .venv/bin/python bench/explain.py                 # one line per statement
    .venv/bin/python bench/explain.py --full          # the whole plans
    .venv/bin/python bench/explain.py --others 200    # other users: 200 tasks each
    .venv/bin/python bench/explain.py --try-index "owner_title:user_id,title,id"
"""

import argparse
import os
import re
import secrets
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEAVY_USER = "heavy-user"
CASES = [
    ("default", {}),
    ("status=pending", {"status": "pending"}),
    ("status=completed", {"status": "completed"}),
    ("sort=title", {"sort": "title"}),
    ("sort=-updated_at", {"sort": "-updated_at"}),
    ("limit=20", {"limit": "20"}),
    ("limit=20&offset=5000", {"limit": "20", "offset": "5000"}),
    ("status=pending&limit=20", {"status": "pending", "limit": "20"}),
    ("sort=title&limit=20", {"sort": "title", "limit": "20"}),
    ("sort=-updated_at&limit=20", {"sort": "-updated_at", "limit": "20"}),
    (
        "status=pending&sort=-updated_at&limit=20",
        {"status": "pending", "sort": "-updated_at", "limit": "20"},
    ),
    ("tag=home", {"tag": "home"}),
    ("tag=home,urgent", {"tag": "home,urgent"}),
    ("tag=home,urgent&limit=20", {"tag": "home,urgent", "limit": "20"}),
    ("priority=high", {"priority": "high"}),
    ("sort=due_at&limit=20", {"sort": "due_at", "limit": "20"}),
    ("sort=-due_at&limit=20", {"sort": "-due_at", "limit": "20"}),
    ("sort=priority&limit=20", {"sort": "priority", "limit": "20"}),
    ("sort=-priority&limit=20", {"sort": "-priority", "limit": "20"}),
    (
        "due_after..due_before (a week)&sort=due_at",
        {
            "due_after": "2026-06-01T00:00:00Z",
            "due_before": "2026-06-08T00:00:00Z",
            "sort": "due_at",
        },
    ),
]
# Tags of the seeded tasks: "home" on a fifth of them, "urgent" on a tenth
# (both on a fiftieth), and one of 20 others on most.
TAGS_SQL = """
    (CASE WHEN n %% 5 = 0 THEN '["home"]'::jsonb ELSE '[]'::jsonb END)
    || (CASE WHEN n %% 10 = 1 OR n %% 50 = 0 THEN '["urgent"]'::jsonb ELSE '[]'::jsonb END)
    || (CASE WHEN n %% 4 <> 3 THEN jsonb_build_array('tag' || (n %% 20)) ELSE '[]'::jsonb END)
"""
# Two thirds dated over a year from 2026-01-01, a third undated; priorities in turn.
DUE_SQL = "CASE WHEN n %% 3 = 2 THEN NULL ELSE '2026-01-01'::timestamptz + (n * 7919 %% 525600) * interval '1 minute' END"
PRIORITY_SQL = "(ARRAY['low', 'medium', 'high'])[n %% 3 + 1]"
NODE = re.compile(
    r"^\s*(?:->\s*)?([A-Z][A-Za-z -]+?)(?: using (\S+))?(?: on (\S+))?(?: \S+)?\s+\(cost"
)
ACTUAL_ROWS = re.compile(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)")


def seed(connection, heavy_tasks: int, users: int, tasks_per_user: int) -> None:
    """Timestamps spread over a year, a third of the tasks completed, as the seed step does."""
    params = {"users": users, "per_user": tasks_per_user, "heavy": HEAVY_USER, "n": heavy_tasks}
    connection.execute(
        """
        INSERT INTO authn_user (id, password, is_superuser, email, name, is_staff, is_active,
                                date_joined)
        SELECT 'bench-user-' || lpad(n::text, 5, '0'), '', false, '', '', false, true, now()
        FROM generate_series(0, %(users)s::int - 1) AS n
        UNION ALL SELECT %(heavy)s, '', false, '', '', false, true, now()
        """,
        params,
    )
    columns = (
        "user_id, title, description, completed, completed_at, created_at, updated_at, "
        "tags, due_at, priority, change_seq"
    )
    values = f"n %% 3 = 0, CASE WHEN n %% 3 = 0 THEN t END, {{times}}, {TAGS_SQL}, {DUE_SQL}, {PRIORITY_SQL}, n"
    connection.execute(
        f"""
        INSERT INTO tasks_task ({columns})
        SELECT 'bench-user-' || lpad((n %% %(users)s::int)::text, 5, '0'), 'Task ' || n, 'seeded',
               {values.format(times="t, t + (n %% 7) * interval '1 hour'")}
        FROM generate_series(1, %(users)s::int * %(per_user)s::int) AS n,
             LATERAL (SELECT now() - (n %% 31536000) * interval '1 second' AS t) AS times
        """,
        params,
    )
    connection.execute(
        f"""
        INSERT INTO tasks_task ({columns})
        SELECT %(heavy)s, md5(n::text), 'seeded',
               {values.format(times="t, t + (n %% 97) * interval '1 minute'")}
        FROM generate_series(1, %(n)s::int) AS n,
             LATERAL (SELECT now() - (n * 3153) * interval '1 second' AS t) AS times
        """,
        params,
    )
    connection.execute("VACUUM ANALYZE")


def shape(plan_lines: list[str]) -> tuple[str, str]:
    """The plan's nodes, outermost first, and its execution time."""
    nodes = []
    execution = "?"
    for line in plan_lines:
        match = NODE.match(line)
        if match:
            name, index, target = match.groups()
            if name.strip() == "Bitmap Index Scan":
                index = target
            rows = ACTUAL_ROWS.search(line)
            node = f"{name.strip()}{f' ({index})' if index else ''}"
            nodes.append(f"{node} rows={rows.group(1) if rows else '?'}")
        elif "Sort Method:" in line:
            nodes[-1] += f" [{line.split('Sort Method:')[1].split('Memory')[0].strip()}]"
        elif line.strip().startswith("Execution Time:"):
            execution = line.split(":", 1)[1].strip()
    return " < ".join(nodes), execution


def explain_cases(connection, full: bool) -> None:
    from urllib.parse import urlencode

    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from tasks.models import Task
    from tasks.query import filter_tasks, parse_task_query, sort_tasks

    for label, params in CASES:
        query = parse_task_query(QueryDict(urlencode(params)))
        tasks = filter_tasks(Task.objects.filter(owner_id=HEAVY_USER), query)
        tasks = sort_tasks(tasks, query.sort)
        limit = query.limit
        offset = query.offset or 0
        with CaptureQueriesContext(connection) as captured:
            if limit is None:
                list(tasks)
            else:
                tasks.count()
                list(tasks[offset : offset + limit])
        for statement in captured.captured_queries:
            sql = statement["sql"]
            kind = "count" if sql.startswith("SELECT COUNT(*)") else "rows"
            with connection.cursor() as cursor:
                # Twice: the first run warms the cache, the second is the one shown.
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines = [row[0] for row in cursor.fetchall()]
            nodes, execution = shape(lines)
            print(f"{label:<42} {kind:<5} {execution:>10}  {nodes}")
            if full:
                print("    " + "\n    ".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks of the heavy user")
    parser.add_argument("--users", type=int, default=1000, help="other users")
    parser.add_argument("--others", type=int, default=20, help="tasks of each other user")
    parser.add_argument(
        "--try-index",
        action="append",
        default=[],
        metavar="NAME:COLUMNS",
        help='explain again with this extra index, e.g. "owner_title:user_id,title,id"',
    )
    parser.add_argument("--full", action="store_true", help="print the whole plans")
    args = parser.parse_args()

    name = f"todo_explain_{int(time.time())}_{os.getpid()}"
    database_url = f"{args.admin_url.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="todo_project.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            BETTER_AUTH_SECRET=secrets.token_urlsafe(32),
            DATABASE_URL=database_url,
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with psycopg.connect(database_url, autocommit=True) as raw:
            seed(raw, args.tasks, users=args.users, tasks_per_user=args.others)
            indexes = raw.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'tasks_task' ORDER BY 1"
            ).fetchall()
            version = raw.info.server_version
        total = args.tasks + args.users * args.others
        print(f"PostgreSQL {version // 10000}.{version % 100}; {total} tasks, {args.tasks} of")
        print(f"them one user's, {args.others} for each of {args.users} others. Indexes:")
        for (definition,) in indexes:
            print(f"  {definition.split(' USING ')[0].split(' INDEX ')[1]}: {definition}")
        print(f"\n{'query':<42} {'stmt':<5} {'time':>10}  plan (outermost first)")
        explain_cases(connection, args.full)

        if args.try_index:
            with psycopg.connect(database_url, autocommit=True) as raw:
                for spec in args.try_index:
                    index_name, _, columns = spec.partition(":")
                    raw.execute(f"CREATE INDEX {index_name} ON tasks_task ({columns})")
                    print(f"\nwith {index_name} ON tasks_task ({columns})")
                raw.execute("ANALYZE tasks_task")
            print(f"\n{'query':<42} {'stmt':<5} {'time':>10}  plan (outermost first)")
            explain_cases(connection, args.full)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
