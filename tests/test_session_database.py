"""
Database mode: session tokens checked against Better Auth's own tables, in a
database of the test's own (SQLite or PostgreSQL, as the suite runs).
"""

import secrets

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from authn import sessions
from authn.authentication import known_users
from authn.models import User
from authn.routers import DATABASE_ALIAS

from .better_auth_tables import api_reads, better_auth_tables, sign

OTHER_SECRET = secrets.token_urlsafe(32)
pytestmark = pytest.mark.django_db


@pytest.fixture
def tables(tmp_path, settings):
    settings.BETTER_AUTH_SESSIONS = "database"
    with better_auth_tables(tmp_path) as tables, api_reads(tables.url):
        yield tables


@pytest.fixture
def alice_session(tables):
    user_id = tables.add_user("alice@example.com", "Alice")
    return user_id, tables.add_session(user_id)


def get_tasks(client, token):
    return client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_refused(response, code):
    assert response.status_code == 401
    assert response.json() == {
        "detail": "token expired" if code == "token_expired" else "invalid token",
        "code": code,
    }
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def later(monkeypatch):
    """Moves the clock of the remembered sessions forward."""

    def move(seconds):
        now = sessions.remembered.clock()
        monkeypatch.setattr(sessions.remembered, "clock", lambda: now + seconds)

    return move


def test_a_signed_token_of_a_live_session_is_accepted(anonymous, alice_session, shared_secret):
    user_id, token = alice_session
    response = get_tasks(anonymous, sign(token, shared_secret))
    assert response.status_code == 200
    user = User.objects.get(pk=user_id)
    assert (user.email, user.name) == ("alice@example.com", "Alice")


def test_the_unsigned_token_is_accepted(anonymous, alice_session):
    assert get_tasks(anonymous, alice_session[1]).status_code == 200


def test_the_url_encoded_cookie_form_is_accepted(anonymous, alice_session, shared_secret):
    signed = sign(alice_session[1], shared_secret)
    encoded = signed.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D")
    assert get_tasks(anonymous, encoded).status_code == 200


def test_a_forged_signature_on_a_live_session_is_refused(anonymous, alice_session):
    forged = sign(alice_session[1], OTHER_SECRET)
    assert_refused(get_tasks(anonymous, forged), "invalid_token")


def test_without_the_secret_a_signed_token_is_refused_and_an_unsigned_one_works(
    anonymous, alice_session, shared_secret, settings
):
    settings.BETTER_AUTH_SECRET = ""
    assert_refused(get_tasks(anonymous, sign(alice_session[1], shared_secret)), "invalid_token")
    assert get_tasks(anonymous, alice_session[1]).status_code == 200


def test_an_unknown_token_is_refused(anonymous, tables):
    assert_refused(get_tasks(anonymous, "an-unknown-session-token-0123456"), "invalid_token")


def test_an_expired_session_is_token_expired(anonymous, tables, alice_session):
    tables.expire(alice_session[1])
    assert_refused(get_tasks(anonymous, alice_session[1]), "token_expired")


def test_a_session_of_a_missing_user_is_refused(anonymous, tables, settings):
    settings.BETTER_AUTH_USER_TABLE = "user"
    user_id = tables.add_user("carol@example.com")
    token = tables.add_session(user_id)
    tables.execute('DELETE FROM "user" WHERE "id" = %s', [user_id])
    assert_refused(get_tasks(anonymous, token), "invalid_token")


