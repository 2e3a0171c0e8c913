"""
The CPU cost of the parts of a request, measured in one process, each part
alternated with its alternative many times and the medians compared, which
holds up on a busy machine where whole-server figures do not.

    .venv/bin/python bench/costs.py

Works in a fresh PostgreSQL database and drops it. The orjson lines appear
when orjson is installed (it is not a requirement of the project).
"""

import io
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def compare(label: str, first, second, rounds: int = 2000, inner: int = 1) -> None:
    """Median CPU microseconds of ``first`` and of ``second``, alternated."""
    times = ([], [])
    for _ in range(rounds):
        for spent, work in zip(times, (first, second), strict=True):
            started = time.process_time_ns()
            for _ in range(inner):
                work()
            spent.append((time.process_time_ns() - started) / inner / 1000)
    a, b = (statistics.median(spent) for spent in times)
    print(f"{label:<52} {a:9.1f} {b:9.1f} {a - b:9.1f}", flush=True)


def main() -> int:
    admin_url = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"todo_costs_{int(time.time())}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="todo_project.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            BETTER_AUTH_SECRET=secrets.token_urlsafe(32),
            DATABASE_URL=f"{admin_url.rsplit('/', 1)[0]}/{name}",
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from rest_framework.parsers import JSONParser
        from rest_framework.renderers import JSONRenderer

        from authn.authentication import BetterAuthJWTAuthentication, known_users
        from authn.models import User
        from tasks.models import Task
        from tasks.serializers import TaskSerializer

        call_command("migrate", verbosity=0)
        user = User.objects.create(pk="user-1", email="user-1@example.com", name="User 1")
        for n in range(20):
            Task.objects.create(owner=user, title=f"Task {n + 1} of user 1", description="seeded")
        tasks = list(Task.objects.filter(owner=user))
        data = TaskSerializer(tasks, many=True).data
        body = b'{"title":"Bench task 1-1","description":"made under load"}'
        claims = {"sub": user.pk, "email": user.email, "name": user.name}
        auth = BetterAuthJWTAuthentication()
        connection.ensure_connection()

        def cold_user():
            known_users.clear()
            auth.get_user(claims)

        auth.get_user(claims)  # remembered from here on

        print(f"{'CPU microseconds per call (median)':<52} {'A':>9} {'B':>9} {'A - B':>9}")
        compare("user: read the row (A) / remembered (B)", cold_user, lambda: auth.get_user(claims))
        compare("health check SELECT 1 (A) / none (B)", connection.is_usable, lambda: None)
        compare(
            "list query, 20 rows (A) / none (B)",
            lambda: list(Task.objects.filter(owner=user).order_by("-created_at", "-id")),
            lambda: None,
            rounds=1000,
        )
        compare(
            "serializer, 20 tasks (A) / none (B)",
            lambda: TaskSerializer(tasks, many=True).data,
            lambda: None,
            rounds=1000,
        )
        renderer, parser = JSONRenderer(), JSONParser()

        def render():
            return renderer.render(data, "application/json", {})

        def parse():
            return parser.parse(io.BytesIO(body), "application/json", {})

        try:
            import orjson
        except ImportError:
            compare("DRF JSONRenderer, 20 tasks (A) / none (B)", render, lambda: None)
            compare("DRF JSONParser, a create body (A) / none (B)", parse, lambda: None, inner=5)
        else:
            compare(
                "render 20 tasks: DRF (A) / orjson.dumps (B)", render, lambda: orjson.dumps(data)
            )
            compare(
                "parse a create body: DRF (A) / orjson.loads (B)",
                parse,
                lambda: orjson.loads(body),
                inner=5,
            )
        logger = logging.getLogger("todo.requests")
        logging.getLogger().handlers = [logging.StreamHandler(open(os.devnull, "w"))]
        compare(
            "the request log line (A) / none (B)",
            lambda: logger.info("%s %s %s %.1fms user=%s", "GET", "/api/tasks", 200, 1.0, "u"),
            lambda: None,
        )
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
