"""What a deployment relies on: limits, request ids and logs, deploy checks, static files."""

import logging
import secrets

import pytest

from .live import http, live_server
from .test_configuration import GOOD_SECRET, run_manage

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(alice, anonymous):
    for response in (alice.get("/api/tasks"), anonymous.get("/api/tasks"), anonymous.get("/nope")):
        assert len(response["X-Request-ID"]) == 32


def test_a_sane_request_id_from_the_client_is_echoed(alice):
    response = alice.get("/api/tasks", HTTP_X_REQUEST_ID="edge-1234.abc")
    assert response["X-Request-ID"] == "edge-1234.abc"


@pytest.mark.parametrize("sent", ["a b", "x" * 200, "line\nbreak", ""])
def test_an_unsafe_request_id_is_replaced(alice, sent):
    response = alice.get("/api/tasks", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32


def test_one_log_line_per_request_without_the_token(alice, make_token, caplog):
    token = make_token("alice-id")
    with caplog.at_level(logging.INFO, logger="todo.requests"):
        alice.get("/api/tasks?search=milk", HTTP_AUTHORIZATION=f"Bearer {token}")
    lines = [r.getMessage() for r in caplog.records if r.name == "todo.requests"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /api/tasks 200 ")
    assert "user=alice-id" in lines[0]
    assert "request_id=" in lines[0]
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text


def test_a_failed_request_is_logged_once_too(anonymous, caplog):
    with caplog.at_level(logging.INFO):
        anonymous.get("/api/tasks")
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "/api/tasks" in line]) == 1
    assert "401" in lines[-1] and "user=-" in lines[-1]


def test_a_body_over_the_limit_is_a_json_413(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = {"title": "x", "description": "d" * 3000}
    response = alice.post("/api/tasks", body, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_a_body_under_the_limit_is_fine(alice):
    response = alice.post("/api/tasks", {"title": "x", "description": "d" * 1000}, format="json")
    assert response.status_code == 201


def test_too_many_requests_is_a_429_with_retry_after(alice, bob, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "3/minute"},
    }
    statuses = [alice.get("/api/tasks").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = alice.get("/api/tasks")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Per user: Bob is not slowed down by Alice.
    assert bob.get("/api/tasks").status_code == 200


def test_health_is_never_throttled(anonymous, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1/minute", "anon": "1/minute"},
    }
    assert {anonymous.get("/api/health").status_code for _ in range(5)} == {200}


PRODUCTION = {
    "SECRET_KEY": "p" + secrets.token_urlsafe(60),
    "BETTER_AUTH_SECRET": GOOD_SECRET,
    "ALLOWED_HOSTS": "api.example.com",
}


def test_check_deploy_is_clean_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_pooler_host_disables_server_side_cursors():
    code = (
        "from django.db import connection; "
        "print(connection.settings_dict['DISABLE_SERVER_SIDE_CURSORS'], "
        "connection.settings_dict['OPTIONS']['connect_timeout'])"
    )
    pooled_host, direct_host = (
        "ep-x-pooler.eu-central-1.aws.neon.tech",
        "ep-x.eu-central-1.aws.neon.tech",
    )
    pooled = f"postgresql://app@{pooled_host}/db?sslmode=require"
    direct = f"postgresql://app@{direct_host}/db?sslmode=require"
    for url, env, expected in [
        (pooled, {}, "True 5"),
        (direct, {}, "False 5"),
        (direct, {"DATABASE_POOLER": "true"}, "True 5"),
        (pooled + "&connect_timeout=9", {}, "True 9"),
    ]:
        result = run_manage("shell", "-c", code, DATABASE_URL=url, **PRODUCTION, **env)
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_static_files_and_plain_http_work_with_debug_off(make_token, shared_secret):
    env = {"SECRET_KEY": PRODUCTION["SECRET_KEY"], "BETTER_AUTH_SECRET": shared_secret}
    with live_server(env) as url:
        css = http("GET", f"{url}/static/admin/css/base.css", headers={"Accept": "text/css"})
        assert css.status == 200
        assert b"body" in css.body
        swagger = http(
            "GET", f"{url}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"
        )
        assert swagger.status == 200
        docs = http("GET", f"{url}/docs", headers={"Accept": "text/html"})
        assert docs.status == 200
        assert http("GET", f"{url}/api/tasks", token=make_token("alice-id")).status == 200
        # No redirect to HTTPS and no HSTS over plain HTTP by default.
        health = http("GET", f"{url}/api/health")
        assert health.status == 200
        assert "Strict-Transport-Security" not in health.headers