def test_two_users_each_see_only_their_own_tasks(anonymous, tables, alice_session):
    bob_token = tables.add_session(tables.add_user("bob@example.com", "Bob"))
    alice_token = alice_session[1]
    created = anonymous.post(
        "/api/tasks",
        {"title": "Alice's"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {alice_token}",
    )
    assert created.status_code == 201
    assert get_tasks(anonymous, bob_token).json() == []
    assert [task["title"] for task in get_tasks(anonymous, alice_token).json()] == ["Alice's"]
    other = anonymous.get(
        f"/api/tasks/{created.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {bob_token}"
    )
    assert other.status_code == 403


def test_the_session_and_a_jwt_of_one_user_share_the_user_row(anonymous, alice_session, make_token):
    user_id, token = alice_session
    anonymous.post(
        "/api/tasks", {"title": "x"}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    jwt_tasks = get_tasks(anonymous, make_token(user_id)).json()
    assert [task["title"] for task in jwt_tasks] == ["x"]
    assert User.objects.filter(pk=user_id).count() == 1


def test_email_and_name_follow_better_auths_user_row(anonymous, tables, alice_session, later):
    user_id, token = alice_session
    get_tasks(anonymous, token)
    tables.rename(user_id, email="alice@new.example.com", name="Alice Smith")
    later(5)
    assert get_tasks(anonymous, token).status_code == 200
    user = User.objects.get(pk=user_id)
    assert (user.email, user.name) == ("alice@new.example.com", "Alice Smith")


def test_a_remembered_session_costs_no_query(anonymous, alice_session, django_assert_num_queries):
    # The first request makes the user row, the second reads and remembers it.
    get_tasks(anonymous, alice_session[1])
    get_tasks(anonymous, alice_session[1])
    with CaptureQueriesContext(connections[DATABASE_ALIAS]) as better_auth:
        # The task list only: no session read, no user read.
        with django_assert_num_queries(1):
            assert get_tasks(anonymous, alice_session[1]).status_code == 200
    assert better_auth.captured_queries == []


def test_a_session_is_read_with_one_query_that_writes_nothing(anonymous, alice_session):
    with CaptureQueriesContext(connections[DATABASE_ALIAS]) as better_auth:
        assert get_tasks(anonymous, alice_session[1]).status_code == 200
    (query,) = better_auth.captured_queries
    assert query["sql"].lstrip().upper().startswith("SELECT")


def test_a_signed_out_session_is_refused_once_the_cache_time_is_over(
    anonymous, tables, alice_session, later
):
    token = alice_session[1]
    assert get_tasks(anonymous, token).status_code == 200
    tables.sign_out(token)
    later(4.9)
    assert get_tasks(anonymous, token).status_code == 200
    later(5)
    assert_refused(get_tasks(anonymous, token), "invalid_token")


def test_a_refusal_is_remembered_too(anonymous, tables):
    with CaptureQueriesContext(connections[DATABASE_ALIAS]) as better_auth:
        for _ in range(3):
            assert_refused(get_tasks(anonymous, "not-a-session-0123456789abcdef"), "invalid_token")
    assert len(better_auth.captured_queries) == 1


def test_a_remembered_session_is_never_used_past_its_expiry(anonymous, tables, settings, later):
    settings.BETTER_AUTH_SESSION_CACHE_SECONDS = 3600
    token = tables.add_session(tables.add_user(), expires_in=30)
    assert get_tasks(anonymous, token).status_code == 200
    later(31)
    with CaptureQueriesContext(connections[DATABASE_ALIAS]) as better_auth:
        assert_refused(get_tasks(anonymous, token), "token_expired")
    assert better_auth.captured_queries == []


def test_with_no_cache_time_every_request_reads_the_session(anonymous, alice_session, settings):
    settings.BETTER_AUTH_SESSION_CACHE_SECONDS = 0
    with CaptureQueriesContext(connections[DATABASE_ALIAS]) as better_auth:
        get_tasks(anonymous, alice_session[1])
        get_tasks(anonymous, alice_session[1])
    assert len(better_auth.captured_queries) == 2


def test_missing_tables_are_503_and_remembered_sessions_still_serve(
    anonymous, tables, alice_session, later
):
    remembered = alice_session[1]
    assert get_tasks(anonymous, remembered).status_code == 200
    other = tables.add_session(tables.add_user())
    tables.drop()
    assert get_tasks(anonymous, remembered).status_code == 200
    response = get_tasks(anonymous, other)
    assert response.status_code == 503
    assert response.json()["code"] == "auth_unavailable"
    later(5)
    assert get_tasks(anonymous, remembered).status_code == 503


def test_renamed_tables_are_read_where_the_settings_say(anonymous, tables, settings):
    token = tables.add_session(tables.add_user())
    settings.BETTER_AUTH_SESSION_TABLE = "sessions"
    assert get_tasks(anonymous, token).status_code == 503
    tables.execute('ALTER TABLE "session" RENAME TO "sessions"', [])
    assert get_tasks(anonymous, token).status_code == 200


def test_a_database_that_cannot_be_reached_is_503(anonymous, settings, tmp_path):
    settings.BETTER_AUTH_SESSIONS = "database"
    with api_reads(f"sqlite:///{tmp_path}/no-such-file.sqlite3"):
        response = get_tasks(anonymous, "a-session-token-0123456789abcdef")
    assert response.status_code == 503
    assert response.json()["code"] == "auth_unavailable"


def test_the_api_never_opens_better_auths_sqlite_file_for_writing(tables):
    if not tables.url.startswith("sqlite"):
        pytest.skip("an SQLite file is opened read-only; PostgreSQL is tested in interop")
    with connections[DATABASE_ALIAS].cursor() as cursor:
        with pytest.raises(Exception, match="readonly"):
            cursor.execute('DELETE FROM "session"')


def test_a_user_deactivated_in_the_admin_is_refused(anonymous, alice_session):
    User.objects.create(pk=alice_session[0], is_active=False)
    known_users.clear()
    response = get_tasks(anonymous, alice_session[1])
    assert response.status_code == 401
    assert response.json() == {"detail": "user inactive", "code": "invalid_token"}
