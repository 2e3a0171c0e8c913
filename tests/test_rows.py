"""fetch_instance gives the instance the ORM's get() gives (todo_project/rows.py)."""

from datetime import UTC, datetime

import pytest

from authn.models import User
from tasks.models import Task

pytestmark = pytest.mark.django_db


def values(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_a_task_is_read_as_get_reads_it(add_task):
    task = add_task(
        "alice-id",
        "everything",
        description="d",
        completed=True,
        priority="high",
        due_at=datetime(2026, 12, 5, 17, 0, 0, 5, tzinfo=UTC),
        tags=["home", "ü"],
        recurrence_frequency="weekly",
        recurrence_interval=2,
    )
    fetched = Task.objects.owned("alice-id", task.pk)
    assert values(fetched) == values(Task.objects.get(pk=task.pk))
    assert fetched._state.adding is False
    assert Task.objects.owned("bob-id", task.pk) is None
    assert Task.objects.owned("alice-id", task.pk + 1000) is None


def test_a_user_is_read_as_get_reads_it(db):
    User.objects.create(id="alice-id", email="alice@example.com", name="Alice")
    assert values(User.objects.find("alice-id")) == values(User.objects.get(pk="alice-id"))
    assert User.objects.find("nobody") is None
