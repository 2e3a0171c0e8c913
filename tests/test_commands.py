import time
from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def mint(*args):
    out = StringIO()
    call_command("mint_token", *args, stdout=out)
    return out.getvalue().strip()


def verify(token, *args):
    out = StringIO()
    call_command("verify_token", token, *args, stdout=out)
    return out.getvalue()


def test_mint_token_makes_a_token_the_api_accepts(anonymous):
    token = mint("alice-id", "--email", "alice@example.com", "--name", "Alice")
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_mint_token_signs_hs256_with_the_claims_asked_for(shared_secret):
    token = mint("alice-id", "--email", "alice@example.com", "--ttl", "120")
    claims = jwt.decode(token, shared_secret, algorithms=["HS256"])
    assert claims["sub"] == "alice-id"
    assert claims["email"] == "alice@example.com"
    assert claims["exp"] - claims["iat"] == 120


def test_mint_token_adds_the_configured_issuer_and_audience(settings, anonymous):
    settings.BETTER_AUTH_ISSUER = "https://app.example.com"
    settings.BETTER_AUTH_AUDIENCE = "https://api.example.com"
    token = mint("alice-id")
    assert anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_mint_token_makes_a_token_for_mcp_that_only_mcp_takes(settings, anonymous):
    settings.MCP_RESOURCE_URL = "https://api.example.com/mcp"
    settings.MCP_AUTHORIZATION_SERVER = "https://app.example.com/api/auth"
    token = mint("alice-id", "--audience", "mcp")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "https://api.example.com/mcp"
    assert claims["iss"] == "https://app.example.com/api/auth"
    assert mint("alice-id", "--audience", "https://api.example.com/mcp") != ""
    assert anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    listed = anonymous.post(
        "/mcp",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_MCP_PROTOCOL_VERSION="2025-11-25",
    )
    assert listed.status_code == 200
    assert len(listed.json()["result"]["tools"]) == 7


def test_mint_token_needs_mcp_configured_for_an_mcp_token(settings):
    settings.MCP_RESOURCE_URL = ""
    with pytest.raises(CommandError, match="MCP_RESOURCE_URL"):
        mint("alice-id", "--audience", "mcp")


def test_mint_token_needs_a_secret(settings):
    settings.BETTER_AUTH_SECRET = ""
    with pytest.raises(CommandError, match="BETTER_AUTH_SECRET"):
        mint("alice-id")


def test_mint_token_refuses_a_non_positive_ttl():
    with pytest.raises(CommandError, match="ttl"):
        mint("alice-id", "--ttl", "0")


def test_verify_token_accepts_a_good_token(make_token):
    output = verify(make_token("alice-id", email="alice@example.com"))
    assert "ACCEPTED: user 'alice-id'" in output
    assert '"email": "alice@example.com"' in output


def test_verify_token_takes_the_whole_header_value_too(make_token):
    assert "ACCEPTED" in verify(f"Bearer {make_token('alice-id')}")


@pytest.mark.parametrize(
    "claims, check",
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not_yet_valid"),
        ({"secret": "wrong-secret-wrong-secret-wrong-secret!"}, "signature"),
    ],
)
def test_verify_token_says_which_check_fails(make_token, claims, check):
    with pytest.raises(CommandError, match=rf"REJECTED \({check}\)"):
        verify(make_token("alice-id", **claims))


def test_verify_token_names_a_wrong_issuer(make_token, settings):
    settings.BETTER_AUTH_ISSUER = "https://app.example.com"
    with pytest.raises(CommandError, match=r"REJECTED \(issuer\)"):
        verify(make_token("alice-id", iss="https://evil.example.com"))


def test_verify_token_checks_a_token_as_mcp_does_when_asked(make_token, settings):
    settings.MCP_RESOURCE_URL = "https://api.example.com/mcp"
    token = make_token("alice-id", aud="https://api.example.com/mcp")
    assert "ACCEPTED: user 'alice-id'" in verify(token, "--mcp")
    with pytest.raises(CommandError, match="REJECTED \\(audience\\)"):
        verify(token)
    with pytest.raises(CommandError, match='missing the "aud" claim'):
        verify(make_token("alice-id"), "--mcp")
    with pytest.raises(CommandError, match="session tokens"):
        verify("abcdefghijklmnopqrstuvwxyz012345", "--mcp")


def test_verify_token_never_prints_the_secret(make_token, shared_secret, capsys):
    out = StringIO()
    call_command("verify_token", make_token("alice-id"), stdout=out)
    assert shared_secret not in out.getvalue()


def test_verify_token_accepts_a_jwks_token(jwks_server, jwt_claims):
    output = verify(jwks_server.add_key("ES256").sign(jwt_claims()))
    assert "ACCEPTED: user 'alice-id'" in output
    assert '"alg": "ES256"' in output
    assert f"expected issuer: {jwks_server.origin}" in output


def test_verify_token_names_an_unreachable_jwks(jwks_server, jwt_claims):
    token = jwks_server.add_key().sign(jwt_claims())
    jwks_server.down = True
    with pytest.raises(CommandError, match=r"REJECTED \(jwks_unreachable\)"):
        verify(token)


def test_verify_token_names_an_unknown_kid(jwks_server, jwt_claims):
    token = jwks_server.add_key().sign(jwt_claims(), kid="a-kid-nobody-published")
    with pytest.raises(CommandError, match=r"REJECTED \(kid\)"):
        verify(token)


def test_verify_token_names_a_disallowed_algorithm(jwks_server, jwt_claims, settings):
    settings.BETTER_AUTH_JWT_ALGORITHMS = ["EdDSA"]
    with pytest.raises(CommandError, match=r"REJECTED \(algorithm\)"):
        verify(jwks_server.add_key("RS256").sign(jwt_claims()))


def test_createsuperuser_makes_staff_with_a_generated_id(monkeypatch):
    from authn.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-staff-password-42")
    call_command(
        "createsuperuser", "--no-input", "--username", "staff", "--email", "staff@example.com"
    )
    user = User.objects.get(username="staff")
    assert len(user.pk) == 32 and user.pk.isalnum()
    assert user.is_staff and user.is_superuser
    assert user.check_password("a-long-staff-password-42")
