"""
What bench/roundtrips.py and bench/latency.py share: the API and the seed
design started side by side, each on its own database of a private TLS
PostgreSQL (bench/remote.py), through the delay proxy when an RTT is given,
pinned like bench/run's (servers on CPU 0, this client and the proxy on the
others), with a few users seeded through each API the same way (20 tasks
each, every third completed), at no delay.
"""

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import endpoints
from remote import RemoteDatabase
from seed import Client as SeedClient
from seed import mint_token, seed_user
from servers import (
    Abort,
    describe_app,
    git_revision,
    migrate,
    ours_environment,
    ours_target,
    seed_target,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def add_arguments(parser: argparse.ArgumentParser, default_rtt: str) -> None:
    env = os.environ.get
    parser.add_argument(
        "--db-rtt",
        default=env("BENCH_DB_RTT", default_rtt),
        metavar="MS",
        help="milliseconds the delay proxy adds per round trip to PostgreSQL; 'direct' "
        "for none and no proxy (default %(default)s)",
    )
    parser.add_argument(
        "--servers", default=env("BENCH_SERVERS", "ours,seed"), help="ours and/or seed"
    )
    parser.add_argument(
        "--repo",
        default=env("BENCH_REPO", str(ROOT)),
        metavar="DIR",
        help="the API's checkout to measure, run from its .venv (default: %(default)s)",
    )
    parser.add_argument(
        "--ours-command",
        default=env("BENCH_OURS_COMMAND", ""),
        metavar="CMD",
        help="start the API with this shell command ({port}) instead of the Procfile's web:",
    )
    parser.add_argument(
        "--peer",
        default=env("BENCH_PEER_DIR", str(ROOT.parent / "shared" / "peers" / "fastapi-seed")),
        metavar="DIR",
        help="the seed design's checkout (default: %(default)s)",
    )
    parser.add_argument("--seed-workers", type=int, default=int(env("BENCH_SEED_WORKERS", "2")))
    parser.add_argument("--server-cpus", default=env("BENCH_SERVER_CPUS", "0"))
    parser.add_argument(
        "--client-cpus",
        default=env("BENCH_CLIENT_CPUS", ""),
        help="CPUs of this client and the proxy (default: those the servers do not have)",
    )
    parser.add_argument(
        "--endpoints",
        default=env("BENCH_ENDPOINTS", ""),
        help="only the endpoints whose names start with these words, comma separated",
    )


def stop_on_signal(signum, frame):
    raise SystemExit(f"stopped by {signal.Signals(signum).name}")


def parse_rtt(text: str) -> float | None:
    return None if text.strip() in ("direct", "none", "") else float(text)


def parse_cpus(text: str) -> list[int]:
    cpus = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return sorted(cpus)


class SideBySide:
    """Both servers up on seeded databases, and a client and a state for each."""

    def __init__(self, args, log_statements: bool = False):
        self.args = args
        self.log_statements = log_statements
        self.rtt = parse_rtt(args.db_rtt)
        self.repo = Path(args.repo).resolve()
        self.venv = self.repo / ".venv"
        available = os.sched_getaffinity(0)
        self.server_cpus = parse_cpus(args.server_cpus)
        rest = sorted(available - set(self.server_cpus)) or sorted(available)
        self.client_cpus = parse_cpus(args.client_cpus) if args.client_cpus else rest
        self.apis = [a.strip() for a in args.servers.split(",") if a.strip()]
        if not set(self.apis) <= {"ours", "seed"} or not self.apis:
            sys.exit(f"--servers takes ours and/or seed, not {args.servers!r}")
        if "ours" in self.apis and not (self.venv / "bin" / "python").exists():
            sys.exit(f"{self.repo} has no .venv: run bin/test there once")
        self.workdir = Path(tempfile.mkdtemp(prefix="todo-bench-seq-"))
        self.remote: RemoteDatabase | None = None
        self.servers = {}
        self.clients: dict[str, endpoints.Client] = {}
        self.states: dict[str, endpoints.State] = {}
        self.databases: dict[str, str] = {}
        self.secret = secrets.token_urlsafe(32)

    @property
    def proxy(self):
        return self.remote.proxy if self.remote else None

    def proxy_of(self, api: str):
        """The proxy between this server and PostgreSQL: its counts are this server's."""
        return self.remote.proxies.get(api) if self.remote else None

    def prime(self, api: str, user: int, count: int) -> None:
        """
        `count` lists as this user at the same time, each on a connection of its
        own: every server thread (granian has 8, the Procfile's
        GRANIAN_BLOCKING_THREADS) then answers one, so each database connection
        is young and was used a moment ago, and the user is known. One after
        the other would not do: which thread takes a request is not fixed.
        """
        if count < 1:
            return
        base_url, tokens = self.servers[api].base_url, self.clients[api].tokens
        request = endpoints.Request("GET", "/api/tasks", user)

        def one(_):
            client = endpoints.Client(base_url, tokens)
            try:
                return client.send(request).status
            finally:
                client.close()

        with ThreadPoolExecutor(count) as pool:
            statuses = list(pool.map(one, range(count)))
        if any(status != 200 for status in statuses):
            raise Abort(f"{api}: the primer's lists answered {statuses}")

    def set_rtt(self, rtt: float) -> None:
        for proxy in self.remote.proxies.values():
            proxy.set_rtt(rtt)

    def __enter__(self):
        # Stopped by a signal, still stop the servers and remove the cluster.
        signal.signal(signal.SIGTERM, stop_on_signal)
        os.sched_setaffinity(0, self.client_cpus)
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> None:
        self.remote = RemoteDatabase(self.rtt, self.client_cpus, names=self.apis)
        self.remote.__enter__()
        # No delay while seeding: the data, not its making, is the point.
        self.set_rtt(0)
        env = ours_environment(self.secret)
        tokens = [
            mint_token(self.secret, f"timed-user-{n}", 3 * 3600)
            for n in range(endpoints.USERS_NEEDED)
        ]
        for api in self.apis:
            name = f"todo_bench_seq_{os.getpid()}_{api}"
            self.remote.cluster.create_database(name)
            self.databases[api] = name
            if self.log_statements:
                self.remote.cluster.log_statements(name)
            if api == "ours":
                migrate(self.repo, self.venv, env, self.remote.direct_url(name))
                command = self.args.ours_command or None
                target = ours_target("ours", self.repo, command, env, self.venv)
            else:
                target = seed_target(
                    Path(self.args.peer).resolve(), self.secret, self.args.seed_workers
                )
            server = target.server(
                self.remote.server_url(name, api), self.workdir / f"{api}.log", self.server_cpus
            )
            self.servers[api] = server
            server.start()
            task_ids = self.seed(server.base_url, tokens)
            self.clients[api] = endpoints.Client(server.base_url, tokens)
            self.states[api] = endpoints.State(api, task_ids)
        if self.rtt is not None:
            self.set_rtt(self.rtt)

    def seed(self, base_url: str, tokens: list[str]) -> list[list[int]]:
        client = SeedClient(base_url)
        with ThreadPoolExecutor(len(tokens)) as pool:
            return list(pool.map(lambda n: seed_user(client, tokens[n], n, 20), range(len(tokens))))

    def describe(self) -> list[str]:
        lines = [f"commit      {git_revision(self.repo)} ({self.repo})"]
        if self.repo != ROOT:
            lines.append(f"bench/      {git_revision(ROOT)} ({ROOT})")
        lines.append(f"database    {self.remote.describe()}")
        for api, server in self.servers.items():
            lines.append(f"{api:<11} {server.target.description}")
        if "ours" in self.servers:
            env = ours_environment(self.secret)
            lines.append(f"app         {describe_app(self.repo, self.venv, env)}")
        lines.append(
            f"CPUs        servers on {self.server_cpus}, this client"
            f"{' and the proxy' if self.proxy else ''} on {self.client_cpus}, PostgreSQL unpinned"
        )
        return lines

    def close(self) -> None:
        # A second signal (timeout(1) sends one to the process and one to its
        # group) must not cut the cleaning up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for client in self.clients.values():
            client.close()
        for server in self.servers.values():
            server.stop()
        self.servers = {}
        if self.remote is not None:
            self.remote.close()
            self.remote = None
        if os.environ.get("BENCH_KEEP_LOG"):
            print(f"server logs kept in {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


__all__ = ["Abort", "SideBySide", "add_arguments"]
