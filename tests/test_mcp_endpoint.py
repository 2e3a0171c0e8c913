"""
/mcp lets in only a bearer JWT made for it (RFC 9728, RFC 8707), tells every
other caller where to get one, and is there only while MCP_RESOURCE_URL is.
"""

import time

import jwt
import pytest

from tasks.models import Task

from .mcp_calls import call_tool, rpc

pytestmark = pytest.mark.django_db

MCP_URL = "https://api.example.com/mcp"
METADATA_URL = "https://api.example.com/.well-known/oauth-protected-resource/mcp"
CHALLENGE = f'Bearer resource_metadata="{METADATA_URL}"'


@pytest.fixture(autouse=True)
def mcp_on(settings):
    settings.MCP_RESOURCE_URL = MCP_URL
    settings.MCP_AUTHORIZATION_SERVER = ""
    settings.MCP_REQUIRED_SCOPES = []
    settings.BETTER_AUTH_ISSUER = "https://app.example.com"


@pytest.fixture
def mcp_token(make_token):
    def make(sub="alice-id", **claims):
        claims.setdefault("aud", MCP_URL)
        claims.setdefault("iss", "https://app.example.com")
        return make_token(sub, **claims)

    return make


def test_without_a_resource_url_there_is_no_endpoint(anonymous, mcp_token, settings):
    settings.MCP_RESOURCE_URL = ""
    assert rpc(anonymous, "tools/list", token=mcp_token()).status_code == 404
    assert anonymous.get("/.well-known/oauth-protected-resource/mcp").status_code == 404


def test_the_metadata_names_the_resource_and_where_to_sign_in(anonymous):
    response = anonymous.get("/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    assert response.json() == {
        "resource": MCP_URL,
        "authorization_servers": ["https://app.example.com"],
        "bearer_methods_supported": ["header"],
        "scopes_supported": [],
    }


def test_the_metadata_lists_the_required_scopes_and_a_chosen_server(anonymous, settings):
    settings.MCP_REQUIRED_SCOPES = ["tasks", "profile"]
    settings.MCP_AUTHORIZATION_SERVER = "https://app.example.com/api/auth"
    body = anonymous.get("/.well-known/oauth-protected-resource/mcp").json()
    assert body["scopes_supported"] == ["tasks", "profile"]
    assert body["authorization_servers"] == ["https://app.example.com/api/auth"]


def test_the_metadata_needs_no_token_and_ignores_a_bad_one(anonymous):
    response = anonymous.get(
        "/.well-known/oauth-protected-resource/mcp", HTTP_AUTHORIZATION="Bearer nonsense"
    )
    assert response.status_code == 200


def test_without_a_token_the_answer_points_to_the_metadata(anonymous):
    response = rpc(anonymous, "tools/list")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json()["code"] == "not_authenticated"


