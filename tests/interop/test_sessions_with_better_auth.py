"""
Session tokens from the real thing: Better Auth (the npm package) with the
bearer plugin and no jwt plugin, on a PostgreSQL database of its own, signing
users up and in over HTTP. Each test runs in both modes: the API reading
Better Auth's tables, and the API asking Better Auth.
"""

import secrets
import time
import uuid
from contextlib import ExitStack
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from authn import sessions
from authn.models import User

from ..better_auth_tables import api_reads
from ..live import http, live_server
from ..test_configuration import run_manage

pytestmark = [pytest.mark.django_db, pytest.mark.interop]

# A well-formed signature that is not the session's.
FORGER_SIGNATURE = "7n01GlLOPvps3ItX1zBTAy8Lg1eVUa6gS8+HrXcb2v4="


def new_email(name):
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def better_auth(better_auth_session_server, shared_secret):
    """Better Auth with the same secret as the API, as in a deployment."""
    return better_auth_session_server(shared_secret)


@pytest.fixture(params=["database", "remote"])
def mode(request, better_auth, settings):
    """The API reading Better Auth's tables, or asking Better Auth."""
    settings.BETTER_AUTH_SESSIONS = request.param
    with ExitStack() as stack:
        if request.param == "database":
            stack.enter_context(api_reads(better_auth.database_url))
        else:
            settings.BETTER_AUTH_URL = better_auth.url
        yield request.param


@pytest.fixture
def later(monkeypatch):
    """Moves the clock of the remembered sessions past the cache time."""

    def move(seconds=5):
        now = sessions.remembered.clock()
        monkeypatch.setattr(sessions.remembered, "clock", lambda: now + seconds)

    return move


