"""
A token's signature is checked once per process, then remembered until its
exp; a revoked key and an expired token are still refused at once.
"""

import time

import pytest

from authn import tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_checks(monkeypatch):
    """Counts the full checks of a token (signature and claims)."""
    calls = []
    check = tokens.check_token

    def counted(*args, **kwargs):
        calls.append(args[0])
        return check(*args, **kwargs)

    monkeypatch.setattr(tokens, "check_token", counted)
    return calls


def get_tasks(client, token):
    return client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_checked_once_then_remembered(anonymous, make_token, full_checks):
    token = make_token("alice-id")
    for _ in range(3):
        assert get_tasks(anonymous, token).status_code == 200
    assert full_checks == [token]


def test_each_token_is_checked_on_its_own(anonymous, make_token, full_checks):
    first, second = make_token("alice-id"), make_token("alice-id", jti="another")
    assert get_tasks(anonymous, first).status_code == 200
    assert get_tasks(anonymous, second).status_code == 200
    assert full_checks == [first, second]


def test_a_bad_token_is_never_remembered(anonymous, make_token, full_checks):
    forged = make_token("alice-id", secret="not-the-secret" * 3)
    for _ in range(2):
        assert get_tasks(anonymous, forged).status_code == 401
    assert full_checks == [forged, forged]


def test_an_expired_token_is_refused_at_once_though_remembered(anonymous, make_token, settings):
    settings.JWT_LEEWAY_SECONDS = 0
    # At least a second left for the first request, whenever in a second it starts.
    exp = int(time.time()) + 2
    token = make_token("alice-id", exp=exp)
    assert get_tasks(anonymous, token).status_code == 200
    time.sleep(exp - time.time() + 0.1)
    response = get_tasks(anonymous, token)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_a_remembered_token_never_outlives_its_exp(make_token, monkeypatch):
    token = make_token("alice-id", exp=int(time.time()) + 60)
    claims = tokens.verify_token(token)
    assert tokens.verified_tokens.get(token) == claims
    monkeypatch.setattr(tokens.verified_tokens, "clock", lambda: claims["exp"])
    assert tokens.verified_tokens.get(token) is None


def test_the_token_itself_is_not_kept(make_token):
    token = make_token("alice-id")
    tokens.verify_token(token)
    assert len(tokens.verified_tokens.entries) == 1
    assert token not in repr(tokens.verified_tokens.entries)


def test_a_new_secret_checks_every_token_again(anonymous, make_token, settings, full_checks):
    token = make_token("alice-id")
    assert get_tasks(anonymous, token).status_code == 200
    settings.BETTER_AUTH_SECRET = "a-completely-different-secret-of-40-chars"
    assert get_tasks(anonymous, token).status_code == 401


def test_a_key_removed_from_the_jwks_is_refused_at_once(
    anonymous, jwks_server, jwt_claims, settings, full_checks
):
    settings.BETTER_AUTH_JWKS_MAX_AGE_SECONDS = 0
    settings.BETTER_AUTH_JWKS_REFETCH_SECONDS = 0
    key = jwks_server.add_key()
    token = key.sign(jwt_claims())
    assert get_tasks(anonymous, token).status_code == 200
    assert get_tasks(anonymous, token).status_code == 200
    jwks_server.keys = [jwks_server.add_key("ES256")]
    response = get_tasks(anonymous, token)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_jwks_token_stays_remembered_while_its_key_is_published(
    anonymous, jwks_server, jwt_claims, full_checks
):
    key = jwks_server.add_key()
    token = key.sign(jwt_claims())
    for _ in range(3):
        assert get_tasks(anonymous, token).status_code == 200
    assert full_checks == [token]
    assert jwks_server.hits == 1


def test_the_memory_is_bounded(make_token, monkeypatch):
    monkeypatch.setattr(tokens.verified_tokens, "max_size", 3)
    for n in range(10):
        tokens.verify_token(make_token(f"user-{n}"))
        assert len(tokens.verified_tokens.entries) <= 3
