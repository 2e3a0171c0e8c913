"""
The worker as production runs it, the Procfile's ``worker:`` line, in a
process of its own that a test may stop with SIGTERM or kill with SIGKILL.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .live import ROOT, procfile_command


class Worker:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "DJANGO_SETTINGS_MODULE": "todo_project.settings",
            **env,
        }
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        """Started; it takes a second or two before it relays (wait_started())."""
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {procfile_command('worker')}"],
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        return self

    def wait_started(self, timeout: float = 30) -> "Worker":
        deadline = time.monotonic() + timeout
        while "relaying task events to" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """As a crash would end it: SIGKILL, mid-round."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def terminate(self, timeout: float = 15) -> int:
        """As a platform stops it: SIGTERM; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
