"""
Forged and malformed tokens, after RFC 8725 (JWT best current practices):
each one is a 401 with the shared error body, never a 500, in both modes at
once, through the test client and over real HTTP under the production server.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

import pytest
from cryptography.hazmat.primitives import serialization

from .jwks_server import JWKSServer
from .live import http, live_server

SECRET = secrets.token_urlsafe(32)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value) -> str:
    return b64url(json.dumps(value).encode())


def hs256(header: dict, claims, key: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def forged_tokens(jwks: JWKSServer, good_key) -> dict[str, str]:
    """Name -> token. ``good_key`` is a published Ed25519 key; the secret is SECRET."""
    now = int(time.time())
    claims = {
        "sub": "victim-id",
        "iat": now,
        "exp": now + 600,
        "iss": jwks.origin,
        "aud": jwks.origin,
    }
    rsa_key = jwks.add_key("RS256")
    public_pem = rsa_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacker = JWKSServer()
    evil = attacker.add_key(kid=good_key.kid)
    attacker.close()

    def with_claims(**changes):
        return {k: v for k, v in {**claims, **changes}.items() if v is not None}

    def secret_signed(**changes):
        return hs256({"alg": "HS256", "typ": "JWT"}, with_claims(**changes), SECRET.encode())

    tokens = {
        "alg none": f"{segment({'alg': 'none'})}.{segment(claims)}.",
        "alg None": f"{segment({'alg': 'None', 'kid': good_key.kid})}.{segment(claims)}.",
        "alg missing": f"{segment({'typ': 'JWT'})}.{segment(claims)}.",
        "hs256 with the rsa public key": hs256(
            {"alg": "HS256", "kid": rsa_key.kid}, claims, public_pem
        ),
        "hs256 with the public jwk as secret": hs256(
            {"alg": "HS256", "kid": good_key.kid},
            claims,
            json.dumps(good_key.public_jwk).encode(),
        ),
        "kid with sql": evil.sign(claims, kid="' OR '1'='1' --"),
        "kid with a path": evil.sign(claims, kid="../../../../../../dev/null"),
        "kid with a url": evil.sign(claims, kid="http://127.0.0.1:9/key"),
        "kid that is huge": evil.sign(claims, kid="k" * 5000),
        "crit header": good_key.sign(claims, crit=["exp"]),
        "jku header": evil.sign(claims, jku=attacker.url),
        "jwk header": evil.sign(claims, jwk=evil.public_jwk),
        "x5u header": evil.sign(claims, x5u=attacker.url),
        "x5c header": evil.sign(claims, x5c=["MIIB"]),
        "signed by an unpublished key": evil.sign(claims),
        "signature stripped": good_key.sign(claims).rsplit(".", 1)[0] + ".",
        "signature of another token": good_key.sign(claims).rsplit(".", 1)[0]
        + "."
        + good_key.sign(with_claims(sub="x")).rsplit(".", 1)[1],
        "expired beyond the leeway": good_key.sign(with_claims(exp=now - 120)),
        "nbf in the future": good_key.sign(with_claims(nbf=now + 3600)),
        "iat in the future": good_key.sign(with_claims(iat=now + 3600)),
        "exp missing": good_key.sign(with_claims(exp=None)),
        "exp as a string": secret_signed(exp=str(now + 600)),
        "exp true": secret_signed(exp=True),
        "iat as a string": secret_signed(iat=str(now)),
        "sub missing": good_key.sign(with_claims(sub=None)),
        "sub empty": good_key.sign(with_claims(sub="")),
        "sub a number": secret_signed(sub=12345),
        "sub a list": secret_signed(sub=["victim-id"]),
        "sub with control characters": secret_signed(sub="victim\nid"),
        "wrong iss": good_key.sign(with_claims(iss="https://evil.example.com")),
        "wrong aud": good_key.sign(with_claims(aud="https://evil.example.com")),
        "aud list without ours": good_key.sign(with_claims(aud=["https://evil.example.com"])),
        "hs256 with another secret": hs256(
            {"alg": "HS256"}, with_claims(), secrets.token_bytes(32)
        ),
        "hs512 with the secret": hs256({"alg": "HS512"}, with_claims(), SECRET.encode()),
        "payload is an array": f"{segment({'alg': 'HS256'})}.{segment([1, 2])}.x",
        "header is not json": f"{b64url(b'not json')}.{segment(claims)}.x",
        "two segments": f"{segment({'alg': 'HS256'})}.{segment(claims)}",
        "four segments": secret_signed() + ".extra",
        "not base64": "!!!.@@@.###",
        "oversized": secret_signed(padding="x" * 7000),
    }
    return tokens


@pytest.fixture
def catalogue(jwks_server, settings):
    settings.BETTER_AUTH_SECRET = SECRET
    good_key = jwks_server.add_key("EdDSA")
    return jwks_server, good_key, forged_tokens(jwks_server, good_key)


@pytest.mark.django_db
def test_every_forged_token_is_a_401_never_a_500(anonymous, catalogue, jwt_claims, capsys):
    jwks, good_key, tokens = catalogue
    genuine = good_key.sign(jwt_claims())
    assert anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {genuine}").status_code == 200
    outcomes = {}
    for name, token in tokens.items():
        response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")
        outcomes[name] = (response.status_code, response.json().get("code"))
        assert response["WWW-Authenticate"] == "Bearer", name
    assert {name: outcome for name, outcome in outcomes.items() if outcome[0] != 401} == {}
    assert {code for _, code in outcomes.values()} <= {"invalid_token", "token_expired"}
    with capsys.disabled():
        print(f"\nforged tokens: {len(tokens)} tried, all 401")


def test_forged_tokens_over_http(catalogue):
    jwks, _, tokens = catalogue
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_URL": jwks.origin,
    }
    with live_server(env) as url:
        statuses = {
            name: http("GET", f"{url}/api/tasks", token=token).status
            for name, token in tokens.items()
        }
    assert {name: status for name, status in statuses.items() if status != 401} == {}
