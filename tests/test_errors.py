import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_that_sees_500s(settings):
    settings.ROOT_URLCONF = "tests.urls_with_bugs"
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/api/broken-drf", "/api/broken-django"])
def test_a_bug_is_a_json_500_without_details(client_that_sees_500s, path, caplog):
    response = client_that_sees_500s.get(path)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error.", "code": "server_error"}
    assert b"secret-detail" not in response.content
    assert b"Traceback" not in response.content
    # Not silenced: the log has the whole story.
    assert "secret-detail-that-must-not-leak" in caplog.text


def test_a_bug_in_a_view_is_raised_in_tests(settings):
    settings.ROOT_URLCONF = "tests.urls_with_bugs"
    with pytest.raises(RuntimeError):
        APIClient().get("/api/broken-drf")


def test_every_error_body_has_detail_and_code(alice, anonymous, add_task):
    task = add_task("bob-id")
    responses = [
        anonymous.get("/api/tasks"),
        alice.get(f"/api/tasks/{task.pk}"),
        alice.get("/api/tasks/0"),
        alice.put("/api/tasks"),
        alice.post("/api/tasks", b"{", content_type="application/json"),
        alice.post("/api/tasks", b"x", content_type="text/plain"),
        alice.post("/api/tasks", {}, format="json"),
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [401, 403, 404, 405, 400, 415, 422]
    for response in responses:
        assert response["Content-Type"] == "application/json"
        assert isinstance(response.json()["detail"], str)
        assert isinstance(response.json()["code"], str)


def test_a_disallowed_host_under_api_is_a_json_400(anonymous):
    response = anonymous.get("/api/health", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
