"""
One verifier, two resources: a token for the MCP endpoint (its "aud" names
MCP_RESOURCE_URL) is not a token for the REST API, unless the REST API's own
audience rule admits it, and a REST token is never one for /mcp, whatever
this process remembers of either.
"""

import pytest

from authn import tokens

pytestmark = pytest.mark.django_db

MCP_URL = "https://api.example.com/mcp"
APP = "https://app.example.com"


@pytest.fixture(autouse=True)
def mcp_resource(settings):
    settings.MCP_RESOURCE_URL = MCP_URL
    settings.MCP_AUTHORIZATION_SERVER = ""
    settings.MCP_REQUIRED_SCOPES = []


def get_tasks(client, token):
    return client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_rest_api_refuses_a_token_for_mcp_where_it_checks_no_audience(anonymous, make_token):
    for audience in (MCP_URL, [MCP_URL, "something-else"]):
        response = get_tasks(anonymous, make_token("alice-id", aud=audience))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"


def test_the_rest_api_still_takes_tokens_with_other_audiences_or_none(anonymous, make_token):
    assert get_tasks(anonymous, make_token("alice-id")).status_code == 200
    assert get_tasks(anonymous, make_token("alice-id", aud=APP)).status_code == 200


def test_the_rest_api_admits_a_token_its_own_audience_rule_admits(anonymous, make_token, settings):
    settings.BETTER_AUTH_AUDIENCE = APP
    assert get_tasks(anonymous, make_token("alice-id", aud=[APP, MCP_URL])).status_code == 200
    assert get_tasks(anonymous, make_token("alice-id", aud=MCP_URL)).status_code == 401


def test_without_mcp_configured_the_rest_api_is_as_before(anonymous, make_token, settings):
    settings.MCP_RESOURCE_URL = ""
    assert get_tasks(anonymous, make_token("alice-id", aud=MCP_URL)).status_code == 200


def test_mcp_needs_its_resource_in_the_audience(make_token):
    assert tokens.verify_token(make_token("alice-id", aud=MCP_URL), tokens.MCP)["sub"] == "alice-id"
    assert tokens.verify_token(make_token("alice-id", aud=[APP, MCP_URL]), tokens.MCP)
    for audience in (None, APP, MCP_URL + "/", [APP]):
        with pytest.raises(tokens.TokenRejected) as rejected:
            tokens.verify_token(make_token("alice-id", aud=audience), tokens.MCP)
        assert rejected.value.check in ("audience", "claims")


def test_mcp_refuses_every_token_while_no_resource_is_configured(make_token, settings):
    settings.MCP_RESOURCE_URL = ""
    with pytest.raises(tokens.TokenRejected):
        tokens.verify_token(make_token("alice-id", aud=""), tokens.MCP)


def test_a_token_remembered_for_one_resource_is_checked_anew_for_the_other(anonymous, make_token):
    rest_token = make_token("alice-id")
    assert get_tasks(anonymous, rest_token).status_code == 200
    with pytest.raises(tokens.TokenRejected):
        tokens.verify_token(rest_token, tokens.MCP)

    mcp_token = make_token("alice-id", aud=MCP_URL)
    tokens.verify_token(mcp_token, tokens.MCP)
    assert get_tasks(anonymous, mcp_token).status_code == 401


def test_mcp_tokens_come_from_the_advertised_authorization_server(make_token, settings):
    settings.MCP_AUTHORIZATION_SERVER = f"{APP}/api/auth"
    good = make_token("alice-id", aud=MCP_URL, iss=f"{APP}/api/auth")
    assert tokens.verify_token(good, tokens.MCP)
    for issuer in (None, APP):
        with pytest.raises(tokens.TokenRejected):
            tokens.verify_token(make_token("alice-id", aud=MCP_URL, iss=issuer), tokens.MCP)


def test_by_default_mcp_tokens_have_the_rest_apis_issuer(make_token, settings):
    settings.BETTER_AUTH_ISSUER = APP
    assert tokens.authorization_server() == APP
    assert tokens.verify_token(make_token("alice-id", aud=MCP_URL, iss=APP), tokens.MCP)
    with pytest.raises(tokens.TokenRejected):
        tokens.verify_token(make_token("alice-id", aud=MCP_URL, iss="elsewhere"), tokens.MCP)


def test_the_authorization_server_defaults_to_the_origin_of_better_auth(settings):
    settings.BETTER_AUTH_URL = "https://app.example.com:8443/some/path"
    assert tokens.authorization_server() == "https://app.example.com:8443"
    settings.MCP_AUTHORIZATION_SERVER = f"{APP}/api/auth"
    assert tokens.authorization_server() == f"{APP}/api/auth"


def test_missing_scopes_are_named():
    claims = {"scope": "tasks openid"}
    assert tokens.check_scopes(claims, ["tasks"]) == []
    assert tokens.check_scopes(claims, ["tasks", "tasks:write"]) == ["tasks:write"]
    assert tokens.check_scopes({}, ["tasks"]) == ["tasks"]
    assert tokens.check_scopes({"scope": ["tasks"]}, ["tasks"]) == ["tasks"]


def test_by_default_mcp_tokens_may_come_from_better_auths_oauth_issuer(jwks_server, jwt_claims):
    """Its mcp and oauth-provider plugins sign as <BETTER_AUTH_URL>/api/auth, with the same keys."""
    key = jwks_server.add_key("EdDSA")
    origin = jwks_server.origin
    for issuer in (origin, f"{origin}/api/auth"):
        token = key.sign(jwt_claims(iss=issuer, aud=MCP_URL), typ="at+jwt")
        assert tokens.verify_token(token, tokens.MCP)["sub"] == "alice-id"
    for issuer in (f"{origin}/elsewhere", "https://evil.example.com/api/auth", None):
        token = key.sign(jwt_claims(iss=issuer, aud=MCP_URL), typ="at+jwt")
        with pytest.raises(tokens.TokenRejected):
            tokens.verify_token(token, tokens.MCP)
