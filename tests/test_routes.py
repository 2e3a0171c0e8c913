import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tasks/", "/api/alice-id/tasks/"])
def test_lists_answer_with_and_without_a_slash(alice, path):
    response = alice.get(path)
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tasks/"])
def test_a_post_is_never_redirected(alice, path):
    response = alice.post(path, {"title": "x"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "method, suffix, status",
    [
        ("get", "", 200),
        ("get", "/", 200),
        ("put", "/", 200),
        ("patch", "/", 200),
        ("patch", "/complete", 200),
        ("patch", "/complete/", 200),
        ("delete", "/", 204),
    ],
)
def test_detail_paths_answer_with_and_without_a_slash(alice, add_task, method, suffix, status):
    task = add_task("alice-id")
    response = getattr(alice, method)(f"/api/tasks/{task.pk}{suffix}", {}, format="json")
    assert response.status_code == status


@pytest.mark.parametrize("path", ["/api/health", "/api/health/"])
def test_health_answers_with_and_without_a_slash(anonymous, path):
    assert anonymous.get(path).status_code == 200


@pytest.mark.parametrize(
    "task_id", ["abc", "1.5", "-1", "0", "99999999999999999999999", "1e3", "%C2%B2"]
)
def test_a_bad_task_id_is_a_404(alice, task_id):
    for response in (
        alice.get(f"/api/tasks/{task_id}"),
        alice.patch(f"/api/tasks/{task_id}", {"title": "x"}, format="json"),
        alice.delete(f"/api/tasks/{task_id}"),
        alice.patch(f"/api/tasks/{task_id}/complete"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_bad_task_id_still_needs_a_token_first(anonymous):
    assert anonymous.get("/api/tasks/abc").status_code == 401


@pytest.mark.parametrize("path", ["/api/nothing", "/api/tasks/1/archive", "/api", "/api/"])
def test_an_unknown_api_path_is_a_json_404(alice, path):
    response = alice.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("put", "/api/tasks"),
        ("post", "/api/tasks/1"),
        ("post", "/api/health"),
    ],
)
def test_a_wrong_method_is_a_json_405(alice, add_task, method, path):
    add_task("alice-id")
    response = getattr(alice, method)(path)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "Allow" in response


def test_a_browser_gets_the_browsable_api(admin_client):
    response = admin_client.get("/api/tasks", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_signed_in_staff_user_sees_their_own_tasks_only(admin_client, admin_user, add_task):
    add_task(admin_user.pk, "staff task")
    add_task("alice-id", "alice task")
    response = admin_client.get("/api/tasks", HTTP_ACCEPT="application/json")
    assert [task["title"] for task in response.json()] == ["staff task"]


def test_an_accept_header_the_api_cannot_satisfy_is_a_json_406(alice):
    response = alice.get("/api/tasks", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_acceptable"
