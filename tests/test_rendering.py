"""
The list's body, written by PostgreSQL (tasks/rendering.py) or by Python on
SQLite, is byte for byte what DRF's renderer writes for TaskSerializer.
"""

from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from tasks.models import Task
from tasks.query import sort_tasks
from tasks.rendering import task_list_json
from tasks.serializers import TaskSerializer

pytestmark = pytest.mark.django_db

TRICKY_TEXT = [
    "plain",
    "ünïcødé ✓ 日本語 🐍",
    'quote " and backslash \\ and slash /',
    "line\nbreak\ttab\rreturn\x08\x0c",
    "control \x01\x1f and del \x7f",
    "js line separators \u2028 \u2029",
    "  spaces around  ",
]


@pytest.fixture
def every_kind_of_task(add_task):
    tasks = []
    for n, text in enumerate(TRICKY_TEXT):
        tasks.append(add_task("alice-id", text, description=text if n % 2 else None))
    tasks.append(add_task("alice-id", "empty description", description=""))
    tasks.append(
        add_task(
            "alice-id",
            "everything",
            completed=True,
            priority="high",
            due_at=datetime(2026, 12, 5, 17, tzinfo=UTC),
            remind_at=datetime(2026, 12, 5, 16, 30, tzinfo=UTC),
            tags=["home", "ü", 'a"b', "x\\y", "with space", "\u2028"],
            recurrence_frequency="monthly",
            recurrence_interval=12,
        )
    )
    tasks.append(
        add_task(
            "alice-id",
            "microseconds",
            priority="low",
            due_at=datetime(2026, 12, 5, 17, 0, 0, 1, tzinfo=UTC),
            remind_at=datetime(2026, 12, 5, 16, 0, 0, 250000, tzinfo=UTC),
            tags=["one"],
        )
    )
    tasks.append(add_task("alice-id", "old year", due_at=datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)))
    tasks.append(
        add_task("alice-id", "late", due_at=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    )
    linked = tasks[-1]
    Task.objects.filter(pk=tasks[0].pk).update(next_occurrence=linked)
    Task.objects.filter(pk=tasks[1].pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
    )
    return tasks


def serializer_bytes(tasks) -> bytes:
    return JSONRenderer().render(TaskSerializer(tasks, many=True).data)


@pytest.mark.parametrize("sort", ["-created_at", "title", "-due_at", "priority"])
def test_the_body_is_the_serializers_to_the_byte(every_kind_of_task, sort):
    tasks = sort_tasks(Task.objects.filter(owner_id="alice-id"), sort)
    body, count = task_list_json(tasks)
    assert body == serializer_bytes(tasks)
    assert count == len(every_kind_of_task)


def test_a_page_keeps_the_order(every_kind_of_task):
    tasks = sort_tasks(Task.objects.filter(owner_id="alice-id"), "title")[3:7]
    body, count = task_list_json(tasks)
    assert body == serializer_bytes(tasks)
    assert count == 4


def test_no_tasks_is_an_empty_array(db):
    assert task_list_json(Task.objects.none()) == (b"[]", 0)
    assert task_list_json(Task.objects.filter(owner_id="nobody")) == (b"[]", 0)


def test_the_api_answers_those_bytes(alice, every_kind_of_task):
    response = alice.get("/api/tasks", {"sort": "title"})
    tasks = sort_tasks(Task.objects.filter(owner_id="alice-id"), "title")
    assert response.content == serializer_bytes(tasks)
    for task in response.json():
        assert task == alice.get(f"/api/tasks/{task['id']}").json()


def test_a_single_task_is_written_as_the_serializer_writes_it(every_kind_of_task):
    from tasks.serializers import represent_task

    for task in Task.objects.filter(owner_id="alice-id"):
        assert JSONRenderer().render(represent_task(task)) == JSONRenderer().render(
            TaskSerializer(task).data
        )


def test_the_extra_keys_are_the_serializers_to_the_byte(add_task, settings):
    settings.TASK_EXTRA_FIELDS = ["user_id", "is_completed", "due_date", "status"]
    owner = 'ünï "cødé" \\ \u2028 id'
    add_task(owner, "done", completed=True, due_at=datetime(2026, 12, 5, 17, 0, 0, 5, tzinfo=UTC))
    add_task(owner, "pending")
    tasks = sort_tasks(Task.objects.filter(owner_id=owner), "title")
    body, count = task_list_json(tasks)
    assert body == serializer_bytes(tasks)
    assert count == 2
