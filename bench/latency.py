#!/usr/bin/env python3
"""
Latency of one request at a time, endpoint by endpoint, for the API and the
seed design side by side, with PostgreSQL a chosen RTT away (bench/remote.py:
a private TLS cluster behind the delay proxy). One client sends the requests
one after the other over a keep-alive connection to each server, the two
servers taking turns request by request (ours then the seed design's, then
the other way round), so that a change in the machine's load falls on both.
Prints p50 and p90 per endpoint and the ratios; asserts nothing.

    bench/latency.py                         # RTT 10 ms, 300 requests per endpoint and server
    bench/latency.py --db-rtt direct         # no proxy: the TLS cluster on the loopback
    bench/latency.py --db-rtt 2 --samples 100 --endpoints list,create,toggle
    bench/latency.py --repo ../other-checkout

See bench/README.md.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from statistics import median, quantiles

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    if not VENV_PYTHON.exists():
        sys.exit("bench/latency.py needs the project's virtualenv: run bin/test once")
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])

sys.path.insert(0, str(ROOT / "bench"))

import endpoints  # noqa: E402
from procs import TICKS, busy_ticks, processes, ticks_of, tree  # noqa: E402
from sidebyside import SideBySide, add_arguments, parse_rtt  # noqa: E402

BLOCKS = 4


class Accounting:
    """
    Where the machine's CPU went during the run: the servers, PostgreSQL (the
    private cluster's processes), the proxy, this client, and everything else
    (others' work on a shared machine).
    """

    def __init__(self, roots: dict[str, list[int]]):
        self.roots = roots
        self.first = self.read()
        self.busy = busy_ticks()
        self.started = time.monotonic()
        self.peak: dict[str, dict[int, int]] = {name: {} for name in roots}

    def read(self) -> dict[str, dict[int, int]]:
        table = processes()
        return {
            name: {pid: ticks_of(table[pid]) for root in roots for pid in tree(root, table)}
            for name, roots in self.roots.items()
        }

    def sample(self) -> None:
        # A process that ends before the last sample still counts what it had used.
        for name, ticks in self.read().items():
            self.peak[name].update(ticks)

    def shares(self) -> dict[str, float]:
        self.sample()
        elapsed = time.monotonic() - self.started
        capacity = elapsed * (os.cpu_count() or 1)
        seconds = {
            name: sum(t - self.first[name].get(pid, 0) for pid, t in ticks.items()) / TICKS
            for name, ticks in self.peak.items()
        }
        total = (busy_ticks() - self.busy) / TICKS
        seconds["other"] = max(total - sum(seconds.values()), 0.0)
        return {name: 100 * value / capacity for name, value in seconds.items()}


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0]
    return quantiles(values, n=100, method="inclusive")[p - 1]


def block_medians(values: list[float]) -> list[float]:
    size = max(len(values) // BLOCKS, 1)
    return [median(values[i : i + size]) for i in range(0, size * BLOCKS, size) if values[i:]]


def summarise(samples: dict[str, list[float]], trips: dict[str, list[int]]) -> dict:
    out = {}
    for api, values in samples.items():
        ms = [v * 1000 for v in values]
        blocks = block_medians(ms)
        out[api] = {
            "p50": median(ms),
            "p90": percentile(ms, 90),
            "max": max(ms),
            "n": len(ms),
            "block_p50": blocks,
        }
        if trips.get(api):
            out[api]["round_trips"] = median(trips[api])
            out[api]["round_trips_max"] = max(trips[api])
    if "ours" in out and "seed" in out:
        ratios = [
            o / s for o, s in zip(out["ours"]["block_p50"], out["seed"]["block_p50"], strict=True)
        ]
        out["ratio"] = {
            "p50": out["ours"]["p50"] / out["seed"]["p50"],
            "p90": out["ours"]["p90"] / out["seed"]["p90"],
            "blocks": ratios,
        }
    return out


def spread(values: list[float], show) -> str:
    return f"{show(min(values))}-{show(max(values))}"


def print_table(rows: list[dict], apis: list[str]) -> None:
    columns = ["endpoint"]
    for api in apis:
        columns += [f"{api} p50 ms", f"{api} p90 ms", f"{api} RTs"]
    both = "ours" in apis and "seed" in apis
    if both:
        columns += ["ours/seed p50", "ours/seed p90"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|")
    one = lambda v: f"{v:.1f}"  # noqa: E731
    times = lambda v: f"{v:.2f}x"  # noqa: E731
    for row in rows:
        s = row["summary"]
        cells = [row["endpoint"]]
        for api in apis:
            if api in s:
                trips = s[api].get("round_trips")
                cells += [
                    f"{one(s[api]['p50'])} ({spread(s[api]['block_p50'], one)})",
                    one(s[api]["p90"]),
                    "" if trips is None else f"{trips:g} (max {s[api]['round_trips_max']})",
                ]
            else:
                cells += ["-", "-", "-"]
        if both:
            if "ratio" in s:
                r = s["ratio"]
                cells += [f"{times(r['p50'])} ({spread(r['blocks'], times)})", times(r["p90"])]
            else:
                cells += ["-", "-"]
        print("| " + " | ".join(cells) + " |")


def uptime() -> str:
    with open("/proc/loadavg") as loadavg:
        return "load average " + " ".join(loadavg.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, default_rtt="10")
    parser.add_argument(
        "--samples", type=int, default=300, help="timed requests per endpoint and server"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="rounds of every endpoint first, not timed"
    )
    parser.add_argument(
        "--idle", type=float, default=6.0, help="seconds of idleness before the idle lists"
    )
    parser.add_argument(
        "--idle-samples",
        type=int,
        default=5,
        help="lists after --idle seconds with no request, per server (default 5; 0: none)",
    )
    parser.add_argument(
        "--primer",
        type=int,
        default=8,
        help="lists at once before each idle wait, one per server thread (default 8)",
    )
    parser.add_argument("--json", default="", help="also write every sample here")
    args = parser.parse_args()
    chosen = endpoints.choose(args.endpoints)
    rtt = parse_rtt(args.db_rtt)

    print(f"before      {uptime()}", flush=True)
    with SideBySide(args) as run:
        print("\n".join(run.describe()), flush=True)
        apis = list(run.servers)
        roots = {api: [server.pid] for api, server in run.servers.items()}
        roots["postgres"] = [run.remote.cluster.postmaster_pid()]
        if run.proxy:
            roots["proxies"] = [p.pid for p in run.remote.proxies.values()]
        roots["client"] = [os.getpid()]
        samples = {e.name: {a: [] for a in apis if a in e.apis} for e in chosen}
        trips = {e.name: {a: [] for a in apis if a in e.apis} for e in chosen}
        accounting = None
        started = time.monotonic()
        for number in range(-args.warmup, args.samples):
            if number == 0:
                accounting = Accounting(roots)
                started = time.monotonic()
            order = apis if number % 2 == 0 else apis[::-1]
            for endpoint in chosen:
                for api in order:
                    if api not in endpoint.apis:
                        continue
                    client, state = run.clients[api], run.states[api]
                    endpoints.prepare(client, state, endpoint)
                    proxy = run.proxy_of(api)
                    before = proxy.stats()["round_trips"] if proxy else 0
                    _, answer = endpoints.call(client, state, endpoint)
                    if number >= 0:
                        samples[endpoint.name][api].append(answer.seconds)
                        if proxy:
                            trips[endpoint.name][api].append(proxy.stats()["round_trips"] - before)
            if number >= 0 and number % 25 == 0:
                accounting.sample()
                done = number + 1
                left = (time.monotonic() - started) / done * (args.samples - done)
                print(f"  {done}/{args.samples} rounds, about {left:.0f} s left", flush=True)
        idle = {a: [] for a in apis}
        idle_trips = {a: [] for a in apis}
        listing = endpoints.ENDPOINTS[0]
        for number in range(args.idle_samples):
            # Lists at once first, one per server thread: each connection young
            # and just used, so that the wait alone is measured.
            for api in apis:
                run.prime(api, endpoints.READER, args.primer)
            time.sleep(args.idle)
            for api in apis if number % 2 == 0 else apis[::-1]:
                proxy = run.proxy_of(api)
                before = proxy.stats()["round_trips"] if proxy else 0
                _, answer = endpoints.call(run.clients[api], run.states[api], listing)
                idle[api].append(answer.seconds)
                if proxy:
                    idle_trips[api].append(proxy.stats()["round_trips"] - before)
        shares = accounting.shares() if accounting else {}
        elapsed = time.monotonic() - started
        proxy_cpu = sum(p.stats()["cpu"] for p in run.remote.proxies.values())
        with_proxy = run.proxy is not None

    rows = [
        {
            "endpoint": name,
            "summary": summarise(s, trips[name]),
            "samples": s,
            "round_trips": trips[name],
        }
        for name, s in samples.items()
    ]
    if args.idle_samples:
        name = f"list after {args.idle:g} s idle"
        rows.append(
            {
                "endpoint": name,
                "summary": summarise(idle, idle_trips),
                "samples": idle,
                "round_trips": idle_trips,
            }
        )
    where = f"RTT {rtt:g} ms (delay proxy)" if rtt is not None else "no delay proxy (direct)"
    print(
        f"\nSequential requests, one client, {where}, TLS PostgreSQL: p50 (the range of the"
        f" p50s of {BLOCKS} consecutive blocks) and p90 over {args.samples} requests per"
        f" endpoint and server ({args.idle_samples} for the idle row)\n"
    )
    print_table(rows, apis)
    print(f"\nafter       {uptime()}")
    print(
        "CPU during the timed rounds, in % of the machine: "
        + ", ".join(f"{k} {v:.0f}%" for k, v in shares.items())
        + f" ({elapsed:.0f} s)"
    )
    if with_proxy:
        print(f"the proxies' CPU over the whole run, set-up included: {proxy_cpu:.1f} s")
    print(
        "\nThe time from sending a request to the end of its answer, as this client saw it"
        "\n(keep-alive). RTs: round trips to PostgreSQL while the request was open, median"
        "\nand largest, from the server's own proxy (a pool's reset after the answer, as the"
        "\nseed design's ROLLBACK, is not in it: bench/roundtrips.py counts those)."
        "\nRatios: ours over the seed design's (below 1: ours answers sooner),"
        "\nwith the range of the blocks' ratios. 'other' is CPU used by anything but these"
        "\nservers, the cluster, the proxy and this client: others' work on a shared machine."
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"db_rtt": args.db_rtt, "rows": rows, "cpu": shares}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
