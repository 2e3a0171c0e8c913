"""
The MCP endpoint behind a real Better Auth authorization server (the npm
packages better-auth 1.7.25 with its jwt plugin, and @better-auth/mcp 1.7.5,
the OAuth 2.1 provider bound to the MCP resource), and the official MCP
client (mcp 2.3.0) doing all an MCP client does: a 401 that points to the
resource metadata, the authorization server's metadata, dynamic client
registration, authorization with PKCE after the user signed in to Better
Auth, the token, and the tool calls.

What the plugin issues (observed): a JWT access token, header
{"typ": "at+jwt", "alg": "EdDSA", "kid": ...} signed by the jwt plugin's
key (its JWKS), with "aud" the resource the client asked for (a string),
"iss" Better Auth's base URL with its path (".../api/auth"), "sub" the
user's id, "scope", "client_id", "azp", "sid", "jti"; no email or name.
"""

import secrets
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from ..live import free_port, http, live_server
from ..mcp_calls import run_async
from .conftest import INTEROP_DIR, start_script

pytestmark = pytest.mark.interop

SCOPE = "tasks"


@pytest.fixture(scope="module")
def stack():
    """Better Auth as the authorization server, and the API (Procfile) as the resource."""
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    script = INTEROP_DIR / "better-auth-mcp-server.mjs"
    auth_server = start_script(script, ["--resource", resource, "--scopes", SCOPE], "mcp")
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_URL": auth_server.url,
        "MCP_RESOURCE_URL": resource,
        # Better Auth's issuer is its base URL with the /api/auth path.
        "MCP_AUTHORIZATION_SERVER": auth_server.ready["issuer"],
        "MCP_REQUIRED_SCOPES": SCOPE,
    }
    try:
        with live_server(env, port=port) as api:
            yield auth_server, api, resource
    finally:
        auth_server.stop()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class SignedInBrowser:
    """
    The user's browser, signed in to Better Auth: it opens the authorization
    URL, lands on the consent page, and accepts, as a consent page's form
    would; the redirect back to the client carries the code.
    """

    def __init__(self, session):
        self.session = session
        self.opener = urllib.request.build_opener(NoRedirects, urllib.request.ProxyHandler({}))
        self.results: list[AuthorizationCodeResult] = []
        self.authorization_urls: list[str] = []

    async def open(self, authorization_url: str) -> None:
        self.authorization_urls.append(authorization_url)
        consent_page = self.redirect_of(authorization_url)
        assert urlsplit(consent_page).path == "/consent", consent_page
        accepted = self.session.request(
            "POST",
            "/api/auth/oauth2/consent",
            {"accept": True, "oauth_query": urlsplit(consent_page).query},
        )
        assert accepted.status == 200, accepted.body
        back = parse_qs(urlsplit(accepted.json()["url"]).query)
        self.results.append(
            AuthorizationCodeResult(
                code=back["code"][0], state=back["state"][0], iss=back.get("iss", [None])[0]
            )
        )

    async def callback(self) -> AuthorizationCodeResult:
        return self.results.pop()

    def redirect_of(self, url: str) -> str:
        headers = {"Cookie": self.session.cookie_header, "Origin": self.session.server.url}
        try:
            self.opener.open(urllib.request.Request(url, headers=headers))
        except urllib.error.HTTPError as redirect:
            assert redirect.code in (302, 303), redirect.read()
            return redirect.headers["Location"]
        raise AssertionError("the authorization endpoint did not redirect")


class Memory:
    """The client's token storage, in memory."""

    def __init__(self):
        self.tokens = self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def oauth_agent(resource, browser):
    storage = Memory()
    provider = OAuthClientProvider(
        server_url=resource,
        client_metadata=OAuthClientMetadata(
            client_name="Todo agent",
            redirect_uris=["http://127.0.0.1:9/callback"],
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )
    return provider, storage


def test_an_mcp_client_signs_in_through_better_auth_and_uses_the_tools(stack):
    auth_server, api, resource = stack
    user = auth_server.sign_up_session(f"agent-{uuid.uuid4().hex[:8]}@example.com", name="Ada")
    browser = SignedInBrowser(user)
    provider, storage = oauth_agent(resource, browser)

    async def work():
        async with httpx2.AsyncClient(auth=provider) as http_client:
            async with Client(streamable_http_client(resource, http_client=http_client)) as client:
                tools = await client.list_tools()
                added = await client.call_tool("add_task", {"title": "Book the dentist"})
                listed = await client.call_tool("list_tasks", {})
                return tools, added, listed

    tools, added, listed = run_async(work())
    assert len(tools.tools) == 7
    assert not added.is_error
    assert listed.structured_content["tasks"] == [added.structured_content["task"]]
    # PKCE, the resource indicator and the scope from the metadata went along.
    query = parse_qs(urlsplit(browser.authorization_urls[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["resource"] == [resource]
    assert SCOPE in query["scope"][0].split()

    access_token = storage.tokens.access_token
    header = jwt.get_unverified_header(access_token)
    claims = jwt.decode(access_token, options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and header["alg"] == "EdDSA" and header["kid"]
    assert claims["aud"] == resource
    assert claims["iss"] == auth_server.ready["issuer"]
    assert claims["sub"] == user.user_id
    assert SCOPE in claims["scope"].split()

    # The same user through the REST API, with the jwt plugin's token: the same task.
    rest_token = user.token()
    task_id = added.structured_content["task"]["id"]
    rest = http("GET", f"{api}/api/tasks/{task_id}", token=rest_token)
    assert rest.status == 200 and rest.json() == added.structured_content["task"]
    # The access token is for /mcp only, and the REST token is not one for /mcp.
    assert http("GET", f"{api}/api/tasks", token=access_token).status == 401
    refused = http("POST", f"{api}/mcp", token=rest_token, body={})
    assert refused.status == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_the_metadata_names_better_auth_which_describes_itself(stack):
    auth_server, api, resource = stack
    metadata = http("GET", f"{api}/.well-known/oauth-protected-resource/mcp").json()
    issuer = auth_server.ready["issuer"]
    assert metadata == {
        "resource": resource,
        "authorization_servers": [issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": [SCOPE],
    }
    # RFC 8414: the issuer's path goes after the well-known name.
    described = http("GET", f"{auth_server.url}/.well-known/oauth-authorization-server/api/auth")
    assert described.json()["issuer"] == issuer
    assert "S256" in described.json()["code_challenge_methods_supported"]
