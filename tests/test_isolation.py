"""Bob should have no access to Alice's stuff, whatever the verb or the path."""

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_task(add_task):
    return add_task("alice-id", "Alice's secret", description="only hers")


def test_the_list_shows_only_the_callers_tasks(alice, bob, add_task):
    add_task("alice-id", "hers")
    add_task("bob-id", "his")
    assert [task["title"] for task in alice.get("/api/tasks").json()] == ["hers"]
    assert [task["title"] for task in bob.get("/api/tasks").json()] == ["his"]
    assert bob.get("/api/tasks")["X-Total-Count"] == "1"


def test_search_does_not_reach_other_users_tasks(bob, alices_task):
    assert bob.get("/api/tasks", {"search": "secret"}).json() == []


@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("get", "", None),
        ("put", "", {"title": "stolen"}),
        ("patch", "", {"title": "stolen"}),
        ("delete", "", None),
        ("patch", "/complete", None),
        ("patch", "/complete", {"completed": True}),
    ],
)
def test_another_users_task_is_a_403_and_stays_untouched(bob, alices_task, method, suffix, body):
    response = getattr(bob, method)(f"/api/tasks/{alices_task.pk}{suffix}", body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert b"secret" not in response.content
    task = Task.objects.get(pk=alices_task.pk)
    assert (task.title, task.completed, task.owner_id) == ("Alice's secret", False, "alice-id")


@pytest.mark.parametrize(
    "method, suffix",
    [("get", ""), ("put", ""), ("patch", ""), ("delete", ""), ("patch", "/complete")],
)
def test_hiding_foreign_tasks_makes_them_404(bob, alices_task, settings, method, suffix):
    settings.TASKS_HIDE_FOREIGN = True
    response = getattr(bob, method)(f"/api/tasks/{alices_task.pk}{suffix}", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Task.objects.filter(pk=alices_task.pk, title="Alice's secret").exists()


def test_a_missing_task_is_a_404_not_a_403(bob, db):
    response = bob.get("/api/tasks/424242")
    assert response.status_code == 404


def test_the_path_form_works_for_the_callers_own_id(alice, add_task):
    task = add_task("alice-id", "hers")
    assert [t["id"] for t in alice.get("/api/alice-id/tasks").json()] == [task.pk]
    assert alice.get(f"/api/alice-id/tasks/{task.pk}").status_code == 200
    created = alice.post("/api/alice-id/tasks", {"title": "new"}, format="json")
    assert created.status_code == 201
    assert Task.objects.get(pk=created.json()["id"]).owner_id == "alice-id"
    assert alice.patch(f"/api/alice-id/tasks/{task.pk}/complete").json()["completed"] is True
    assert alice.delete(f"/api/alice-id/tasks/{task.pk}").status_code == 204


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/alice-id/tasks"),
        ("post", "/api/alice-id/tasks"),
        ("get", "/api/alice-id/tasks/{pk}"),
        ("put", "/api/alice-id/tasks/{pk}"),
        ("patch", "/api/alice-id/tasks/{pk}"),
        ("delete", "/api/alice-id/tasks/{pk}"),
        ("patch", "/api/alice-id/tasks/{pk}/complete"),
    ],
)
def test_the_path_form_refuses_another_users_id(bob, alices_task, method, path):
    response = getattr(bob, method)(path.format(pk=alices_task.pk), {"title": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Task.objects.filter(owner_id="alice-id").count() == 1
    assert not Task.objects.filter(owner_id="bob-id").exists()


def test_the_path_form_refuses_bobs_id_for_alices_task(bob, alices_task):
    response = bob.get(f"/api/bob-id/tasks/{alices_task.pk}")
    assert response.status_code == 403


def test_the_path_form_still_needs_a_token(anonymous, alices_task):
    response = anonymous.get("/api/alice-id/tasks")
    assert response.status_code == 401
