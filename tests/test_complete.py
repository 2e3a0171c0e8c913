import pytest

from tasks.models import Task

from .test_tasks_crud import TASK_KEYS

pytestmark = pytest.mark.django_db


def complete(client, task, body=None):
    if body is None:
        return client.patch(f"/api/tasks/{task.pk}/complete")
    return client.patch(f"/api/tasks/{task.pk}/complete", body, format="json")


def test_without_a_body_it_flips_completed(alice, add_task):
    task = add_task("alice-id")
    assert complete(alice, task).json()["completed"] is True
    assert complete(alice, task).json()["completed"] is False


def test_an_empty_object_flips_completed(alice, add_task):
    task = add_task("alice-id")
    response = complete(alice, task, {})
    assert response.status_code == 200
    assert response.json()["completed"] is True


@pytest.mark.parametrize("value", [True, False])
def test_setting_completed_is_safe_to_retry(alice, add_task, value):
    task = add_task("alice-id", completed=not value)
    for _ in range(3):
        response = complete(alice, task, {"completed": value})
        assert response.status_code == 200
        assert response.json()["completed"] is value
    task.refresh_from_db()
    assert task.completed is value


def test_the_answer_is_the_whole_task(alice, add_task):
    task = add_task("alice-id", description="2 litres")
    body = complete(alice, task).json()
    assert list(body) == TASK_KEYS
    assert body["description"] == "2 litres"


def test_a_change_moves_updated_at(alice, add_task):
    task = add_task("alice-id")
    before = task.updated_at
    complete(alice, task)
    task.refresh_from_db()
    assert task.updated_at > before


@pytest.mark.parametrize("value", [None, "true", 1, "yes", [True]])
def test_completed_must_be_a_boolean(alice, add_task, value):
    task = add_task("alice-id")
    response = complete(alice, task, {"completed": value})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "completed" in response.json()["errors"]
    task.refresh_from_db()
    assert task.completed is False


def test_only_patch_is_allowed(alice, add_task):
    task = add_task("alice-id")
    response = alice.post(f"/api/tasks/{task.pk}/complete")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_it_cannot_complete_another_users_task(bob, add_task):
    task = add_task("alice-id")
    response = complete(bob, task, {"completed": True})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).completed is False


def test_it_answers_404_for_a_missing_task(alice, db):
    response = alice.patch("/api/tasks/987654/complete")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
