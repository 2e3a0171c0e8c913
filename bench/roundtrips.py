#!/usr/bin/env python3
"""
Round trips to PostgreSQL per request, endpoint by endpoint, for the API and
the seed design side by side: each request is sent alone, and the delay
proxy (bench/delayproxy.py) counts the round trips it caused, BEGIN, COMMIT
and pings included, and the connections it opened; the private cluster's log
(log_statement = all) gives the statements. Prints a table; asserts nothing.

    bench/roundtrips.py                      # RTT 10 ms, every endpoint, then a list after 6 s idle
    bench/roundtrips.py --show-statements    # and the statements of each endpoint
    bench/roundtrips.py --idle 6,35,65 --repeat 3 --repo ../other-checkout

See bench/README.md.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    if not VENV_PYTHON.exists():
        sys.exit("bench/roundtrips.py needs the project's virtualenv: run bin/test once")
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])

sys.path.insert(0, str(ROOT / "bench"))

import endpoints  # noqa: E402
from sidebyside import SideBySide, add_arguments  # noqa: E402

STATEMENT = re.compile(r"\[\d+\] (\S*) LOG:  (?:statement|execute [^:]*): (.*)$", re.MULTILINE)


def statements(log: str, database: str) -> list[str]:
    return [sql.strip() for db, sql in STATEMENT.findall(log) if db == database]


def measure(run: SideBySide, api: str, endpoint, primer: int = 0) -> dict:
    """One request, alone: the round trips, connections and statements it caused."""
    proxy, cluster = run.proxy_of(api), run.remote.cluster
    client, state = run.clients[api], run.states[api]
    endpoints.prepare(client, state, endpoint)
    # Whichever server thread takes the measured request finds a connection
    # used a moment ago and its user known, as under load.
    run.prime(api, endpoint.user, primer)
    before = proxy.settle()
    offset = cluster.log_size()
    endpoints.call(client, state, endpoint)
    # Settled: what a server sends after its answer (a pool's reset) counts too.
    after = proxy.settle()
    sql = statements(cluster.log_since(offset), run.databases[api])
    return {
        "round_trips": after["round_trips"] - before["round_trips"],
        "connections": after["connections"] - before["connections"],
        "statements": len(sql),
        "sql": sql,
    }


def prime(run: SideBySide, primer: int) -> None:
    """Lists at the same time, one per server thread: every connection young and just used."""
    for api in run.servers:
        run.prime(api, endpoints.READER, primer)
    for api in run.servers:
        run.proxy_of(api).settle()


def measure_idle(run: SideBySide, seconds: float) -> dict[str, dict]:
    """A list after `seconds` with no request, for each server (one wait for both)."""
    time.sleep(seconds)
    return {api: measure(run, api, endpoints.ENDPOINTS[0]) for api in run.servers}


def figure(samples: list[dict], key: str) -> str:
    values = [s[key] for s in samples]
    low, high, middle = min(values), max(values), median(values)
    shown = f"{middle:g}"
    return shown if low == high else f"{shown} ({low}-{high})"


def print_table(rows: list[dict], apis: list[str]) -> None:
    columns = ["endpoint"]
    for api in apis:
        columns += [f"{api} round trips", f"{api} statements", f"{api} new connections"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|")
    for row in rows:
        cells = [row["endpoint"]]
        for api in apis:
            samples = row["samples"].get(api)
            if samples:
                cells += [figure(samples, k) for k in ("round_trips", "statements", "connections")]
            else:
                cells += ["-", "-", "-"]
        print("| " + " | ".join(cells) + " |")


def print_statements(rows: list[dict], apis: list[str], width: int) -> None:
    for row in rows:
        for api in apis:
            samples = row["samples"].get(api)
            if not samples:
                continue
            last = samples[-1]
            print(
                f"\n{row['endpoint']}, {api}: {last['round_trips']} round trips, "
                f"{last['connections']} new connections, {last['statements']} statements"
            )
            for sql in last["sql"]:
                sql = " ".join(sql.split())
                print(f"  {sql[:width]}{'...' if len(sql) > width else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, default_rtt="10")
    parser.add_argument(
        "--repeat", type=int, default=5, help="measured requests per endpoint (default 5)"
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="requests per endpoint before those (default 2)"
    )
    parser.add_argument(
        "--primer",
        type=int,
        default=8,
        help="lists as the endpoint's user at the same time right before each measured "
        "request, one per server thread (default 8, the Procfile's "
        "GRANIAN_BLOCKING_THREADS); 0 for none",
    )
    parser.add_argument(
        "--idle",
        default="6",
        help="seconds of idleness before a list, comma separated (default 6; '' for none)",
    )
    parser.add_argument(
        "--idle-repeat",
        type=int,
        default=2,
        help="lists per idle time, each after that long with no request; the primer's "
        "lists come before the first only (default 2)",
    )
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument("--width", type=int, default=150, help="of a statement shown")
    parser.add_argument("--json", default="", help="also write the samples here")
    args = parser.parse_args()
    if args.db_rtt.strip() in ("direct", "none", ""):
        sys.exit("round trips are counted by the proxy: give --db-rtt MS (0 for no delay)")
    chosen = endpoints.choose(args.endpoints)
    idle_times = [float(t) for t in args.idle.split(",") if t.strip()]

    started = time.monotonic()
    with SideBySide(args, log_statements=True) as run:
        print("\n".join(run.describe()), flush=True)
        apis = list(run.servers)
        rows = []
        for endpoint in chosen:
            row = {"endpoint": endpoint.name, "samples": {}}
            for api in apis:
                if api not in endpoint.apis:
                    continue
                for _ in range(args.warmup):
                    endpoints.prepare(run.clients[api], run.states[api], endpoint)
                    endpoints.call(run.clients[api], run.states[api], endpoint)
                samples = [measure(run, api, endpoint, args.primer) for _ in range(args.repeat)]
                row["samples"][api] = samples
                print(
                    f"  {endpoint.name}, {api}: round trips "
                    f"{[s['round_trips'] for s in samples]}, statements "
                    f"{[s['statements'] for s in samples]}",
                    flush=True,
                )
            rows.append(row)
        for seconds in idle_times:
            row = {"endpoint": f"list after {seconds:g} s idle", "samples": {a: [] for a in apis}}
            prime(run, args.primer)
            for _ in range(args.idle_repeat):
                for api, sample in measure_idle(run, seconds).items():
                    row["samples"][api].append(sample)
            print(f"  {row['endpoint']}: done", flush=True)
            rows.append(row)
        proxies = [run.proxy_of(api).stats() for api in apis]

    print(
        f"\nRound trips to PostgreSQL per request at RTT {args.db_rtt} ms: median of "
        f"{args.repeat} requests per endpoint ({args.idle_repeat} for the idle rows), "
        "(min-max) when they differ\n"
    )
    print_table(rows, apis)
    print(
        "\nround trips: the client sent, then waited for PostgreSQL's answer (BEGIN, COMMIT,"
        "\npings, a pool's reset and a new connection's TCP, TLS and SCRAM included), counted"
        "\nby the proxy until it had been quiet for 0.1 s after the answer; statements: lines"
        "\nof the cluster's log (log_statement = all) for the server's database; new"
        "\nconnections: opened to PostgreSQL during the request. Each endpoint after"
        f"\n{args.warmup} requests of its kind; each request right after {args.primer} lists"
        "\nas the same user at once (a connection used a moment ago, the user known);"
        "\nthe writes' prepare steps (a task to delete, completed tasks to clear, an ETag)"
        "\nare not counted. An idle row: the primer's lists, then each list after that long"
        "\nwith no request."
        f"\nThe proxies: {sum(p['round_trips'] for p in proxies)} round trips, "
        f"{sum(p['connections'] for p in proxies)} connections, "
        f"{sum(p['cpu'] for p in proxies):.1f} s of CPU in {time.monotonic() - started:.0f} s."
    )
    if args.show_statements:
        print_statements(rows, apis, args.width)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"db_rtt": args.db_rtt, "rows": rows}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
