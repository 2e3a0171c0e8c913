"""
A Redis server of the tests' own on a free loopback port, which they may shut
down (or kill) and start again without touching any other (the machine's own
on 6379). It keeps nothing on disk, unless made durable: then every write is
in its append-only file before Redis answers it, and survives a kill.
"""

import os
import shutil
import subprocess
import tempfile
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .live import free_port


def unavailable_reason() -> str | None:
    for program in ("redis-server", "redis-cli"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install redis-server)"
    return None


def skip_or_fail_without_redis() -> None:
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("REDIS_REQUIRED") == "1":
        # CI sets this: there a skipped Redis test would hide a broken install.
        pytest.fail(f"Redis tests cannot run: {reason}")
    pytest.skip(reason)


class PrivateRedis:
    def __init__(self, *, durable: bool = False):
        self.durable = durable
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="todo-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        # No retries: while the server starts, an answer is asked for again here.
        return redis.Redis(port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))

    def start(self) -> "PrivateRedis":
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--dir", self.workdir,
            *(["--appendonly", "yes", "--appendfsync", "always"] if self.durable
              else ["--appendonly", "no"]),
        ]  # fmt: skip
        with open(os.path.join(self.workdir, "redis.log"), "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                # Its own process, not another server that took the port meanwhile.
                if self.client().info("server")["process_id"] == self.process.pid:
                    return self
            except redis.ConnectionError:
                pass
            time.sleep(0.02)
        # Killed, not shut down with redis-cli, which could reach that other server.
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    @classmethod
    def started(cls, **options) -> "PrivateRedis":
        """A running server; another free port is tried if one was taken meanwhile."""
        for attempt in range(3):
            server = cls(**options)
            try:
                return server.start()
            except RuntimeError:
                server.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def shutdown(self) -> None:
        """As an operator would stop it: ``redis-cli -p N shutdown nosave``."""
        if self.process is None or self.process.poll() is not None:
            return
        command = ["redis-cli", "-p", str(self.port), "shutdown", "nosave"]
        subprocess.run(command, capture_output=True, timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """As a crash would stop it: SIGKILL, no chance to save anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self.shutdown()
        shutil.rmtree(self.workdir, ignore_errors=True)