def call(client, method, path, token, body=None):
    return getattr(client, method)(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def get_tasks(client, token):
    return call(client, "get", "/api/tasks", token)


def assert_refused(response, code="invalid_token"):
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_set_auth_token_of_sign_in_is_accepted(better_auth, mode, anonymous):
    email = new_email("alice")
    better_auth.sign_up(email, name="Alice")
    alice = better_auth.sign_in(email)
    assert get_tasks(anonymous, alice.token).status_code == 200
    user = User.objects.get(pk=alice.user_id)
    assert (user.email, user.name) == (email, "Alice")


def test_the_raw_token_is_accepted(better_auth, mode, anonymous):
    alice = better_auth.sign_up(new_email("alice"))
    assert get_tasks(anonymous, alice.raw_token).status_code == 200


def test_the_url_encoded_cookie_value_is_accepted(better_auth, mode, anonymous):
    alice = better_auth.sign_up(new_email("alice"))
    assert "%" in alice.cookie_value
    assert get_tasks(anonymous, alice.cookie_value).status_code == 200


def test_a_forged_signature_on_a_live_session_is_refused(better_auth, mode, anonymous):
    alice = better_auth.sign_up(new_email("alice"))
    assert_refused(get_tasks(anonymous, f"{alice.raw_token}.{FORGER_SIGNATURE}"))


def test_without_the_secret_better_auth_refuses_a_forged_signature_itself(
    better_auth, settings, anonymous
):
    settings.BETTER_AUTH_SESSIONS = "remote"
    settings.BETTER_AUTH_URL = better_auth.url
    settings.BETTER_AUTH_SECRET = ""
    alice = better_auth.sign_up(new_email("alice"))
    assert get_tasks(anonymous, alice.token).status_code == 200
    assert_refused(get_tasks(anonymous, f"{alice.raw_token}.{FORGER_SIGNATURE}"))


def test_an_unknown_token_is_refused(better_auth, mode, anonymous):
    assert_refused(get_tasks(anonymous, secrets.token_hex(16)))


def test_two_users_each_see_only_their_own_tasks(better_auth, mode, anonymous):
    alice = better_auth.sign_up(new_email("alice"), name="Alice")
    bob = better_auth.sign_up(new_email("bob"), name="Bob")
    created = call(anonymous, "post", "/api/tasks", alice.token, {"title": "Alice's task"})
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert call(anonymous, "post", "/api/tasks", bob.token, {"title": "Bob's"}).status_code == 201
    assert [t["title"] for t in get_tasks(anonymous, alice.token).json()] == ["Alice's task"]
    assert [t["title"] for t in get_tasks(anonymous, bob.token).json()] == ["Bob's"]
    assert call(anonymous, "get", f"/api/tasks/{task_id}", bob.token).status_code == 403
    assert call(anonymous, "delete", f"/api/tasks/{task_id}", bob.token).status_code == 403
    assert call(anonymous, "get", f"/api/{bob.user_id}/tasks", alice.token).status_code == 403


def test_a_signed_out_session_is_refused_within_the_cache_time(better_auth, mode, anonymous, later):
    alice = better_auth.sign_up(new_email("alice"))
    assert get_tasks(anonymous, alice.token).status_code == 200
    better_auth.sign_out(alice)
    later(5)
    assert_refused(get_tasks(anonymous, alice.token))


def test_an_expired_session_is_refused_within_the_cache_time(better_auth, mode, anonymous, later):
    alice = better_auth.sign_up(new_email("alice"))
    assert get_tasks(anonymous, alice.token).status_code == 200
    better_auth.sql(
        """UPDATE "session" SET "expiresAt" = now() - interval '1 minute' WHERE "token" = %s""",
        [alice.raw_token],
    )
    later(5)
    # Better Auth answers an expired session like an unknown one.
    assert_refused(
        get_tasks(anonymous, alice.token),
        "token_expired" if mode == "database" else "invalid_token",
    )


def test_a_jwt_is_still_accepted_beside_session_tokens(better_auth, mode, anonymous, make_token):
    alice = better_auth.sign_up(new_email("alice"))
    call(anonymous, "post", "/api/tasks", alice.token, {"title": "made with a session"})
    jwt_answer = get_tasks(anonymous, make_token(alice.user_id))
    assert jwt_answer.status_code == 200
    assert [t["title"] for t in jwt_answer.json()] == ["made with a session"]


def test_email_and_name_follow_better_auth(better_auth, mode, anonymous, later):
    alice = better_auth.sign_up(new_email("alice"), name="Alice")
    get_tasks(anonymous, alice.token)
    better_auth.update_user(alice, name="Alice Smith")
    later(5)
    assert get_tasks(anonymous, alice.token).status_code == 200
    assert User.objects.get(pk=alice.user_id).name == "Alice Smith"


def test_the_api_never_writes_better_auths_tables(better_auth, mode, anonymous, settings):
    # Every request goes to the source; the harness's updateAge of 0 makes a
    # get-session that may refresh a session write a new expiresAt.
    settings.BETTER_AUTH_SESSION_CACHE_SECONDS = 0
    alice = better_auth.sign_up(new_email("alice"))
    before = better_auth.snapshot()
    for token in (
        alice.token,
        alice.raw_token,
        alice.cookie_value,
        f"{alice.raw_token}.{FORGER_SIGNATURE}",
        secrets.token_hex(16),
    ):
        get_tasks(anonymous, token)
        call(anonymous, "post", "/api/tasks", token, {"title": "x"})
    assert better_auth.snapshot() == before


def test_verify_token_explains_a_set_auth_token(better_auth, mode):
    alice = better_auth.sign_up(new_email("alice"), name="Alice")
    out = StringIO()
    call_command("verify_token", alice.token, stdout=out)
    assert f"session tokens: {mode}" in out.getvalue()
    assert "signature: ok" in out.getvalue()
    assert f"ACCEPTED: user '{alice.user_id}'" in out.getvalue()
    better_auth.sign_out(alice)
    with pytest.raises(CommandError, match=r"REJECTED \(session\)"):
        call_command("verify_token", alice.token, stdout=StringIO())


def test_better_auth_down_is_503_once_nothing_remembered_fits(
    better_auth_session_server, shared_secret, settings, anonymous, later
):
    server = better_auth_session_server(shared_secret, fresh=True)
    settings.BETTER_AUTH_SESSIONS = "remote"
    settings.BETTER_AUTH_URL = server.url
    alice = server.sign_up(new_email("alice"))
    bob = server.sign_up(new_email("bob"))
    assert get_tasks(anonymous, alice.token).status_code == 200
    server.stop_server()
    assert get_tasks(anonymous, alice.token).status_code == 200
    response = get_tasks(anonymous, bob.token)
    assert response.status_code == 503
    assert response.json()["code"] == "auth_unavailable"
    later(5)
    assert get_tasks(anonymous, alice.token).status_code == 503


def test_migrate_leaves_better_auths_tables_alone(better_auth_session_server, shared_secret):
    """One database shared by Better Auth and the API, as on Neon."""
    server = better_auth_session_server(shared_secret, fresh=True)
    server.sign_up(new_email("alice"))
    columns = """SELECT table_name, column_name, data_type FROM information_schema.columns
                 WHERE table_schema = 'public' ORDER BY 1, 2"""
    schema, rows = server.sql(columns), server.snapshot()
    env = {"DATABASE_URL": server.database_url, "BETTER_AUTH_SESSIONS": "database"}
    result = run_manage("migrate", "--no-input", **env)
    assert result.returncode == 0, result.stderr
    assert server.sql("SELECT count(*) FROM authn_user") == [(0,)]
    assert [c for c in server.sql(columns) if c[0] in server.snapshot()] == schema
    assert server.snapshot() == rows
    refused = run_manage("migrate", "--no-input", "--database", "better_auth", **env)
    assert "this API never migrates it" in refused.stderr


@pytest.mark.parametrize("session_mode", ["database", "remote"])
def test_sign_out_makes_the_next_call_a_401_over_http(better_auth, shared_secret, session_mode):
    """As a new user tries it: sign in, call the API with set-auth-token, sign out."""
    email = new_email("alice")
    better_auth.sign_up(email)
    alice = better_auth.sign_in(email)
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": shared_secret,
        "BETTER_AUTH_SESSIONS": session_mode,
        "BETTER_AUTH_SESSION_CACHE_SECONDS": "1",
    }
    if session_mode == "database":
        env["BETTER_AUTH_SESSION_DATABASE_URL"] = better_auth.database_url
    else:
        env["BETTER_AUTH_URL"] = better_auth.url
    with live_server(env) as url:
        created = http("POST", f"{url}/api/tasks", token=alice.token, body={"title": "over http"})
        assert created.status == 201
        assert http("GET", f"{url}/api/tasks", token=alice.token).json() == [created.json()]
        better_auth.sign_out(alice)
        deadline = time.monotonic() + 5
        while (answer := http("GET", f"{url}/api/tasks", token=alice.token)).status == 200:
            assert time.monotonic() < deadline, "the signed-out session was still accepted"
            time.sleep(0.2)
        assert answer.status == 401
        assert answer.json()["code"] == "invalid_token"
