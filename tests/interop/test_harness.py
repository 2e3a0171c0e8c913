"""Proves the interop harness works and documents what Better Auth 1.7 emits.

Uses PyJWT only (no Django): `pip install 'pyjwt[crypto]'`.
"""

import uuid

import jwt
import pytest

ALGS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]


def verify_with_jwks(token: str, server) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in server.jwks()["keys"] if k["kid"] == kid]
    key = jwt.PyJWK(jwk)
    return jwt.decode(token, key, algorithms=[server.alg], audience=server.url, issuer=server.url)


@pytest.mark.parametrize("alg", ALGS)
def test_better_auth_jwt_verifies_with_jwks(better_auth_server, alg):
    server = better_auth_server(alg)
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    session = server.sign_up_session(email, name="Ada")
    token = session.token()

    # Header: exactly alg + kid; no "typ".
    header = jwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid"} and header["alg"] == alg
    # JWKS entries carry alg and kid but no "use".
    (jwk,) = server.jwks()["keys"]
    assert jwk["alg"] == alg and "use" not in jwk

    claims = verify_with_jwks(token, server)
    assert isinstance(claims["sub"], str) and claims["sub"]
    assert claims["sub"] == claims["id"] == session.user_id
    assert claims["email"] == email and claims["name"] == "Ada"
    assert claims["emailVerified"] is False
    assert claims["exp"] - claims["iat"] == 900
    assert claims["iss"] == claims["aud"] == server.url  # aud is a string, not a list

    # The get-session header token is signed by the same key for the same user.
    assert verify_with_jwks(session.session_jwt(), server)["sub"] == claims["sub"]


def test_fresh_servers_have_their_own_keys(better_auth_server):
    a = better_auth_server("EdDSA")
    b = better_auth_server("EdDSA", fresh=True)
    assert a.url != b.url
    token = b.sign_up(f"{uuid.uuid4().hex[:12]}@example.com")
    assert jwt.get_unverified_header(token)["kid"] not in {k["kid"] for k in a.jwks()["keys"]}
    assert verify_with_jwks(token, b)["iss"] == b.url


def test_jose_hs256_verifies_with_pyjwt(jose_hs256):
    secret = "s" * 40
    token = jose_hs256(
        {"sub": "user-1", "email": "u@example.com"},
        secret,
        issuer="http://localhost:3000",
        audience="todo-api",
    )
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, secret, algorithms=["HS256"], issuer="http://localhost:3000", audience="todo-api"
    )
    assert claims["sub"] == "user-1" and claims["exp"] - claims["iat"] == 900
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "x" * 40, algorithms=["HS256"], audience="todo-api")
