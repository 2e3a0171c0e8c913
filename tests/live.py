"""
The API under its production server (the Procfile's web line, DEBUG off) on a loopback port,
and a small HTTP client for talking to it, for tests that need real HTTP.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.datastructures import CaseInsensitiveMapping

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_command() -> str:
    """The command of the Procfile's ``web:`` line, as the platform would run it."""
    return procfile_command("web")


def procfile_command(process_type: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if name.strip() == process_type and colon and command.strip():
            return command.strip()
    raise RuntimeError(f"the Procfile has no {process_type}: line")


@contextmanager
def live_server(env: dict[str, str], *, workers: int = 1, port: int | None = None):
    """The base URL of live_process(env, workers=workers, port=port)."""
    with live_process(env, workers=workers, port=port) as (url, _):
        yield url


@contextmanager
def live_process(
    env: dict[str, str],
    *,
    workers: int | None = 1,
    cpus: str | None = None,
    port: int | None = None,
):
    """
    Run the Procfile's web line, as production does, with exactly ``env`` on
    top of PATH (the virtualenv's programs first); yield the base URL and the
    server's process. ``workers`` is its WEB_CONCURRENCY (None: unset, the
    line's default); ``cpus`` the CPUs it may run on (taskset -c), if given;
    ``port`` one chosen before (free_port()), for a URL the settings name.

    Without a DATABASE_URL in ``env``, the server gets a migrated SQLite file
    of its own (the test database lives in this process, out of its reach).
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory() as workdir:
        full_env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "DJANGO_SETTINGS_MODULE": "todo_project.settings",
            "DEBUG": "false",
            "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
            "BETTER_AUTH_URL": "",
            "BETTER_AUTH_JWKS_URL": "",
            # Never a developer's Redis from .env: only one a test started.
            "REDIS_URL": "",
            # Behind a pooler, as the tests' own database is (CI's PgBouncer run).
            "DATABASE_POOLER": os.environ.get("DATABASE_POOLER", ""),
            **env,
        }
        if "DATABASE_URL" not in env:
            migrate(full_env)
        full_env["PORT"] = str(port)
        if workers is not None:
            full_env["WEB_CONCURRENCY"] = str(workers)
        command = ["bash", "-c", f"exec {web_command()}"]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        with open(f"{workdir}/server.log", "w+") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=log)
            try:
                wait_for_port(port, process, log)
                yield f"http://127.0.0.1:{port}", process
            finally:
                process.terminate()
                process.wait(timeout=15)


def migrate(env: dict[str, str]) -> None:
    """Run the migrations in a fresh process with ``env`` (project settings)."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "todo_project.settings", **env}
    command = [sys.executable, "manage.py", "migrate", "--no-input"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def wait_for_port(port, process, log, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited:\n{log.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start listening in time")


def headers_of(response) -> CaseInsensitiveMapping:
    """Header names are case-insensitive, and servers spell them differently."""
    return CaseInsensitiveMapping(dict(response.headers.items()))


@dataclass
class HttpResponse:
    status: int
    headers: CaseInsensitiveMapping
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, *, token: str | None = None, body=None, headers=None, timeout=15):
    """One request; any status is returned, not raised."""
    request_headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request_headers["Content-Type"] = "application/json"
    if token is not None:
        request_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=request_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(response.status, headers_of(response), response.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, headers_of(error), error.read())
