"""
The API under the Procfile's server with DEBUG off, as the browser tests and the screenshot
script meet it: its own SQLite file, a staff account for the admin, and tokens
minted with the server's secret for the Better Auth users.
"""

import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass

import jwt

from tests.live import ROOT, http, live_server


@dataclass(frozen=True)
class Staff:
    username: str
    password: str
    email: str
    id: str


@dataclass(frozen=True)
class App:
    url: str
    secret: str
    staff: Staff | None

    def token(self, user_id: str, *, email: str = "", name: str = "") -> str:
        """An HS256 token as the frontend's Next.js route signs it."""
        now = int(time.time())
        profile = {field: value for field, value in (("email", email), ("name", name)) if value}
        claims = {"sub": user_id, **profile, "iat": now, "exp": now + 3600}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def add_task(self, token: str, title: str, **fields) -> dict:
        response = http(
            "POST", f"{self.url}/api/tasks", token=token, body={"title": title, **fields}
        )
        assert response.status == 201, response.body
        return response.json()

    def tasks(self, token: str) -> list[dict]:
        response = http("GET", f"{self.url}/api/tasks", token=token)
        assert response.status == 200, response.body
        return response.json()


@contextmanager
def running_app(
    *,
    cors_allowed_origins: str = "http://localhost:3000",
    settings: dict[str, str] | None = None,
    with_staff: bool = True,
):
    """
    Yield an App served by the Procfile's server on 127.0.0.1, its database
    already seeded with staff unless ``with_staff`` is false (two processes
    fewer to start); ``settings`` are more environment variables.
    """
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BETTER_AUTH_SECRET": secrets.token_urlsafe(32),
            "CORS_ALLOWED_ORIGINS": cors_allowed_origins,
            "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
            **(settings or {}),
        }
        manage(env, "migrate", "--no-input")
        staff = create_staff(env) if with_staff else None
        with live_server(env) as url:
            yield App(url=url, secret=env["BETTER_AUTH_SECRET"], staff=staff)


def create_staff(env: dict[str, str]) -> Staff:
    username = "staff"
    password = secrets.token_urlsafe(16)
    email = "staff@example.com"
    manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": password},
        "createsuperuser", "--no-input", "--username", username, "--email", email,
    )  # fmt: skip
    find_id = f"from authn.models import User; print(User.objects.get(username={username!r}).pk)"
    user_id = manage(env, "shell", "-c", find_id).strip().splitlines()[-1]
    return Staff(username=username, password=password, email=email, id=user_id)


def manage(env: dict[str, str], *args: str) -> str:
    """Run manage.py with the environment live_server gives the server; return its output."""
    full_env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "todo_project.settings",
        "DEBUG": "false",
        "BETTER_AUTH_URL": "",
        "BETTER_AUTH_JWKS_URL": "",
        **env,
    }
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout
