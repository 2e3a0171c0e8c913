"""
Remote mode: session tokens checked by asking Better Auth's get-session, here
a stand-in over real HTTP that can fail in every way the contract names (the
real package is in tests/interop/test_sessions_with_better_auth.py).
"""

import secrets
import socket
import time

import pytest

from authn import sessions
from authn.models import User

from .better_auth_tables import sign
from .session_server import SessionServer, session_answer

OTHER_SECRET = secrets.token_urlsafe(32)
pytestmark = pytest.mark.django_db

TOKEN = "pm8l3GBF6zkZTvH4rbA4kCX3oXDhfyTu"


@pytest.fixture
def better_auth(settings):
    server = SessionServer()
    server.sessions[TOKEN] = session_answer(TOKEN)
    settings.BETTER_AUTH_SESSIONS = "remote"
    # A path, as a frontend's base URL may have: only its origin is used.
    settings.BETTER_AUTH_URL = f"{server.origin}/app"
    yield server
    server.close()


def get_tasks(client, token):
    return client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_status(response, status, code):
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.fixture
def later(monkeypatch):
    def move(seconds):
        now, then = sessions.remembered.clock(), sessions.remote.clock()
        monkeypatch.setattr(sessions.remembered, "clock", lambda: now + seconds)
        monkeypatch.setattr(sessions.remote, "clock", lambda: then + seconds)

    return move


def test_the_header_is_forwarded_as_received_without_refreshing_the_session(
    anonymous, better_auth, shared_secret
):
    signed = sign(TOKEN, shared_secret).replace("+", "%2B").replace("/", "%2F")
    assert get_tasks(anonymous, signed).status_code == 200
    assert better_auth.requests == [
        ("/api/auth/get-session?disableRefresh=true", f"Bearer {signed}")
    ]


def test_the_user_row_follows_the_answer(anonymous, better_auth, later):
    assert get_tasks(anonymous, TOKEN).status_code == 200
    user = User.objects.get(pk="alice-id")
    assert (user.email, user.name) == ("alice@example.com", "Alice")
    better_auth.sessions[TOKEN] = session_answer(TOKEN, email="a@new.example.com", name="A")
    later(5)
    get_tasks(anonymous, TOKEN)
    user.refresh_from_db()
    assert (user.email, user.name) == ("a@new.example.com", "A")


def test_a_forged_signature_is_refused_without_asking_when_the_secret_is_known(
    anonymous, better_auth
):
    response = get_tasks(anonymous, sign(TOKEN, OTHER_SECRET))
    assert_status(response, 401, "invalid_token")
    assert better_auth.requests == []


def test_without_the_secret_the_signature_is_left_to_better_auth(anonymous, better_auth, settings):
    settings.BETTER_AUTH_SECRET = ""
    forged = sign(TOKEN, OTHER_SECRET)
    get_tasks(anonymous, forged)
    assert better_auth.requests == [
        ("/api/auth/get-session?disableRefresh=true", f"Bearer {forged}")
    ]


def test_a_null_answer_is_an_invalid_token(anonymous, better_auth):
    assert_status(get_tasks(anonymous, "an-unknown-session-token-012345"), 401, "invalid_token")


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_by_better_auth_is_an_invalid_token(anonymous, better_auth, status):
    better_auth.status = status
    better_auth.body = b'{"code": "UNAUTHORIZED"}'
    assert_status(get_tasks(anonymous, TOKEN), 401, "invalid_token")


@pytest.mark.parametrize(
    "status, body",
    [
        (500, b'{"code": "INTERNAL_SERVER_ERROR"}'),
        (502, b"<html>Bad Gateway</html>"),
        (503, b""),
        (429, b'{"message": "Too many requests"}'),
        (200, b"<!DOCTYPE html><html>Next.js 404 page</html>"),
        (200, b'{"ok": true}'),
        (200, b"[]"),
        (404, b"Not Found"),
        (302, b""),
    ],
)
def test_anything_but_a_session_or_a_refusal_is_503(anonymous, better_auth, status, body):
    better_auth.status = status
    better_auth.body = body
    assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")
    # One call, no retry, and a redirect is not followed.
    assert len(better_auth.requests) == 1


def test_an_answer_about_another_user_is_503(anonymous, better_auth):
    answer = session_answer(TOKEN)
    answer["user"]["id"] = "someone-else"
    better_auth.sessions[TOKEN] = answer
    assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")


def test_a_stalled_better_auth_times_out_to_503(anonymous, better_auth, settings):
    settings.BETTER_AUTH_SESSION_TIMEOUT_SECONDS = 0.3
    better_auth.delay = 3
    started = time.monotonic()
    assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")
    assert time.monotonic() - started < 2


def test_better_auth_down_is_503(anonymous, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.BETTER_AUTH_SESSIONS = "remote"
    settings.BETTER_AUTH_URL = f"http://127.0.0.1:{port}"
    assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")


def test_after_a_failure_better_auth_is_left_alone_for_a_moment(anonymous, better_auth, later):
    better_auth.status = 500
    for _ in range(5):
        assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")
    assert len(better_auth.requests) == 1
    better_auth.status = 200
    better_auth.body = None
    later(sessions.REMOTE_BACKOFF_SECONDS)
    assert get_tasks(anonymous, TOKEN).status_code == 200
    assert len(better_auth.requests) == 2


def test_a_remembered_session_costs_no_call_and_serves_while_better_auth_is_down(
    anonymous, better_auth, later
):
    assert get_tasks(anonymous, TOKEN).status_code == 200
    better_auth.status = 500
    assert get_tasks(anonymous, TOKEN).status_code == 200
    assert len(better_auth.requests) == 1
    later(5)
    assert_status(get_tasks(anonymous, TOKEN), 503, "auth_unavailable")


def test_a_signed_out_session_is_refused_once_the_cache_time_is_over(anonymous, better_auth, later):
    assert get_tasks(anonymous, TOKEN).status_code == 200
    del better_auth.sessions[TOKEN]
    later(5)
    assert_status(get_tasks(anonymous, TOKEN), 401, "invalid_token")


def test_a_remembered_session_past_its_expiry_is_token_expired(
    anonymous, better_auth, settings, later
):
    settings.BETTER_AUTH_SESSION_CACHE_SECONDS = 3600
    better_auth.sessions[TOKEN] = session_answer(TOKEN, expires_in=30)
    assert get_tasks(anonymous, TOKEN).status_code == 200
    later(31)
    assert_status(get_tasks(anonymous, TOKEN), 401, "token_expired")
    assert len(better_auth.requests) == 1


def test_a_user_id_that_fits_no_row_is_refused(anonymous, better_auth):
    better_auth.sessions[TOKEN] = session_answer(TOKEN, user_id="x" * 300)
    assert_status(get_tasks(anonymous, TOKEN), 401, "invalid_token")


def test_a_jwt_is_still_checked_locally(anonymous, better_auth, make_token):
    assert get_tasks(anonymous, make_token("alice-id")).status_code == 200
    assert better_auth.requests == []
