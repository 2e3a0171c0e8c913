"""
The official MCP client (mcp 2.3.0) over HTTP against the server of the
Procfile's web line: in MCP 2026-07-28's stateless form and in the
initialize form of the 2025 revisions, every result as the client's models
for that revision require it; and the tasks an agent makes are the REST
API's tasks.
"""

import json
import os
import secrets
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx2
import jwt
import psycopg
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types.methods import parse_server_result

from .live import free_port, http, live_server, migrate
from .mcp_calls import run_async

SECRET = secrets.token_urlsafe(32)


@contextmanager
def database_of_its_own():
    """PostgreSQL when the suite runs on it (not through a pooler), else the server's SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    behind_a_pooler = os.environ.get("DATABASE_POOLER", "").lower() in ("1", "true", "yes", "on")
    if not url.startswith("postgres") or behind_a_pooler:
        yield {}
        return
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_mcp_live"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    env = {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    try:
        migrate({**env, "SECRET_KEY": "x" * 50})
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server():
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    with database_of_its_own() as database:
        env = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BETTER_AUTH_SECRET": SECRET,
            "MCP_RESOURCE_URL": resource,
            **database,
        }
        with live_server(env, port=port) as url:
            yield url, resource


def token(sub: str, audience) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + 600, "aud": audience}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def session(server, sub, mode, work, audience=None):
    """Run ``work(client)`` in a session of the official client as ``sub``."""
    url, resource = server
    headers = {"Authorization": f"Bearer {token(sub, audience or resource)}"}
    async with httpx2.AsyncClient(headers=headers) as http_client:
        transport = streamable_http_client(url + "/mcp", http_client=http_client)
        async with Client(transport, mode=mode) as client:
            return await work(client)


@pytest.mark.parametrize("mode, version", [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_an_agent_adds_completes_and_lists_a_task_the_rest_api_then_shows(server, mode, version):
    user = f"agent-user-{mode}"

    async def work(client):
        assert client.session.protocol_version == version
        names = [tool.name for tool in (await client.list_tools()).tools]
        added = await client.call_tool("add_task", {"title": "Call mum", "tags": ["Family"]})
        task_id = added.structured_content["task"]["id"]
        done = await client.call_tool("complete_task", {"task_id": task_id})
        listed = await client.call_tool("list_tasks", {"status": "completed"})
        return names, added, done, listed

    names, added, done, listed = run_async(session(server, user, mode, work))
    assert names == [
        "list_tasks",
        "get_task",
        "add_task",
        "update_task",
        "complete_task",
        "delete_task",
        "list_tags",
    ]
    assert not added.is_error and not done.is_error and not listed.is_error
    task = done.structured_content["task"]
    assert task["completed"] is True and task["tags"] == ["family"]
    assert listed.structured_content == {"tasks": [task], "total": 1}
    # The text content says the same, for clients that read only text.
    assert json.loads(listed.content[0].text) == listed.structured_content
    rest = http("GET", f"{server[0]}/api/tasks/{task['id']}", token=token(user, None))
    assert rest.status == 200
    assert rest.json() == task


def test_another_users_task_is_no_such_task_to_the_agent(server):
    async def add(client):
        return (await client.call_tool("add_task", {"title": "Private"})).structured_content

    bobs = run_async(session(server, "bob-client", "auto", add))["task"]

    async def snoop(client):
        return [
            await client.call_tool(name, {"task_id": bobs["id"], "user_id": "bob-client"})
            for name in ("get_task", "complete_task", "delete_task")
        ]

    for result in run_async(session(server, "eve-client", "auto", snoop)):
        assert result.is_error
        assert result.content[0].text == "No such task."
    rest = http("GET", f"{server[0]}/api/tasks/{bobs['id']}", token=token("bob-client", None))
    assert rest.json()["completed"] is False


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_token_for_another_audience_gets_the_client_nowhere(server, mode):
    async def work(client):
        return await client.list_tools()

    with pytest.raises(ExceptionGroup) as failed:
        run_async(session(server, "alice", mode, work, audience="http://127.0.0.1:3000"))
    assert failed.group_contains(MCPError, depth=2)
    url, resource = server
    answer = http("POST", f"{url}/mcp", token=token("alice", "http://127.0.0.1:3000"), body={})
    assert answer.status == 401
    metadata = f"{url}/.well-known/oauth-protected-resource/mcp"
    assert answer.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{metadata}", error="invalid_token"'
    )
    assert http("GET", metadata).json()["resource"] == resource


def post(server, body: dict, headers: dict, sub="legacy-user") -> dict:
    url, resource = server
    answer = http(
        "POST",
        f"{url}/mcp",
        token=token(sub, resource),
        body=body,
        headers={"Accept": "application/json, text/event-stream", **headers},
    )
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer.json()


def test_the_2025_06_18_handshake_gives_every_field_that_revision_requires(server):
    version = "2025-06-18"
    init = post(
        server,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "raw-client", "version": "1"},
            },
        },
        {},
    )["result"]
    assert init["protocolVersion"] == version
    parse_server_result("initialize", version, init)
    headers = {"MCP-Protocol-Version": version}
    calls = [
        ("tools/list", {}),
        ("tools/call", {"name": "add_task", "arguments": {"title": "Old client"}}),
        ("tools/call", {"name": "list_tags", "arguments": {}}),
        ("tools/call", {"name": "get_task", "arguments": {"task_id": 10**9}}),
    ]
    results = []
    for number, (method, params) in enumerate(calls, start=2):
        body = {"jsonrpc": "2.0", "id": number, "method": method, "params": params}
        result = post(server, body, headers)["result"]
        parse_server_result(method, version, result)
        results.append(result)
    assert len(results[0]["tools"]) == 7
    assert results[1]["structuredContent"]["task"]["title"] == "Old client"
    assert results[3]["isError"] is True


def test_get_is_a_405_and_no_stream(server):
    url, resource = server
    answer = http("GET", f"{url}/mcp", token=token("alice", resource))
    assert answer.status == 405