def test_another_scheme_is_no_token(anonymous):
    response = rpc(anonymous, "tools/list", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE


def bad_tokens(mcp_token, make_token):
    now = int(time.time())
    unsigned = jwt.encode(
        {"sub": "alice-id", "exp": now + 300, "aud": MCP_URL}, None, algorithm="none"
    )
    return {
        "forged": mcp_token(secret="not-the-secret-" * 3),
        "expired": mcp_token(iat=now - 600, exp=now - 300),
        "alg none": unsigned,
        "no audience": mcp_token(aud=None),
        "another audience": mcp_token(aud="https://elsewhere.example.com/mcp"),
        "the REST API's token": make_token("alice-id", iss="https://app.example.com"),
        "REST audience": mcp_token(aud="https://app.example.com"),
        "another issuer": mcp_token(iss="https://evil.example.com"),
        "session token": "abcdefghijklmnopqrstuvwxyz012345.c2lnbmF0dXJl",
        "garbage": "not a token",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "forged",
        "expired",
        "alg none",
        "no audience",
        "another audience",
        "the REST API's token",
        "REST audience",
        "another issuer",
        "session token",
        "garbage",
    ],
)
def test_a_bad_token_is_a_401_that_says_so(anonymous, mcp_token, make_token, kind):
    token = bad_tokens(mcp_token, make_token)[kind]
    response = rpc(anonymous, "tools/list", token=token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'{CHALLENGE}, error="invalid_token"'
    assert response.json()["code"] in ("invalid_token", "token_expired")
    assert Task.objects.count() == 0


def test_session_tokens_are_refused_even_where_the_rest_api_takes_them(
    anonymous, settings, mcp_token
):
    settings.BETTER_AUTH_SESSIONS = "remote"
    settings.BETTER_AUTH_URL = "http://127.0.0.1:9"
    response = rpc(anonymous, "tools/list", token="abcdefghijklmnopqrstuvwxyz012345")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith('error="invalid_token"')


def test_a_good_token_lists_the_seven_tools(anonymous, mcp_token):
    response = rpc(anonymous, "tools/list", token=mcp_token())
    assert response.status_code == 200
    names = [tool["name"] for tool in response.json()["result"]["tools"]]
    assert names == [
        "list_tasks",
        "get_task",
        "add_task",
        "update_task",
        "complete_task",
        "delete_task",
        "list_tags",
    ]


def test_a_token_without_a_required_scope_is_a_403_naming_them(anonymous, mcp_token, settings):
    settings.MCP_REQUIRED_SCOPES = ["tasks", "profile"]
    response = rpc(anonymous, "tools/list", token=mcp_token(scope="tasks openid"))
    assert response.status_code == 403
    assert (
        response["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="tasks profile"'
    )
    assert response.json()["code"] == "insufficient_scope"
    ok = rpc(anonymous, "tools/list", token=mcp_token(scope="openid profile tasks"))
    assert ok.status_code == 200


def test_a_foreign_origin_is_a_403(anonymous, mcp_token):
    response = rpc(anonymous, "tools/list", token=mcp_token(), HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert Task.objects.count() == 0


def test_an_allowed_origin_is_let_in_though_not_a_host_of_this_server(
    anonymous, mcp_token, settings
):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = rpc(
        anonymous, "tools/list", token=mcp_token(), HTTP_ORIGIN="https://app.example.com"
    )
    assert response.status_code == 200


def test_get_is_a_405_there_is_no_stream(anonymous, mcp_token):
    response = anonymous.get("/mcp", HTTP_AUTHORIZATION=f"Bearer {mcp_token()}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_a_body_over_the_limit_is_a_413(anonymous, mcp_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = call_or_response(anonymous, mcp_token(), "x" * 2000)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def call_or_response(client, token, title):
    return rpc(
        client, "tools/call", {"name": "add_task", "arguments": {"title": title}}, token=token
    )


def test_malformed_json_is_a_json_rpc_parse_error(anonymous, mcp_token):
    response = anonymous.post(
        "/mcp",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {mcp_token()}",
        HTTP_MCP_PROTOCOL_VERSION="2026-07-28",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700


def test_calls_count_against_the_users_rate_limit_with_the_rest_api(
    anonymous, mcp_token, settings, client_for
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": None},
    }
    alice = client_for("alice-id", iss="https://app.example.com")
    assert alice.get("/api/tasks").status_code == 200
    token = mcp_token()
    assert call_tool(anonymous, token, "add_task", {"title": "one"})["isError"] is False
    assert call_tool(anonymous, token, "add_task", {"title": "two"})["isError"] is False
    response = call_or_response(anonymous, token, "three")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "throttled"
    assert alice.get("/api/tasks").status_code == 429
    assert Task.objects.count() == 2


@pytest.mark.parametrize(
    "url, errors",
    [
        (MCP_URL, []),
        ("http://127.0.0.1:8000/mcp", []),
        ("api.example.com/mcp", ["assistant.E001"]),
        ("https://api.example.com/mcp?x=1", ["assistant.E001"]),
        ("ftp://api.example.com/mcp", ["assistant.E001"]),
    ],
)
def test_check_reports_a_resource_url_no_token_could_name(settings, url, errors):
    from assistant.checks import check_resource_url

    settings.MCP_RESOURCE_URL = url
    assert [error.id for error in check_resource_url(None)] == errors
