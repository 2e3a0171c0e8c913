"""
The CPU cost of each part of a request that was made faster, before and after,
measured in one process: each part alternated with what it replaced, many
times, and the medians compared, which holds up on a busy machine where whole
server figures do not.

    .venv/bin/python bench/costs.py

Works in a fresh PostgreSQL database and drops it.
"""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import jwt
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
        from django.db import connection, models, transaction
        from django.http import QueryDict
        from rest_framework import serializers
        from rest_framework.renderers import JSONRenderer

        from authn import tokens
        from authn.models import User
        from tasks.compiled import build_page, compiled_lists
        from tasks.models import ChangeCounter, Task
        from tasks.query import parse_task_query
        from tasks.rendering import list_page_json
        from tasks.serializers import (
            TASK_COLUMNS,
            TaskSerializer,
            represent_task_row,
            task_fields,
        )

        call_command("migrate", verbosity=0)
        user = User.objects.create(pk="user-1", email="user-1@example.com", name="User 1")
        for n in range(20):
            Task.objects.create(owner=user, title=f"Task {n + 1} of user 1", description="seeded")
        task = Task.objects.filter(owner=user).first()
        query = parse_task_query(QueryDict(""))
        connection.ensure_connection()

        print(f"{'CPU microseconds per call (median)':<52} {'before':>9} {'after':>9} {'saved':>9}")

        def rows_and_renderer():
            page = [
                represent_task_row(row) for row in build_page(user.pk, query).values(*TASK_COLUMNS)
            ]
            return JSONRenderer().render(page)

        compare(
            "list body, 20 tasks: rows + renderer / PostgreSQL",
            rows_and_renderer,
            lambda: list_page_json(user.pk, query),
            rounds=1000,
        )
        compare(
            "list SQL: compose and compile / compiled once",
            lambda: build_page(user.pk, query).query.sql_with_params(),
            lambda: compiled_lists.sql(user.pk, query),
        )
        token = jwt.encode(
            {"sub": user.pk, "exp": int(time.time()) + 3600}, os.environ["BETTER_AUTH_SECRET"]
        )

        def check_in_full():
            header = tokens.read_header(token)
            tokens.check_token(token, header, tokens.verification_key(header))

        tokens.verify_token(token)
        compare(
            "token: signature and claims / remembered",
            check_in_full,
            lambda: tokens.verify_token(token),
        )
        compare("health check: SELECT 1 / skipped", connection.is_usable, lambda: None)

        class QuerySerializer(serializers.Serializer):
            """The list's query serializer before tasks/query.py."""

            status = serializers.ChoiceField(["all", "pending", "completed"], default="all")
            sort = serializers.ChoiceField(
                ["-created_at", "created_at", "title"], default="-created_at"
            )
            search = serializers.CharField(required=False, allow_blank=True, max_length=200)
            limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
            offset = serializers.IntegerField(required=False, min_value=0)

        params = QueryDict("status=pending&sort=title")

        def with_serializer():
            parsed = QuerySerializer(data=params.dict())
            parsed.is_valid(raise_exception=True)

        compare(
            "query parameters: a serializer / parse_task_query",
            with_serializer,
            lambda: parse_task_query(params),
        )

        class ModelTaskSerializer(serializers.ModelSerializer):
            """TaskSerializer as a ModelSerializer with declared fields, as before."""

            locals().update(task_fields())

            class Meta:
                model = Task
                fields = list(task_fields())

        body = {"title": "Bench task 1-1", "description": "made under load"}

        def validate(serializer_class):
            serializer = serializer_class(data=body)
            serializer.is_valid(raise_exception=True)

        compare(
            "a create body: ModelSerializer / fields made anew",
            lambda: validate(ModelTaskSerializer),
            lambda: validate(TaskSerializer),
        )
        compare(
            "the task to write: queryset get() / plain SQL",
            lambda: Task.objects.filter(owner_id=user.pk).get(pk=task.pk),
            lambda: Task.objects.owned(user.pk, task.pk),
        )
        compare(
            "the user: queryset get() / plain SQL",
            lambda: User.objects.get(pk=user.pk),
            lambda: User.objects.find(user.pk),
        )

        def orm_update():
            task.title = "renamed"
            models.Model.save(task, update_fields=["title", "updated_at", "change_seq"])

        def plain_update():
            task.title = "renamed"
            task.update_columns(["title", "updated_at", "change_seq"])

        compare(
            "an update: Model.save(update_fields) / plain UPDATE",
            orm_update,
            plain_update,
            rounds=500,
        )

        def orm_insert():
            with transaction.atomic():
                new = Task(owner=user, title="new", created_at=task.created_at)
                new.updated_at = task.created_at
                new.change_seq = ChangeCounter.objects.reserve(user.pk)
                models.Model.save(new)

        compare(
            "a create: counter, then Model.save / one INSERT",
            orm_insert,
            lambda: Task(owner=user, title="new").save(),
            rounds=500,
        )
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
