"""
The server of the Procfile's web line is as dependable as the API needs:
keep-alive, idle connections that hold nothing up, a graceful restart, and
as many workers as it has CPUs.
"""

import http.client
import os
import secrets
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

import jwt
import pytest

from .live import live_process

SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def server():
    env = {"SECRET_KEY": secrets.token_urlsafe(50), "BETTER_AUTH_SECRET": SECRET}
    with live_process(env, workers=2) as (url, process):
        yield url, process


def token() -> str:
    now = int(time.time())
    return jwt.encode({"sub": "server-user", "iat": now, "exp": now + 600}, SECRET)


def connect(url) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def get_tasks(connection) -> int:
    connection.request("GET", "/api/tasks", headers={"Authorization": f"Bearer {token()}"})
    response = connection.getresponse()
    response.read()
    return response.status


def test_one_connection_carries_many_requests(server):
    url, _ = server
    connection = connect(url)
    assert [get_tasks(connection) for _ in range(5)] == [200] * 5
    first = connection.sock
    get_tasks(connection)
    assert connection.sock is first


def test_idle_connections_hold_nothing_up(server):
    """As a browser's pre-opened connections, which may send nothing for long."""
    url, _ = server
    parts = urlsplit(url)
    idle = [socket.create_connection((parts.hostname, parts.port)) for _ in range(50)]
    half = socket.create_connection((parts.hostname, parts.port))
    half.sendall(b"GET /api/tasks HTTP/1.1\r\nHost: x\r\n")
    try:
        started = time.monotonic()
        assert [get_tasks(connect(url)) for _ in range(10)] == [200] * 10
        assert time.monotonic() - started < 5
    finally:
        for sock in [*idle, half]:
            sock.close()


def test_a_restart_with_sighup_drops_no_request(server):
    url, process = server
    failures, answers = [], []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                answers.append(get_tasks(connect(url)))
            except OSError as error:
                failures.append(error)

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    before = children(process.pid)
    os.kill(process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (children(process.pid) - before):
        time.sleep(0.2)
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    assert children(process.pid) - before, "no worker was restarted"
    assert failures == []
    assert set(answers) == {200}


@pytest.mark.parametrize("cpus, workers", [("0", 1), ("0,1", 2)])
def test_one_worker_for_each_cpu_the_server_may_run_on(cpus, workers):
    """
    Pinned to one core, one process with threads serves best, and on two,
    two (bench/README.md); the CPUs a process may use, not the machine's.
    """
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs")
    env = {"SECRET_KEY": secrets.token_urlsafe(50), "BETTER_AUTH_SECRET": SECRET}
    with live_process(env, workers=None, cpus=cpus) as (url, process):
        assert get_tasks(connect(url)) == 200
        time.sleep(1)  # every worker started, and no more than that
        assert len(children(process.pid)) == workers


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except OSError:
                continue
    return found
