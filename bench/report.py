"""
bench/run's tables: per scenario and connection count, each server's median
over the rounds with the rounds' spread (min-max), and the ratios of each of
our servers to the seed design, taken round by round (the two measurements of
a round ran one after the other, on the same machine state) and then
summarised the same way.
"""

from os import cpu_count
from statistics import median


def spread(values: list[float]) -> dict:
    return {"median": median(values), "min": min(values), "max": max(values), "rounds": values}


def summarise(rows: list[dict], names: list[str], baseline: str | None) -> list[dict]:
    """One entry per (scenario, connections): each server's figures, and ratios to baseline."""
    summary = []
    keys = []
    for row in rows:
        key = (row["scenario"], row["connections"])
        if key not in keys:
            keys.append(key)
    for scenario, connections in keys:
        mine = [r for r in rows if (r["scenario"], r["connections"]) == (scenario, connections)]
        entry = {"scenario": scenario, "connections": connections, "servers": {}, "ratios": {}}
        for name in names:
            runs = sorted((r for r in mine if r["server"] == name), key=lambda r: r["round"])
            if not runs:
                continue
            entry["servers"][name] = {
                "rps": spread([r["rps"] for r in runs]),
                "p50_us": spread([r["p50_us"] for r in runs]),
                "p99_us": spread([r["p99_us"] for r in runs]),
                "non_2xx": sum(r["non_2xx"] for r in runs),
                "socket_errors": sum(r["socket_errors"] for r in runs),
                "bytes_per_response": median(r["bytes_per_response"] for r in runs),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
                "server_cpu_ms": spread([r["server_cpu_ms"] for r in runs]),
                "other_cpu": spread([r["cpu_percent"]["other"] for r in runs]),
            }
            if all("proxy_cpu_ms" in r for r in runs):
                # The delay proxy's CPU (bench/run --db-rtt): in ms per request, and
                # in percent of one CPU, to show it was not the bottleneck.
                entry["servers"][name]["proxy_cpu_ms"] = spread([r["proxy_cpu_ms"] for r in runs])
                entry["servers"][name]["proxy_cpu_share"] = spread(
                    [r["cpu_percent"]["proxy"] * (cpu_count() or 1) for r in runs]
                )
        base = {r["round"]: r for r in mine if r["server"] == baseline}
        for name in names:
            if name == baseline or not base:
                continue
            pairs = [(r, base[r["round"]]) for r in mine if r["server"] == name]
            pairs = [(r, b) for r, b in pairs if r["round"] in base]
            if pairs:
                entry["ratios"][name] = {
                    "rps": spread([r["rps"] / max(b["rps"], 1e-9) for r, b in pairs]),
                    "p99": spread([r["p99_us"] / max(b["p99_us"], 1) for r, b in pairs]),
                    "server_cpu_ms": spread(
                        [r["server_cpu_ms"] / max(b["server_cpu_ms"], 1e-9) for r, b in pairs]
                    ),
                }
        summary.append(entry)
    return summary


def ms(microseconds: float) -> str:
    milliseconds = microseconds / 1000
    return f"{milliseconds:.1f}" if milliseconds < 100 else f"{milliseconds:.0f}"


def ranged(s: dict, show, alone: bool = False) -> str:
    if len(s["rounds"]) == 1 or alone:
        return show(s["median"])
    return f"{show(s['median'])} ({show(s['min'])}-{show(s['max'])})"


def times(value: float) -> str:
    return f"{value:.2f}x"


def print_summary(summary: list[dict], baseline: str | None) -> None:
    labels = [n for e in summary for n in e["servers"]]
    labels += [f"{n}/{baseline}" for e in summary for n in e["ratios"]]
    width = max(map(len, labels), default=6) + 2
    header = (
        f"  {'server':<{width}}{'req/s (min-max)':>20}{'p50 ms':>9}{'p99 ms (min-max)':>23}"
        f"{'non-2xx':>9}{'sock err':>9}{'B/resp':>8}{'peak MiB':>9}{'CPU ms/req':>11}"
        f"{'other CPU (min-max)':>21}"
    )
    for entry in summary:
        print(f"\n{entry['scenario']} @ {entry['connections']} connections")
        print(header)
        for name, s in entry["servers"].items():
            print(
                f"  {name:<{width}}{ranged(s['rps'], lambda v: f'{v:.0f}'):>20}"
                f"{ms(s['p50_us']['median']):>9}{ranged(s['p99_us'], ms):>23}"
                f"{s['non_2xx']:>9}{s['socket_errors']:>9}{s['bytes_per_response']:>8.0f}"
                f"{s['peak_rss_mib']:>9.0f}{s['server_cpu_ms']['median']:>11.2f}"
                f"{ranged(s['other_cpu'], lambda v: f'{v:.0f}%'):>21}"
            )
        for name, s in entry["servers"].items():
            if "proxy_cpu_ms" in s:
                print(
                    f"  {'':<{width}}delay proxy for {name}: "
                    f"{ranged(s['proxy_cpu_share'], lambda v: f'{v:.0f}%')} of one CPU, "
                    f"{s['proxy_cpu_ms']['median']:.2f} ms of CPU per request"
                )
        for name, ratio in entry["ratios"].items():
            label = f"{name}/{baseline}"
            print(
                f"  {label:<{width}}{ranged(ratio['rps'], times):>20}{'':>9}"
                f"{ranged(ratio['p99'], times):>23}{'':>35}"
                f"{times(ratio['server_cpu_ms']['median']):>11}"
            )


def print_markdown(summary: list[dict], names: list[str], baseline: str | None) -> None:
    """The same medians as one Markdown table, ready for a note or the README."""
    others = [n for n in names if n != baseline]
    columns = ["scenario", "conns"]
    for name in names:
        columns += [f"{name} req/s", f"{name} p99 ms"]
    if baseline:
        for name in others:
            columns += [f"{name}/{baseline} req/s", f"{name}/{baseline} p99"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|")
    for entry in summary:
        cells = [entry["scenario"], str(entry["connections"])]
        for name in names:
            s = entry["servers"].get(name)
            cells += [f"{s['rps']['median']:.0f}", ms(s["p99_us"]["median"])] if s else ["", ""]
        for name in others if baseline else []:
            r = entry["ratios"].get(name)
            if r:
                cells += [ranged(r["rps"], times), ranged(r["p99"], times)]
            else:
                cells += ["", ""]
        print("| " + " | ".join(cells) + " |")
