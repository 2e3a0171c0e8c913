"""A Better Auth server with the bearer plugin on a PostgreSQL database of its own.

Starts ``better-auth-session-server.mjs`` (no ``jwt`` plugin: sessions only)
on a fresh database, made on the PostgreSQL server that ``DATABASE_URL``
names and dropped afterwards, and talks to it over HTTP as a client of the
bearer plugin does: sign-up and sign-in answer ``set-auth-token``, and that
token goes in ``Authorization: Bearer``. Stdlib and psycopg only, no Django.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from .conftest import DEFAULT_PASSWORD, INTEROP_DIR, READY_TIMEOUT, http_request

SERVER_SCRIPT = INTEROP_DIR / "better-auth-session-server.mjs"
# Better Auth's tables, as its migrations make them.
TABLES = ("user", "session", "account", "verification")


def postgres_unavailable_reason() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return (
            "Better Auth's tables are kept in PostgreSQL for these tests: run them with "
            "DATABASE_URL=postgresql://... (CI does, in its PostgreSQL step)"
        )
    return None


def suite_database() -> str:
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "postgres"


def database_url(name: str) -> str:
    """``DATABASE_URL`` with another database name: the same server and options."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class BearerUser:
    """A signed-in user, as a client of the bearer plugin holds one."""

    email: str
    user_id: str
    token: str  # set-auth-token: <token>.<signature>
    cookie_value: str  # the session cookie's value: the same, URL-encoded

    @property
    def raw_token(self) -> str:
        return self.token.split(".")[0]


class BetterAuthSessionServer:
    def __init__(self, secret: str):
        self.secret = secret
        # Named after the suite's own database, so that a run's leftovers are
        # told apart from another run's on a shared server.
        self.database = f"{suite_database()[:40]}_ba_{secrets.token_hex(4)}"
        self.database_url = database_url(self.database)
        self.process: subprocess.Popen | None = None
        self.url = ""
        self._admin("CREATE DATABASE {}")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
            admin.execute(statement.format(f'"{self.database}"'))

    def _start(self) -> None:
        fd, stderr_name = tempfile.mkstemp(prefix="better-auth-sessions-", suffix=".log")
        self.stderr_path = Path(stderr_name)
        with os.fdopen(fd, "wb") as stderr_file:
            self.process = subprocess.Popen(
                [
                    shutil.which("node") or "node",
                    str(SERVER_SCRIPT),
                    "--database-url",
                    self.database_url,
                    "--watch-stdin",
                ],
                cwd=INTEROP_DIR,
                env={**os.environ, "BETTER_AUTH_SECRET": self.secret},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise RuntimeError(f"the session server did not start:\n{self.stderr()}")
                if selector.select(timeout=remaining):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    if not chunk:
                        raise RuntimeError(f"the session server exited:\n{self.stderr()}")
                    buffer += chunk
        self.url = json.loads(buffer.split(b"\n", 1)[0])["url"]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop_server(self) -> None:
        if self.is_running():
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def stop(self) -> None:
        self.stop_server()
        if self.process is not None:
            for stream in (self.process.stdin, self.process.stdout):
                stream.close()
            self.stderr_path.unlink(missing_ok=True)
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    # --- the bearer plugin's side of a client -----------------------------

    def post(self, path: str, body: dict, token: str | None = None):
        headers = {"Origin": self.url}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return http_request("POST", self.url + path, json_body=body, headers=headers)

    def _signed_in(self, response, email: str) -> BearerUser:
        assert response.status == 200, response.body[:300]
        token = response.headers.get("set-auth-token")
        assert token, "no set-auth-token header: is the bearer plugin on?"
        cookie = next(
            value.split(";")[0].partition("=")[2]
            for value in response.headers.get_all("Set-Cookie")
            if value.startswith("better-auth.session_token=")
        )
        assert unquote(cookie) == token
        return BearerUser(email, response.json()["user"]["id"], token, cookie)

    def sign_up(self, email: str, name: str = "Test User") -> BearerUser:
        body = {"email": email, "password": DEFAULT_PASSWORD, "name": name}
        return self._signed_in(self.post("/api/auth/sign-up/email", body), email)

    def sign_in(self, email: str) -> BearerUser:
        body = {"email": email, "password": DEFAULT_PASSWORD}
        return self._signed_in(self.post("/api/auth/sign-in/email", body), email)

    def sign_out(self, user: BearerUser) -> None:
        response = self.post("/api/auth/sign-out", {}, token=user.token)
        assert response.status == 200, response.body[:300]

    def update_user(self, user: BearerUser, **fields) -> None:
        response = self.post("/api/auth/update-user", fields, token=user.token)
        assert response.status == 200, response.body[:300]

    # --- its database -------------------------------------------------------

    def sql(self, statement: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of Better Auth's tables, to tell whether anything wrote there."""
        return {table: sorted(self.sql(f'SELECT * FROM "{table}"')) for table in TABLES}
