"""
JSON-RPC to /mcp through Django's test client, as MCP 2026-07-28 (stateless)
frames it: every request carries MCP-Protocol-Version and Mcp-Method headers
(Mcp-Name for a tool call) and the version and client capabilities in _meta.
"""

import asyncio
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

VERSION = "2026-07-28"
_ids = itertools.count(1)


def rpc(client, method: str, params: dict | None = None, *, token=None, **headers):
    """POST one request; the response as Django's test client gives it."""
    params = dict(params or {})
    params["_meta"] = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    extra = {"HTTP_MCP_PROTOCOL_VERSION": VERSION, "HTTP_MCP_METHOD": method}
    if method == "tools/call":
        extra["HTTP_MCP_NAME"] = params["name"]
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params}
    return client.post(
        "/mcp",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
        **extra,
        **headers,
    )


def call_tool(client, token, name: str, arguments: dict | None = None) -> dict:
    """A tool's result (``isError``, ``content``, ``structuredContent``)."""
    response = rpc(client, "tools/call", {"name": name, "arguments": arguments or {}}, token=token)
    assert response.status_code == 200, response.content
    return response.json()["result"]


def error_text(result: dict) -> str:
    assert result["isError"] is True
    return result["content"][0]["text"]


def run_async(coroutine):
    """
    asyncio.run in a thread of its own, for the official client: the browser
    tests' Playwright (sync API) keeps an event loop running in this thread
    for the whole session, and asyncio.run refuses to start inside one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
