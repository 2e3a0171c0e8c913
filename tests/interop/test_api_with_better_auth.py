"""
The API against the real thing: tokens from a running Better Auth server (the
npm package, jwt plugin) fetched the way a frontend fetches them, and HS256
tokens made with jose the way a Next.js route makes them.
"""

import secrets
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from ..live import http, live_server

pytestmark = [pytest.mark.django_db, pytest.mark.interop]

ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]


def new_email(name):
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def better_auth(better_auth_server, settings):
    """A Better Auth server with the default key pair, and the API pointed at it."""
    server = better_auth_server("EdDSA")
    settings.BETTER_AUTH_URL = server.url
    return server


def call(client, method, path, token, body=None):
    return getattr(client, method)(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_two_better_auth_users_each_see_only_their_own_tasks(better_auth, anonymous):
    alice = better_auth.sign_up(new_email("alice"), name="Alice")
    bob = better_auth.sign_up(new_email("bob"), name="Bob")

    created = call(anonymous, "post", "/api/tasks", alice, {"title": "Alice's task"})
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert call(anonymous, "post", "/api/tasks", bob, {"title": "Bob's task"}).status_code == 201

    assert [t["title"] for t in call(anonymous, "get", "/api/tasks", alice).json()] == [
        "Alice's task"
    ]
    assert [t["title"] for t in call(anonymous, "get", "/api/tasks", bob).json()] == ["Bob's task"]

    toggled = call(anonymous, "patch", f"/api/tasks/{task_id}/complete", alice)
    assert toggled.json()["completed"] is True
    assert call(anonymous, "patch", f"/api/tasks/{task_id}/complete", bob).status_code == 403
    assert call(anonymous, "delete", f"/api/tasks/{task_id}", bob).status_code == 403
    assert call(anonymous, "delete", f"/api/tasks/{task_id}", alice).status_code == 204
    assert call(anonymous, "get", "/api/tasks", alice).json() == []


def test_the_user_row_keeps_the_better_auth_id_email_and_name(better_auth, anonymous):
    from authn.models import User

    email = new_email("carol")
    session = better_auth.sign_up_session(email, name="Carol")
    assert call(anonymous, "get", "/api/tasks", session.token()).status_code == 200
    user = User.objects.get(pk=session.user_id)
    assert (user.email, user.name) == (email, "Carol")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_key_pair_the_plugin_can_use_is_accepted(
    better_auth_server, settings, anonymous, algorithm
):
    server = better_auth_server(algorithm)
    settings.BETTER_AUTH_URL = server.url
    token = server.sign_up(new_email(algorithm.lower()))
    assert call(anonymous, "get", "/api/tasks", token).status_code == 200


def test_the_token_from_the_session_header_is_accepted(better_auth, anonymous):
    session = better_auth.sign_up_session(new_email("dave"))
    assert call(anonymous, "get", "/api/tasks", session.session_jwt()).status_code == 200


def test_the_path_form_takes_the_better_auth_user_id(better_auth, anonymous):
    session = better_auth.sign_up_session(new_email("erin"))
    token = session.token()
    assert call(anonymous, "get", f"/api/{session.user_id}/tasks", token).status_code == 200
    assert call(anonymous, "get", "/api/someone-else/tasks", token).status_code == 403


def test_a_token_from_another_better_auth_instance_is_refused(
    better_auth, better_auth_server, settings, anonymous
):
    other = better_auth_server("EdDSA", fresh=True)
    token = other.sign_up(new_email("mallory"))
    response = call(anonymous, "get", "/api/tasks", token)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    # Refused for its keys too, not only for its issuer and audience.
    settings.BETTER_AUTH_ISSUER = other.url
    settings.BETTER_AUTH_AUDIENCE = other.url
    assert call(anonymous, "get", "/api/tasks", token).status_code == 401


def test_verify_token_accepts_a_token_printed_by_better_auth(better_auth):
    token = better_auth.sign_up(new_email("frank"))
    out = StringIO()
    call_command("verify_token", token, stdout=out)
    assert "ACCEPTED" in out.getvalue()
    assert '"alg": "EdDSA"' in out.getvalue()


def test_hs256_tokens_signed_by_jose_are_accepted(jose_hs256, shared_secret, anonymous):
    token = jose_hs256({"sub": "next-user", "email": "next@example.com"}, shared_secret)
    assert call(anonymous, "get", "/api/tasks", token).status_code == 200


def test_jose_tokens_with_issuer_and_audience_are_checked(
    jose_hs256, shared_secret, anonymous, settings
):
    settings.BETTER_AUTH_ISSUER = "http://localhost:3000"
    settings.BETTER_AUTH_AUDIENCE = "http://localhost:8000"
    right = jose_hs256(
        {"sub": "next-user"},
        shared_secret,
        issuer="http://localhost:3000",
        audience="http://localhost:8000",
    )
    assert call(anonymous, "get", "/api/tasks", right).status_code == 200
    wrong = jose_hs256({"sub": "next-user"}, shared_secret, issuer="http://evil.example.com")
    assert call(anonymous, "get", "/api/tasks", wrong).status_code == 401


def test_a_jose_token_with_another_secret_is_refused(jose_hs256, anonymous):
    token = jose_hs256({"sub": "next-user"}, secrets.token_urlsafe(32))
    assert call(anonymous, "get", "/api/tasks", token).status_code == 401


def test_the_production_server_accepts_better_auth_tokens(better_auth_server):
    """Over real HTTP, under the production server with DEBUG off, as a deployment runs."""
    server = better_auth_server("EdDSA")
    alice = server.sign_up(new_email("alice"))
    bob = server.sign_up(new_email("bob"))
    env = {"SECRET_KEY": secrets.token_urlsafe(50), "BETTER_AUTH_URL": server.url}
    with live_server(env) as url:
        created = http("POST", f"{url}/api/tasks", token=alice, body={"title": "over http"})
        assert created.status == 201
        task = created.json()
        assert http("GET", f"{url}/api/tasks", token=alice).json() == [task]
        assert http("GET", f"{url}/api/tasks", token=bob).json() == []
        assert http("GET", f"{url}/api/tasks/{task['id']}", token=bob).status == 403
        toggled = http("PATCH", f"{url}/api/tasks/{task['id']}/complete", token=alice)
        assert toggled.json()["completed"] is True
        assert http("DELETE", f"{url}/api/tasks/{task['id']}", token=alice).status == 204
