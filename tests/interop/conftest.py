"""Fixtures for the Better Auth interop tests (stdlib only, no Django).

These start a REAL Better Auth server (node, ``better-auth-server.mjs``) and
talk to it over HTTP the way a browser frontend does, so the Python side can be
tested against the exact tokens Better Auth's ``jwt`` plugin emits.

Every test under this folder is skipped (with the reason) when ``node`` is not
on PATH or ``npm ci`` has not been run here.

Fixtures:
    better_auth_server(alg="EdDSA", *, fresh=False) -> BetterAuthServer
    jose_hs256(claims, secret, issuer=None, audience=None) -> str
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
SERVER_SCRIPT = INTEROP_DIR / "better-auth-server.mjs"
SIGN_HS256_SCRIPT = INTEROP_DIR / "sign-hs256.mjs"
SUPPORTED_ALGS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
READY_TIMEOUT = 30.0
HTTP_TIMEOUT = 15.0
DEFAULT_PASSWORD = "correct-horse-battery-staple"

# pytest's default norecursedirs skips node_modules, but a project-level
# norecursedirs setting would replace that default; be explicit.
collect_ignore = ["node_modules"]


def interop_unavailable_reason() -> str | None:
    """Why the interop tests cannot run here, or None when they can."""
    if shutil.which("node") is None:
        return "node not found on PATH (interop tests need Node.js >= 20)"
    if not (INTEROP_DIR / "node_modules" / "better-auth" / "package.json").is_file():
        return f"better-auth is not installed: run `npm ci` in {INTEROP_DIR}"
    if not (INTEROP_DIR / "node_modules" / "jose" / "package.json").is_file():
        return f"jose is not installed: run `npm ci` in {INTEROP_DIR}"
    if not (INTEROP_DIR / "node_modules" / "pg" / "package.json").is_file():
        return f"pg is not installed: run `npm ci` in {INTEROP_DIR}"
    if not (INTEROP_DIR / "node_modules" / "@better-auth" / "mcp" / "package.json").is_file():
        return f"@better-auth/mcp is not installed: run `npm ci` in {INTEROP_DIR}"
    return None


def _in_this_folder(item: pytest.Item) -> bool:
    path = Path(str(getattr(item, "path", None) or item.fspath)).resolve()
    return path == INTEROP_DIR or INTEROP_DIR in path.parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item of the session, not only the
    # ones in this folder, so filter by path.
    reason = interop_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("INTEROP_REQUIRED"):
        # CI sets this: there a skipped interop test would hide a broken install.
        raise pytest.UsageError(f"interop tests cannot run: {reason}")
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if _in_this_folder(item):
            item.add_marker(marker)


def _require_interop() -> None:
    # Safety net for fixtures used from outside this folder.
    reason = interop_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


# --------------------------------------------------------------------------
# HTTP plumbing (urllib, never through a proxy: everything is on 127.0.0.1)
# --------------------------------------------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class HttpResponse:
    status: int
    headers: Any  # http.client.HTTPMessage; use .get() / .get_all()
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """One HTTP request; returns non-2xx responses instead of raising."""
    data = None
    all_headers = {"Accept": "application/json", "User-Agent": "interop-tests/1"}
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(req, timeout=HTTP_TIMEOUT) as resp:
            return HttpResponse(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return HttpResponse(err.code, err.headers, err.read())


class BetterAuthError(AssertionError):
    """A Better Auth call answered with an unexpected status."""


def _expect(resp: HttpResponse, what: str, status: int = 200) -> HttpResponse:
    if resp.status != status:
        raise BetterAuthError(
            f"{what}: expected HTTP {status}, got {resp.status}: {resp.body[:500]!r}"
        )
    return resp


# --------------------------------------------------------------------------
# A signed-in browser session
# --------------------------------------------------------------------------


@dataclass
class AuthSession:
    """A signed-in user, holding the cookies a browser would hold.

    ``cookies`` maps cookie name -> value; over plain http the session cookie
    is ``better-auth.session_token`` (``__Secure-`` prefixed only on https).
    """

    server: BetterAuthServer
    email: str
    user: dict  # the "user" object from the sign-up / sign-in response
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.user["id"]

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def absorb_set_cookie(self, resp: HttpResponse) -> None:
        # Parsed by hand, like a browser: "name=value; Attr; Attr=x".
        # (http.cookies.SimpleCookie silently drops values it dislikes.)
        for raw in resp.headers.get_all("Set-Cookie") or []:
            pair, *attrs = [part.strip() for part in raw.split(";")]
            name, _, value = pair.partition("=")
            attr_map = {
                k.strip().lower(): v.strip() for k, _, v in (a.partition("=") for a in attrs)
            }
            # Max-Age=0 (or an empty value) is how Better Auth deletes a cookie.
            if value == "" or attr_map.get("max-age") == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, json_body: Any = None) -> HttpResponse:
        """Request with this session's cookies, as the frontend's fetch would.

        Origin is always sent: Better Auth 1.7 rejects cookie-bearing POSTs
        without it (403 MISSING_OR_NULL_ORIGIN), and browsers send it anyway.
        """
        headers = {"Origin": self.server.url}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        resp = http_request(method, self.server.url + path, json_body=json_body, headers=headers)
        self.absorb_set_cookie(resp)
        return resp

    def token(self) -> str:
        """JWT from ``GET /api/auth/token`` (the jwt plugin's token endpoint)."""
        resp = _expect(self.request("GET", "/api/auth/token"), "GET /api/auth/token")
        return resp.json()["token"]

    def session_jwt(self) -> str:
        """JWT from the ``set-auth-jwt`` header of ``GET /api/auth/get-session``."""
        resp = _expect(self.request("GET", "/api/auth/get-session"), "GET /api/auth/get-session")
        jwt = resp.headers.get("set-auth-jwt")
        if not jwt:
            raise BetterAuthError(f"get-session sent no set-auth-jwt header: {resp.body[:300]!r}")
        return jwt

    def sign_out(self) -> None:
        _expect(self.request("POST", "/api/auth/sign-out", json_body={}), "POST /api/auth/sign-out")


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------


class BetterAuthServer:
    """A running ``better-auth-server.mjs``: its own port, in-memory DB and keys."""

    def __init__(self, process: subprocess.Popen, ready: dict, stderr_path: Path):
        self.process = process
        self.url: str = ready["url"]
        self.jwks_url: str = ready["jwks_url"]
        self.alg: str = ready["alg"]
        self.ready = ready
        self.stderr_path = stderr_path

    def __repr__(self) -> str:
        return f"<BetterAuthServer {self.alg} {self.url}>"

    def sign_up_session(
        self, email: str, password: str = DEFAULT_PASSWORD, name: str = "Test User"
    ) -> AuthSession:
        """POST /api/auth/sign-up/email like the frontend; returns the signed-in session."""
        session = AuthSession(server=self, email=email, user={})
        resp = _expect(
            session.request(
                "POST",
                "/api/auth/sign-up/email",
                {"email": email, "password": password, "name": name},
            ),
            f"sign-up {email}",
        )
        session.user = resp.json()["user"]
        if not session.cookies:
            raise BetterAuthError(f"sign-up {email} set no cookie")
        return session

    def sign_in_session(self, email: str, password: str = DEFAULT_PASSWORD) -> AuthSession:
        """POST /api/auth/sign-in/email; returns a new signed-in session."""
        session = AuthSession(server=self, email=email, user={})
        resp = _expect(
            session.request(
                "POST", "/api/auth/sign-in/email", {"email": email, "password": password}
            ),
            f"sign-in {email}",
        )
        session.user = resp.json()["user"]
        return session

    def sign_up(self, email: str, password: str = DEFAULT_PASSWORD, name: str = "Test User") -> str:
        """Sign a new user up and return the JWT from GET /api/auth/token."""
        return self.sign_up_session(email, password, name).token()

    def jwks(self) -> dict:
        """The public JWKS, fetched over HTTP like a resource server would."""
        return _expect(http_request("GET", self.jwks_url), "GET jwks").json()

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the script exits cleanly
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        try:
            self.stderr_path.unlink()
        except OSError:
            pass


def start_better_auth_server(alg: str = "EdDSA", port: int = 0) -> BetterAuthServer:
    """Start ``better-auth-server.mjs`` and wait for its JSON ready line."""
    if alg not in SUPPORTED_ALGS:
        raise ValueError(f"alg must be one of {SUPPORTED_ALGS}, not {alg!r}")
    return start_script(SERVER_SCRIPT, ["--port", str(port), "--alg", alg], alg)


def start_script(script: Path, args: list[str], label: str) -> BetterAuthServer:
    """Start one of the node servers here and wait for its JSON ready line."""
    node = shutil.which("node")
    assert node, "node not found on PATH"
    # stderr goes to a file so a chatty server can never block on a full pipe.
    fd, stderr_name = tempfile.mkstemp(prefix=f"better-auth-{label}-", suffix=".log")
    stderr_path = Path(stderr_name)
    with os.fdopen(fd, "wb") as stderr_file:
        process = subprocess.Popen(
            [node, str(script), *args, "--watch-stdin"],
            cwd=INTEROP_DIR,
            # --watch-stdin: if pytest dies without cleanup, the pipe closes
            # and the server exits instead of lingering.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
        )

    def failed(why: str) -> RuntimeError:
        if process.poll() is None:
            process.kill()
            process.wait()
        log = stderr_path.read_text(errors="replace")
        stderr_path.unlink(missing_ok=True)
        return RuntimeError(f"{script.name} ({label}) {why}\n--- stderr ---\n{log}")

    # Wait for one line on stdout, with a deadline.
    deadline = time.monotonic() + READY_TIMEOUT
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise failed(f"printed no ready line within {READY_TIMEOUT:.0f}s")
            if not sel.select(timeout=remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise failed(f"exited with code {process.wait()} before it was ready")
            buf += chunk
    line = buf.split(b"\n", 1)[0]
    try:
        ready = json.loads(line)
    except ValueError:
        raise failed(f"printed a bad ready line: {line!r}") from None
    return BetterAuthServer(process, ready, stderr_path)


@pytest.fixture(scope="session")
def better_auth_server() -> Callable[..., BetterAuthServer]:
    """Factory: ``better_auth_server(alg="EdDSA", *, fresh=False)``.

    Servers are shared per alg for the whole session (so users accumulate: use
    unique emails). ``fresh=True`` always starts a new, separate server with
    its own database and signing keys. All are stopped at session end.
    """
    _require_interop()
    shared: dict[str, BetterAuthServer] = {}
    started: list[BetterAuthServer] = []

    def factory(alg: str = "EdDSA", *, fresh: bool = False) -> BetterAuthServer:
        if not fresh and alg in shared and shared[alg].process.poll() is None:
            return shared[alg]
        server = start_better_auth_server(alg)
        started.append(server)
        if not fresh:
            shared[alg] = server
        return server

    yield factory
    for server in started:
        server.stop()


def jose_hs256_sign(
    claims: dict, secret: str, issuer: str | None = None, audience: str | None = None
) -> str:
    """HS256 token signed by jose's SignJWT in node, as a Next.js route would."""
    node = shutil.which("node")
    assert node, "node not found on PATH"
    cmd = [node, str(SIGN_HS256_SCRIPT), json.dumps(claims)]
    if issuer is not None:
        cmd += ["--issuer", issuer]
    if audience is not None:
        cmd += ["--audience", audience]
    env = dict(os.environ, BETTER_AUTH_SECRET=secret)
    result = subprocess.run(
        cmd, cwd=INTEROP_DIR, env=env, capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        raise RuntimeError(f"sign-hs256.mjs failed ({result.returncode}): {result.stderr}")
    return result.stdout.strip()


@pytest.fixture(scope="session")
def jose_hs256() -> Callable[..., str]:
    """``jose_hs256(claims, secret, issuer=None, audience=None) -> str``."""
    _require_interop()
    return jose_hs256_sign


@pytest.fixture(scope="session")
def better_auth_session_server() -> Callable[..., Any]:
    """Factory: ``better_auth_session_server(secret, *, fresh=False)``.

    Better Auth with the bearer plugin on a PostgreSQL database of its own
    (``better_auth_sessions.py``). One shared server per secret for the whole
    session (use unique emails); ``fresh=True`` starts another, for a test
    that stops it or changes its database. All are stopped, and their
    databases dropped, at session end. On SQLite this skips, saying why; in
    CI's PostgreSQL step it runs.
    """
    _require_interop()
    from .better_auth_sessions import BetterAuthSessionServer, postgres_unavailable_reason

    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    shared: dict[str, Any] = {}
    started: list[Any] = []

    def factory(secret: str, *, fresh: bool = False):
        if not fresh and secret in shared and shared[secret].is_running():
            return shared[secret]
        server = BetterAuthSessionServer(secret)
        started.append(server)
        if not fresh:
            shared[secret] = server
        return server

    yield factory
    for server in started:
        server.stop()
