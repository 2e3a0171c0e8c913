"""
The servers bench/run measures, each started as a command in its own session
(so that stopping it stops all its processes, whatever they are), pinned to
its CPUs with taskset, on a free loopback port.

- ours: the API, under the command given with --ours-command, else the
  Procfile's `web:` line, as production starts it.
- seed: the seed documents' design (FastAPI, async SQLModel, uvicorn), from a
  checkout of it started by its own run.sh.
"""

import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from procs import group_alive


class Abort(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_web(root: Path) -> str | None:
    """The command of the Procfile's `web:` process, as the hosting platforms read it."""
    procfile = root / "Procfile"
    if not procfile.exists():
        return None
    for line in procfile.read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() == "web" and command.strip():
            return command.strip()
    return None


def ours_environment(secret: str) -> dict:
    """
    The environment the API runs in: the caller's, as production would be
    (DEBUG off, a random SECRET_KEY, tokens signed with the shared secret),
    with throttling off, since this measures raw speed.
    """
    env = {
        **os.environ,
        # Another settings module (one that imports the project's and changes
        # a few) lets a variant be measured without editing the project.
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS_MODULE", "todo_project.settings"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": secret,
        "BETTER_AUTH_URL": "",
        "BETTER_AUTH_JWKS_URL": "",
        "BETTER_AUTH_ISSUER": "",
        "BETTER_AUTH_AUDIENCE": "",
        "THROTTLE_USER_RATE": "off",
        "THROTTLE_ANON_RATE": "off",
    }
    env.pop("PORT", None)
    return env


def describe_app(repo: Path, venv: Path, env: dict) -> str:
    """How the API's database connections and JSON are set up, as its settings say."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; pool = d['OPTIONS'].get('pool'); "
        "r = s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'][0].rsplit('.', 1)[1]; "
        "p = s.REST_FRAMEWORK['DEFAULT_PARSER_CLASSES'][0].rsplit('.', 1)[1]; "
        "db = f'psycopg pool {pool}' if pool else f'CONN_MAX_AGE={d[\"CONN_MAX_AGE\"]}'; "
        "print(f'{db}; renderer {r}, parser {p}')"
    )
    python = str(venv / "bin" / "python")
    result = subprocess.run([python, "-c", code], cwd=repo, env=env, capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip()[-500:]


def git_revision(directory: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    if not head:
        return "not a git checkout"
    return f"{head}{' (with local changes)' if dirty else ''}"


def migrate(repo: Path, venv: Path, env: dict, database_url: str) -> None:
    command = [str(venv / "bin" / "python"), "manage.py", "migrate", "--no-input"]
    env = {**env, "DATABASE_URL": database_url}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Abort(f"migrate failed in {repo}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


def candidate_venv(requirements: Path, packages: list[str]) -> Path:
    """
    A throwaway virtualenv under the temporary directory with the project's
    requirements and the given packages (a server to try, such as granian or
    uvicorn), so that trying one never touches .venv or requirements.txt.
    Built once per set of packages and reused.
    """
    key = hashlib.sha256(
        "\n".join([requirements.read_text(), *packages, sys.version]).encode()
    ).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"todo-bench-venv-{key}"
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            print(f"building {venv} with {' '.join(packages)}", flush=True)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            pip += ["--disable-pip-version-check", "-r", str(requirements), *packages]
            subprocess.run(pip, check=True)
            (venv / ".complete").touch()
    return venv


@dataclass
class Target:
    """One server design to measure: how to start it on a port and a database."""

    name: str
    api: str  # "ours" or "seed": whose seeded data and which API it serves
    description: str
    argv: object  # (port, database_url) -> list[str]
    env: dict
    cwd: Path
    notes: list[str] = field(default_factory=list)

    def server(self, database_url: str, log_path: Path, cpus: list[int]) -> "Server":
        return Server(self, database_url, log_path, cpus)


def ours_target(name, root, command, env, venv: Path) -> Target:
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    env["VIRTUAL_ENV"] = str(venv)
    procfile = procfile_web(root)
    if command is None:
        if procfile is None:
            raise SystemExit("no --ours-command and no Procfile web: line to start the API with")
        command, description = procfile, f"the Procfile's web: {procfile}"
    else:
        description = command

    def argv(port: int, database_url: str) -> list[str]:
        return ["/bin/sh", "-c", command.replace("{port}", str(port))]

    return Target(name, "ours", description, argv, env, root)


def seed_target(peer: Path, secret: str, workers: int) -> Target:
    run_sh = peer / "run.sh"
    if not run_sh.exists():
        raise Abort(
            f"no {run_sh}: give the seed design's checkout with --peer DIR (BENCH_PEER_DIR), "
            "or measure ours alone with --servers ours"
        )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BETTER_AUTH_SECRET")}
    env["WORKERS"] = str(workers)
    pins = (peer / "requirements.txt").read_text() if (peer / "requirements.txt").exists() else ""
    versions = re.findall(r"^(fastapi|uvicorn|sqlmodel)\S*==(\S+)", pins, re.MULTILINE)
    description = f"{run_sh} ({', '.join(f'{n} {v}' for n, v in versions)}), {workers} workers"

    def argv(port: int, database_url: str) -> list[str]:
        return [str(run_sh), str(port), database_url, secret]

    return Target("seed", "seed", description, argv, env, peer)


def wait_for_health(base_url: str, process: subprocess.Popen, log_path: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Abort(f"the server exited at start:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise Abort(f"the server did not become healthy in {timeout:.0f} s; see {log_path}")


class Server:
    """One run of a target's command: its own session, pinned, on a free port."""

    def __init__(self, target: Target, database_url: str, log_path: Path, cpus: list[int]):
        self.target = target
        self.database_url = database_url
        self.log_path = log_path
        self.cpus = cpus
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> None:
        # The first start of the seed design builds its virtualenv: hence the long timeout.
        pin = ["taskset", "-c", ",".join(map(str, self.cpus))]
        command = pin + self.target.argv(self.port, self.database_url)
        env = {**self.target.env, "DATABASE_URL": self.database_url, "PORT": str(self.port)}
        with open(self.log_path, "a") as log:
            log.write(f"\n--- {' '.join(command)}\n")
            log.flush()
            self.process = subprocess.Popen(
                command,
                cwd=self.target.cwd,
                env=env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_for_health(self.base_url, self.process, self.log_path, timeout)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 15) -> None:
        """Stop every process of the server's session: the master and its workers."""
        if self.process is None:
            return
        pgid = self.process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                self.process.poll()
                if not group_alive(pgid):
                    break
                time.sleep(0.1)
            else:
                continue
            break
        self.process.wait()
        self.process = None
