"""``GET /api/tags``: the caller's tags with the number of tasks that carry each."""

import pytest

pytestmark = pytest.mark.django_db


def test_no_tasks_no_tags(alice):
    response = alice.get("/api/tags")
    assert response.status_code == 200
    assert response.json() == []


def test_each_tag_counts_pending_and_completed_tasks_sorted_by_name(alice, add_task):
    add_task("alice-id", "a", tags=["home", "errands"])
    add_task("alice-id", "b", tags=["home"], completed=True)
    add_task("alice-id", "c", tags=["zebra", "errands", "home"])
    add_task("alice-id", "d", tags=[])
    assert alice.get("/api/tags").json() == [
        {"name": "errands", "count": 2},
        {"name": "home", "count": 3},
        {"name": "zebra", "count": 1},
    ]


def test_tags_as_normalized_by_the_api_count_once_per_task(alice):
    alice.post("/api/tasks", {"title": "x", "tags": ["Home", " home", "HOME"]}, format="json")
    alice.post("/api/tasks", {"title": "y", "tags": ["home"]}, format="json")
    assert alice.get("/api/tags").json() == [{"name": "home", "count": 2}]


def test_tags_follow_changes_and_deletions(alice):
    task = alice.post("/api/tasks", {"title": "x", "tags": ["a", "b"]}, format="json").json()
    alice.patch(f"/api/tasks/{task['id']}", {"tags": ["b", "c"]}, format="json")
    assert [tag["name"] for tag in alice.get("/api/tags").json()] == ["b", "c"]
    alice.delete(f"/api/tasks/{task['id']}")
    assert alice.get("/api/tags").json() == []


def test_another_users_tags_are_neither_listed_nor_counted(alice, bob, add_task):
    add_task("alice-id", "a", tags=["home", "secret"])
    add_task("bob-id", "b", tags=["home"])
    assert bob.get("/api/tags").json() == [{"name": "home", "count": 1}]
    assert alice.get("/api/tags").json() == [
        {"name": "home", "count": 1},
        {"name": "secret", "count": 1},
    ]


@pytest.mark.parametrize("path", ["/api/alice-id/tags", "/api/alice-id/tags/", "/api/tags/"])
def test_the_other_paths_answer_the_same(alice, add_task, path):
    add_task("alice-id", "a", tags=["home"])
    assert alice.get(path).json() == [{"name": "home", "count": 1}]


def test_the_path_form_refuses_another_users_id(bob, add_task):
    add_task("alice-id", "a", tags=["home"])
    response = bob.get("/api/alice-id/tags")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_tags_need_a_token(anonymous):
    response = anonymous.get("/api/tags")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
