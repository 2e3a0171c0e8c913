"""
The shape of a Better Auth session token and its signature, as the contract
spells them; the source of sessions is tested in test_session_database.py
and test_session_remote.py.
"""

import base64
import hashlib
import hmac
import secrets

import pytest

from authn import sessions
from authn.tokens import TokenRejected

from .better_auth_tables import sign

TOKEN = "pm8l3GBF6zkZTvH4rbA4kCX3oXDhfyTu"
SECRET = secrets.token_urlsafe(32)


def signature_of(token, secret=SECRET) -> bytes:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()


def test_a_session_token_has_one_or_two_parts_and_a_jwt_three():
    assert sessions.has_session_shape(TOKEN)
    assert sessions.has_session_shape(sign(TOKEN, SECRET))
    assert not sessions.has_session_shape("header.claims.signature")


def test_an_unsigned_token_is_the_token_alone():
    assert sessions.split_token(TOKEN) == (TOKEN, None)


def test_a_signed_token_is_the_token_and_its_signature():
    token, signature = sessions.split_token(sign(TOKEN, SECRET))
    assert token == TOKEN
    assert base64.b64decode(signature) == signature_of(TOKEN)


def test_the_url_encoded_form_of_the_cookie_is_read_as_the_same_token():
    signed = sign(TOKEN, SECRET)
    encoded = signed.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D")
    lower = signed.replace("/", "%2f").replace("+", "%2b").replace("=", "%3d")
    assert sessions.split_token(encoded) == sessions.split_token(signed)
    assert sessions.split_token(lower) == sessions.split_token(signed)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        ".",
        f"{TOKEN}.",
        f".{TOKEN}",
        f"{TOKEN}%2Esig%2Eextra",
        "t" * 256,
        f"{TOKEN}.{'s' * 2000}",
        "tok\x00en",
        "tök",
        "%FF%FE",
    ],
)
def test_anything_else_is_malformed(raw):
    with pytest.raises(TokenRejected) as caught:
        sessions.split_token(raw)
    assert caught.value.check == "malformed"


def test_the_signature_is_the_base64_hmac_sha256_of_the_token():
    token, signature = sessions.split_token(sign(TOKEN, SECRET))
    sessions.check_signature(token, signature, SECRET)


@pytest.mark.parametrize(
    "signature",
    [
        base64.b64encode(signature_of(TOKEN, secrets.token_urlsafe(32))).decode(),
        base64.b64encode(signature_of("another-token")).decode(),
        base64.b64encode(signature_of(TOKEN)[:-1]).decode(),
        base64.b64encode(signature_of(TOKEN) + b"\x00").decode(),
        "not base64!",
        "====",
        base64.b64encode(signature_of(TOKEN)).decode() + "===",
    ],
)
def test_any_other_signature_is_refused(signature):
    with pytest.raises(TokenRejected) as caught:
        sessions.check_signature(TOKEN, signature, SECRET)
    assert caught.value.check == "signature"


def test_the_unpadded_and_url_safe_spellings_are_read_as_better_auth_reads_them():
    raw = signature_of(TOKEN)
    for spelling in (
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ):
        sessions.check_signature(TOKEN, spelling, SECRET)


def test_the_signature_is_compared_in_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(
        sessions.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b)
    )
    with pytest.raises(TokenRejected):
        sessions.check_signature(TOKEN, base64.b64encode(b"x" * 32).decode(), SECRET)
    assert compared == [(signature_of(TOKEN), b"x" * 32)]


@pytest.mark.django_db
def test_with_sessions_off_a_session_token_is_an_invalid_token(anonymous):
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {sign(TOKEN, SECRET)}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["database", "remote"])
def test_a_malformed_session_token_is_refused_before_any_source_is_asked(anonymous, settings, mode):
    # Neither a better_auth connection nor a server exists: asking would be a 503.
    settings.BETTER_AUTH_SESSIONS = mode
    settings.BETTER_AUTH_URL = "http://127.0.0.1:9"
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {TOKEN}.")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.django_db
def test_a_forged_signature_is_refused_before_any_source_is_asked(anonymous, settings):
    settings.BETTER_AUTH_SESSIONS = "database"
    forged = f"{TOKEN}.{base64.b64encode(b'x' * 32).decode()}"
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid token", "code": "invalid_token"}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_a_jwt_shaped_token_still_goes_to_the_jwt_checks(anonymous, settings, make_token):
    settings.BETTER_AUTH_SESSIONS = "database"
    assert (
        anonymous.get(
            "/api/tasks", HTTP_AUTHORIZATION=f"Bearer {make_token('alice-id')}"
        ).status_code
        == 200
    )
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION="Bearer a.b.c")
    assert response.status_code == 401
