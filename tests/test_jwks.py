"""JWKS mode: tokens of Better Auth's jwt plugin, checked against keys served over HTTP."""

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization

from authn.models import User

from .jwks_server import JWKSServer

pytestmark = pytest.mark.django_db

ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]


def get_tasks(client, token):
    return client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_status(response, status, code):
    assert response.status_code == status
    assert response.json()["code"] == code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict, claims: dict, hmac_key: bytes | None) -> str:
    """A token signed by hand, as an attacker would: PyJWT refuses to make these."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is None:
        return f"{signing_input}."
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_it_accepts_every_algorithm_of_the_jwt_plugin(
    anonymous, jwks_server, jwt_claims, algorithm
):
    key = jwks_server.add_key(algorithm)
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200


def test_tasks_belong_to_the_tokens_sub_and_the_row_keeps_the_claims(
    anonymous, jwks_server, jwt_claims
):
    token = jwks_server.add_key().sign(jwt_claims("ba-user-1"))
    created = anonymous.post(
        "/api/tasks", {"title": "x"}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert created.status_code == 201
    user = User.objects.get(pk="ba-user-1")
    assert (user.email, user.name) == ("alice@example.com", "Alice")
    assert user.tasks.count() == 1


def test_email_and_name_follow_the_claims(anonymous, jwks_server, jwt_claims):
    key = jwks_server.add_key()
    get_tasks(anonymous, key.sign(jwt_claims()))
    get_tasks(anonymous, key.sign(jwt_claims(email="alice@new.example.com", name="Alice B")))
    user = User.objects.get(pk="alice-id")
    assert (user.email, user.name) == ("alice@new.example.com", "Alice B")


def test_both_modes_work_at_once(anonymous, jwks_server, jwt_claims, make_token):
    key = jwks_server.add_key()
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200
    assert get_tasks(anonymous, make_token("alice-id")).status_code == 200


def test_hs256_signed_with_the_public_key_is_refused(anonymous, jwks_server, jwt_claims, settings):
    key = jwks_server.add_key("RS256")
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    token = hand_signed(header, jwt_claims(), public_pem)
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")
    settings.BETTER_AUTH_SECRET = ""  # JWKS mode alone
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_an_unsigned_token_is_refused(anonymous, jwks_server, jwt_claims, alg):
    key = jwks_server.add_key()
    token = hand_signed({"alg": alg, "kid": key.kid}, jwt_claims(), None)
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")


@pytest.mark.parametrize("header", ["jku", "jwk", "x5u"])
def test_keys_named_by_the_token_are_never_fetched(anonymous, jwks_server, jwt_claims, header):
    trusted = jwks_server.add_key()
    attacker = JWKSServer()
    try:
        evil = attacker.add_key(kid=trusted.kid)
        value = evil.public_jwk if header == "jwk" else attacker.url
        response = get_tasks(anonymous, evil.sign(jwt_claims(), **{header: value}))
        assert_status(response, 401, "invalid_token")
        assert attacker.hits == 0
        # Even with the trusted key's signature, such a header is refused.
        assert_status(
            get_tasks(anonymous, trusted.sign(jwt_claims(), **{header: value})),
            401,
            "invalid_token",
        )
    finally:
        attacker.close()


def test_a_flood_of_unknown_kids_fetches_once_per_cooldown(anonymous, jwks_server, jwt_claims):
    jwks_server.add_key()
    stranger = JWKSServer()
    try:
        tokens = [stranger.add_key(kid=f"unknown-{n}").sign(jwt_claims()) for n in range(40)]
    finally:
        stranger.close()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda token: get_tasks(anonymous, token).status_code, tokens))
    assert set(statuses) == {401}
    assert jwks_server.hits == 1


def test_a_rotated_key_is_picked_up_after_the_cooldown(
    anonymous, jwks_server, jwt_claims, settings
):
    settings.BETTER_AUTH_JWKS_REFETCH_SECONDS = 0.3
    old = jwks_server.add_key()
    assert get_tasks(anonymous, old.sign(jwt_claims())).status_code == 200
    new = jwks_server.add_key("ES256")
    time.sleep(0.4)
    assert get_tasks(anonymous, new.sign(jwt_claims())).status_code == 200
    # The old key stays published for a while, and keeps working.
    assert get_tasks(anonymous, old.sign(jwt_claims())).status_code == 200
    assert jwks_server.hits == 2


def test_within_the_cooldown_an_unknown_kid_is_a_401_without_a_fetch(
    anonymous, jwks_server, jwt_claims
):
    old = jwks_server.add_key()
    assert get_tasks(anonymous, old.sign(jwt_claims())).status_code == 200
    new = jwks_server.add_key()
    assert_status(get_tasks(anonymous, new.sign(jwt_claims())), 401, "invalid_token")
    assert jwks_server.hits == 1


def test_cached_keys_keep_working_while_the_jwks_is_down(
    anonymous, jwks_server, jwt_claims, settings
):
    key = jwks_server.add_key()
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200
    jwks_server.down = True
    # Even once the cache is old enough to be read again.
    settings.BETTER_AUTH_JWKS_MAX_AGE_SECONDS = 0
    settings.BETTER_AUTH_JWKS_REFETCH_SECONDS = 0
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200
    assert jwks_server.hits == 2


def test_a_key_removed_upstream_stops_working_once_the_cache_is_old(
    anonymous, jwks_server, jwt_claims, settings
):
    key = jwks_server.add_key()
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200
    jwks_server.keys = []
    settings.BETTER_AUTH_JWKS_MAX_AGE_SECONDS = 0
    settings.BETTER_AUTH_JWKS_REFETCH_SECONDS = 0
    assert_status(get_tasks(anonymous, key.sign(jwt_claims())), 401, "invalid_token")


def test_with_the_jwks_down_and_nothing_cached_it_is_a_503(anonymous, jwks_server, jwt_claims):
    key = jwks_server.add_key()
    jwks_server.down = True
    response = get_tasks(anonymous, key.sign(jwt_claims()))
    assert_status(response, 503, "auth_unavailable")
    assert "WWW-Authenticate" not in response


def test_an_unreachable_jwks_is_a_503(anonymous, settings, jwt_claims, jwks_server):
    key = jwks_server.add_key()
    settings.BETTER_AUTH_JWKS_URL = "http://127.0.0.1:9/api/auth/jwks"
    assert_status(get_tasks(anonymous, key.sign(jwt_claims())), 503, "auth_unavailable")


def test_a_slow_jwks_times_out_quickly(anonymous, jwks_server, jwt_claims, settings):
    settings.BETTER_AUTH_JWKS_TIMEOUT_SECONDS = 0.5
    key = jwks_server.add_key()
    jwks_server.delay = 3
    started = time.monotonic()
    assert_status(get_tasks(anonymous, key.sign(jwt_claims())), 503, "auth_unavailable")
    assert time.monotonic() - started < 2.5


def test_after_an_outage_the_jwks_is_fetched_again(anonymous, jwks_server, jwt_claims, settings):
    settings.BETTER_AUTH_JWKS_REFETCH_SECONDS = 0.2
    key = jwks_server.add_key()
    jwks_server.down = True
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 503
    jwks_server.down = False
    time.sleep(0.3)
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 200


@pytest.mark.parametrize(
    "claim, value",
    [
        ("iss", "http://evil.example.com"),
        ("aud", "http://evil.example.com"),
        ("iss", None),
        ("aud", None),
    ],
)
def test_issuer_and_audience_must_be_the_better_auth_origin(
    anonymous, jwks_server, jwt_claims, claim, value
):
    token = jwks_server.add_key().sign(jwt_claims(**{claim: value}))
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")


def test_the_origin_is_taken_from_a_base_url_with_a_path(
    anonymous, jwks_server, jwt_claims, settings
):
    settings.BETTER_AUTH_URL = f"{jwks_server.origin}/api/auth/"
    token = jwks_server.add_key().sign(jwt_claims())
    assert get_tasks(anonymous, token).status_code == 200


def test_issuer_and_audience_can_be_configured(anonymous, jwks_server, jwt_claims, settings):
    settings.BETTER_AUTH_ISSUER = "https://auth.example.com"
    settings.BETTER_AUTH_AUDIENCE = "https://api.example.com"
    key = jwks_server.add_key()
    right = jwt_claims(iss="https://auth.example.com", aud="https://api.example.com")
    assert get_tasks(anonymous, key.sign(right)).status_code == 200
    assert get_tasks(anonymous, key.sign(jwt_claims())).status_code == 401


def test_the_jwks_url_can_be_named_directly(anonymous, jwks_server, jwt_claims, settings):
    jwks_server.path = "/keys.json"
    settings.BETTER_AUTH_JWKS_URL = f"{jwks_server.origin}/keys.json"
    token = jwks_server.add_key().sign(jwt_claims())
    assert get_tasks(anonymous, token).status_code == 200


def test_the_algorithms_can_be_narrowed(anonymous, jwks_server, jwt_claims, settings):
    settings.BETTER_AUTH_JWT_ALGORITHMS = ["EdDSA"]
    assert get_tasks(anonymous, jwks_server.add_key("EdDSA").sign(jwt_claims())).status_code == 200
    token = jwks_server.add_key("ES256").sign(jwt_claims())
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")


def test_a_token_must_use_the_algorithm_of_its_key(anonymous, jwks_server, jwt_claims):
    rsa_key = jwks_server.add_key("RS256")
    token = rsa_key.sign(jwt_claims())
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    header["alg"] = "PS256"
    relabelled = f"{b64url(json.dumps(header).encode())}.{token.split('.', 1)[1]}"
    assert_status(get_tasks(anonymous, relabelled), 401, "invalid_token")


def test_a_token_without_a_kid_is_refused(anonymous, jwks_server, jwt_claims):
    key = jwks_server.add_key()
    token = key.sign(jwt_claims(), kid=None)
    assert_status(get_tasks(anonymous, token), 401, "invalid_token")


def test_an_expired_jwks_token_is_token_expired(anonymous, jwks_server, jwt_claims):
    now = int(time.time())
    token = jwks_server.add_key().sign(jwt_claims(iat=now - 2000, exp=now - 1000))
    assert_status(get_tasks(anonymous, token), 401, "token_expired")
