"""
A database "across a network" for the benchmarks: a private PostgreSQL
cluster set up like Neon (TLS with a self-signed certificate, SCRAM
passwords, plain connections refused) on a free port, and the delay proxy
(bench/delayproxy.py) in front of it. The servers connect through the proxy
with `sslmode=require&channel_binding=require`, as to Neon; the benchmark's
own set-up (creating databases, migrating) goes to the cluster directly.

The cluster lives in its own directory under /tmp and goes with it: the
machine's PostgreSQL on 5432 is never touched. Its log holds every statement
of the databases that `log_statements()` names (bench/roundtrips.py reads it).
"""

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROLE = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("no PostgreSQL binaries (initdb, pg_ctl): apt-get install -y postgresql")


class Cluster:
    """A throwaway TLS + SCRAM PostgreSQL cluster, like Neon's, on a free port."""

    def __init__(self):
        self.bin = postgres_bin()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="todo-bench-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.password = secrets.token_hex(16)
        self.started = False
        # initdb refuses to run as root: then the cluster belongs to postgres.
        self.owner = "postgres" if os.geteuid() == 0 else None

    def as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", self.owner, "--", *command] if self.owner else command

    def start(self) -> None:
        if self.owner:
            user = pwd.getpwnam(self.owner)
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres"]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256"]
        subprocess.run(self.as_owner(initdb), check=True, capture_output=True)
        key, certificate = self.data / "server.key", self.data / "server.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)
        if self.owner:
            for path in (key, certificate):
                os.chown(path, user.pw_uid, user.pw_gid)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                "ssl = on\n"
                "ssl_cert_file = 'server.crt'\n"
                "ssl_key_file = 'server.key'\n"
                "password_encryption = 'scram-sha-256'\n"
                "max_connections = 300\n"
                # The database and the process in each line, for the statement count.
                "log_line_prefix = '%m [%p] %d '\n"
            )
        (self.data / "pg_hba.conf").write_text(
            "local     all all                 trust\n"
            "hostssl   all all 127.0.0.1/32    scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0       reject\n"
        )
        pg_ctl = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        subprocess.run(self.as_owner([*pg_ctl, "-w", "start"]), check=True, capture_output=True)
        self.started = True
        self.admin(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{self.password}'")

    def stop(self) -> None:
        if self.started:
            pg_ctl = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w"]
            subprocess.run(self.as_owner([*pg_ctl, "stop"]), capture_output=True)
            self.started = False
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def admin_conninfo(self) -> str:
        # The superuser, over the cluster's own Unix socket (trust).
        return f"host={self.directory} port={self.port} user=postgres dbname=postgres"

    def admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_conninfo, autocommit=True) as connection:
            connection.execute(sql)

    def url(self, database: str, port: int | None = None) -> str:
        """A Neon-style URL for the benchmark's role: to the proxy's port, or the cluster's."""
        return (
            f"postgresql://{ROLE}:{self.password}@127.0.0.1:{port or self.port}/{database}"
            "?sslmode=require&channel_binding=require"
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        source = f" TEMPLATE {template}" if template else ""
        for attempt in range(40):
            try:
                self.admin(f"CREATE DATABASE {name} OWNER {ROLE}{source}")
                return
            except psycopg.errors.ObjectInUse:
                # A template's last sessions may take a moment to go.
                if attempt == 39:
                    raise
                time.sleep(0.5)

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def log_statements(self, database: str) -> None:
        """Log every statement of this database's new sessions (log_statement = all)."""
        self.admin(f"ALTER DATABASE {database} SET log_statement = 'all'")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


class Proxy:
    """bench/delayproxy.py in a process of its own, pinned, with its control port."""

    def __init__(self, upstream_port: int, rtt_ms: float, cpus: list[int] | None = None):
        script = Path(__file__).resolve().parent / "delayproxy.py"
        command = [sys.executable, str(script), "--upstream", f"127.0.0.1:{upstream_port}"]
        command += ["--rtt", str(rtt_ms)]
        if cpus:
            command = ["taskset", "-c", ",".join(map(str, cpus)), *command]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
        )
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the delay proxy did not start")
        ports = json.loads(line)
        self.port, self.control_port = ports["port"], ports["control_port"]
        self.rtt_ms = rtt_ms

    @property
    def pid(self) -> int:
        return self.process.pid

    def command(self, line: str) -> dict:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=5) as sock:
            sock.sendall(line.encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        return json.loads(answer)

    def stats(self) -> dict:
        return self.command("stats")

    def set_rtt(self, rtt_ms: float) -> None:
        self.command(f"rtt {rtt_ms}")
        self.rtt_ms = rtt_ms

    def settle(self, quiet: float = 0.1, limit: float = 10.0) -> dict:
        """
        The stats once nothing has crossed for `quiet` seconds and nothing is
        queued: what a server sends after its answer (a connection returned
        to its pool, closed) then counts for the request that caused it.
        """
        deadline = time.monotonic() + limit
        while True:
            stats = self.stats()
            if (stats["idle"] >= quiet and not stats["queued"]) or time.monotonic() > deadline:
                return stats
            time.sleep(max(quiet - stats["idle"], 0.01))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RemoteDatabase:
    """
    The cluster and, unless the RTT is None, a delay proxy in front of it for
    each name given: servers that run at the same time each get their own, so
    that each proxy's counts are one server's.
    """

    def __init__(
        self, rtt_ms: float | None, proxy_cpus: list[int] | None = None, names=("default",)
    ):
        self.cluster = Cluster()
        self.proxies: dict[str, Proxy] = {}
        self.names = names
        self.rtt_ms = rtt_ms
        self.proxy_cpus = proxy_cpus

    def __enter__(self):
        try:
            self.cluster.start()
            if self.rtt_ms is not None:
                for name in self.names:
                    self.proxies[name] = Proxy(self.cluster.port, self.rtt_ms, self.proxy_cpus)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def proxy(self) -> Proxy | None:
        """The first proxy (bench/run's only one)."""
        return next(iter(self.proxies.values()), None)

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.proxies = {}
        self.cluster.stop()

    def server_url(self, database: str, proxy: str | None = None) -> str:
        """What a server is given: through its proxy when there is one."""
        chosen = self.proxies.get(proxy) if proxy else self.proxy
        return self.cluster.url(database, chosen.port if chosen else None)

    def direct_url(self, database: str) -> str:
        return self.cluster.url(database)

    def describe(self) -> str:
        where = (
            f"through a delay proxy adding {self.rtt_ms:g} ms per round trip"
            + (" (one per server)" if len(self.proxies) > 1 else "")
            if self.proxy
            else "directly, no delay proxy"
        )
        version = subprocess.run(
            [str(self.cluster.bin / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        return f"{version}, private TLS + SCRAM cluster on port {self.cluster.port}, {where}"
