import secrets

import pytest

from .live import http, live_server

pytestmark = pytest.mark.django_db


def test_health_says_ok_without_a_token(anonymous):
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_says_the_shared_cache_is_ok_when_redis_answers(anonymous, redis_cache):
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_with_redis_down_health_stays_200_and_says_the_cache_is_unavailable(anonymous, redis_cache):
    redis_cache.shutdown()
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}
    redis_cache.start()
    assert anonymous.get("/api/health").json()["cache"] == "ok"


def test_health_ignores_a_bad_token(anonymous):
    response = anonymous.get("/api/health", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 200


def test_without_a_database_health_and_the_api_answer_503_json(make_token, shared_secret):
    """A PostgreSQL that cannot be reached, under the production server."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": shared_secret,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2",
    }
    with live_server(env) as url:
        health = http("GET", f"{url}/api/health")
        assert health.status == 503
        assert health.json() == {"status": "unavailable", "database": "unavailable"}
        for method, path in [
            ("GET", "/api/tasks"),
            ("POST", "/api/tasks"),
            ("GET", "/api/tasks/1"),
        ]:
            response = http(
                method, f"{url}{path}", token=make_token("alice-id"), body={"title": "x"}
            )
            assert response.status == 503
            assert response.headers["Content-Type"] == "application/json"
            assert response.json()["code"] == "service_unavailable"


def test_without_a_database_health_still_says_how_the_cache_is(redis_server, shared_secret):
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": shared_secret,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2",
        "REDIS_URL": redis_server.url,
    }
    with live_server(env) as url:
        health = http("GET", f"{url}/api/health")
        assert health.status == 503
        assert health.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
