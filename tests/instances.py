"""
Instances of the API started as production starts them: each runs the
Procfile's ``web`` line with a PORT of its own, and all of them share what the
test gives them in ``env`` (one DATABASE_URL, one REDIS_URL).
"""

import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .live import ROOT, free_port, wait_for_port, web_command


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """The cookies this answer sets, by name."""
        pairs = (v.split(";", 1)[0] for k, v in self.headers if k.lower() == "set-cookie")
        return dict(pair.split("=", 1) for pair in pairs)

    def json(self):
        return json.loads(self.body)


class Instance:
    """One instance: the web line in a shell of its own, with PORT set."""

    def __init__(self, name: str, env: dict[str, str], logdir: Path):
        self.name = name
        self.port = free_port()
        self.env = {
            # The virtualenv's programs first, as on a platform that installed them.
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "DJANGO_SETTINGS_MODULE": "todo_project.settings",
            **env,
            "PORT": str(self.port),
        }
        self.log_path = logdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Instance":
        with open(self.log_path, "w+") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {web_command()}"],
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
            wait_for_port(self.port, self.process, log)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text()

    def request(self, method, path, *, token=None, body=None, form=None, headers=None) -> Answer:
        """One request, redirects not followed; any status is returned."""
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def get(self, path, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)


@contextmanager
def running_instances(count: int, env: dict[str, str], logdir: Path):
    """``count`` instances with the same ``env``; each is stopped on the way out."""
    with ExitStack() as stack:
        instances = []
        for number in range(count):
            instance = Instance(f"instance-{number + 1}", env, logdir)
            stack.callback(instance.stop)
            instances.append(instance.start())
        yield instances


def admin_sign_in(instance: Instance, username: str, password: str) -> str:
    """Sign in through the admin's login form; the session cookie's value."""
    page = instance.get("/admin/login/", headers={"Accept": "text/html"})
    csrf_cookie = page.cookies()["csrftoken"]
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1]
    signed_in = instance.request(
        "POST",
        "/admin/login/?next=/admin/",
        form={"username": username, "password": password, "csrfmiddlewaretoken": form_token},
        headers={"Accept": "text/html", "Cookie": f"csrftoken={csrf_cookie}"},
    )
    assert signed_in.status == 302, signed_in.body[:500]
    return signed_in.cookies()["sessionid"]
