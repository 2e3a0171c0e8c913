"""manage.py verify_token explains a session token: mode, signature, session, user."""

import secrets
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .better_auth_tables import api_reads, better_auth_tables, sign
from .session_server import SessionServer, session_answer

pytestmark = pytest.mark.django_db

FORGER = secrets.token_urlsafe(32)


def verify(token):
    out = StringIO()
    try:
        call_command("verify_token", token, stdout=out)
    except CommandError as e:
        return out.getvalue(), str(e)
    return out.getvalue(), None


@pytest.fixture
def tables(tmp_path, settings):
    settings.BETTER_AUTH_SESSIONS = "database"
    with better_auth_tables(tmp_path) as tables, api_reads(tables.url):
        yield tables


@pytest.fixture
def alice(tables):
    user_id = tables.add_user("alice@example.com", "Alice")
    return user_id, tables.add_session(user_id)


def test_a_signed_token_of_a_live_session_is_explained_and_accepted(alice, shared_secret):
    user_id, token = alice
    output, error = verify(f"Bearer {sign(token, shared_secret)}")
    assert error is None
    assert "session tokens: database (tables 'session' and 'user'" in output
    assert "a Better Auth session token (signed, <token>.<signature>)" in output
    assert "signature: ok" in output
    assert "session: found, expires at" in output
    assert f"user: '{user_id}' (email 'alice@example.com', name 'Alice')" in output
    assert f"ACCEPTED: user '{user_id}'" in output


def test_the_url_encoded_form_is_named(alice, shared_secret):
    encoded = sign(alice[1], shared_secret).replace("=", "%3D").replace("+", "%2B")
    output, error = verify(encoded)
    assert error is None
    assert "URL-encoded" in output


def test_a_forged_signature_is_named(alice):
    output, error = verify(sign(alice[1], FORGER))
    assert "signature: does not match BETTER_AUTH_SECRET" in output
    assert error.startswith("REJECTED (signature)")


def test_an_unsigned_token_is_named(alice):
    output, error = verify(alice[1])
    assert "signature: none" in output
    assert error is None


def test_without_the_secret_a_signed_token_cannot_be_checked(alice, settings, shared_secret):
    settings.BETTER_AUTH_SECRET = ""
    output, error = verify(sign(alice[1], shared_secret))
    assert "signature: cannot be checked: BETTER_AUTH_SECRET is not set" in output
    assert error.startswith("REJECTED (signature)")


def test_an_expired_session_is_named(tables, alice):
    tables.expire(alice[1])
    output, error = verify(alice[1])
    assert "session: found, expired at" in output
    assert error.startswith("REJECTED (expired)")


def test_an_unknown_session_is_named(tables):
    output, error = verify("an-unknown-session-token-0123456")
    assert "session: not found" in output
    assert error.startswith("REJECTED (session)")


def test_missing_tables_are_named(tables, alice):
    tables.drop()
    output, error = verify(alice[1])
    assert error.startswith("REJECTED (sessions_unreachable)")


def test_with_sessions_off_a_session_token_is_named_and_refused():
    output, error = verify("pm8l3GBF6zkZTvH4rbA4kCX3oXDhfyTu")
    assert "session tokens: refused (BETTER_AUTH_SESSIONS is not set)" in output
    assert error.startswith("REJECTED (sessions_off)")


def test_remote_mode_is_explained(settings):
    server = SessionServer()
    try:
        server.sessions["remote-token"] = session_answer("remote-token")
        settings.BETTER_AUTH_SESSIONS = "remote"
        settings.BETTER_AUTH_URL = server.origin
        settings.BETTER_AUTH_SECRET = ""
        output, error = verify(sign("remote-token", FORGER))
    finally:
        server.close()
    assert f"session tokens: remote ({server.origin}/api/auth/get-session" in output
    assert "signature: not checked here (no BETTER_AUTH_SECRET): left to Better Auth" in output
    assert "user: 'alice-id'" in output
    assert error is None


def test_the_secret_is_never_printed(alice, shared_secret):
    output, error = verify(sign(alice[1], shared_secret))
    assert shared_secret not in output
