import pytest

pytestmark = pytest.mark.django_db

FRONTEND = "http://localhost:3000"


def preflight(client, path="/api/tasks", origin=FRONTEND, method="POST"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def header_set(value):
    return {item.strip().lower() for item in value.split(",")}


def test_a_preflight_needs_no_token_and_allows_the_frontend(anonymous):
    response = preflight(anonymous)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert header_set(response["Access-Control-Allow-Methods"]) == {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "options",
    }
    assert header_set(response["Access-Control-Allow-Headers"]) >= {
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
        "idempotency-key",
    }


@pytest.mark.parametrize("path", ["/api/tasks/1/complete", "/api/alice-id/tasks", "/api/health"])
def test_every_api_path_answers_a_preflight(anonymous, path):
    assert preflight(anonymous, path, method="PATCH")["Access-Control-Allow-Origin"] == FRONTEND


def test_a_response_exposes_the_paging_and_request_id_headers(alice):
    response = alice.get("/api/tasks", HTTP_ORIGIN=FRONTEND)
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert header_set(response["Access-Control-Expose-Headers"]) >= {
        "x-total-count",
        "link",
        "x-request-id",
        "etag",
        "idempotent-replayed",
    }
    assert "origin" in header_set(response["Vary"])


def test_an_error_carries_cors_headers_too(anonymous):
    response = anonymous.get("/api/tasks", HTTP_ORIGIN=FRONTEND)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == FRONTEND


def test_another_origin_is_not_allowed(anonymous):
    response = preflight(anonymous, origin="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_the_allowed_origins_come_from_settings(anonymous, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    assert preflight(anonymous, origin="https://app.example.com")["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in preflight(anonymous)


def test_cors_is_limited_to_the_api(anonymous):
    response = anonymous.get("/admin/login/", HTTP_ORIGIN=FRONTEND)
    assert "Access-Control-Allow-Origin" not in response
