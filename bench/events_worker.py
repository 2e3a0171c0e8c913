#!/usr/bin/env python3
"""
The events worker under a steady stream of events, alone: a fresh PostgreSQL
database, a private Redis and a webhook receiver (each delivery's signature
checked) in processes of their own, and `manage.py relay_events` relaying
what this script writes into the outbox at --rate events a second from 300
users, as the API's writes would. It prints the worker's CPU (a share of one
core, and per event), the receiver's, and how old the oldest pending event
was (sampled twice a second). It asserts nothing.

    .venv/bin/python bench/events_worker.py --rate 200 --seconds 15 --sinks both
    .venv/bin/python bench/events_worker.py --rate 0 --seconds 15     # an idle worker

Needs PostgreSQL on 127.0.0.1:5432 (or --admin-url), redis-server, and .venv.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import migrate  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402
from tests.webhook_receiver import new_secret  # noqa: E402

USERS = 300
TASK = {
    "id": 1, "title": "Buy milk and a few other things", "description": "2 litres",
    "completed": False, "completed_at": None, "priority": "medium",
    "due_at": "2026-12-05T17:00:00Z", "tags": ["errands", "home"], "recurrence": None,
    "next_occurrence_id": None, "remind_at": None,
    "created_at": "2026-11-22T03:47:25.123456Z", "updated_at": "2026-11-22T03:47:25.123456Z",
}  # fmt: skip
RECEIVER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.webhook_receiver import WebhookReceiver
receiver = WebhookReceiver(sys.argv[2])
print(receiver.url, flush=True)
time.sleep(24 * 3600)
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200, help="events a second")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--sinks", choices=["redis", "webhook", "both"], default="both")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    name = f"todo_events_bench_{os.getpid()}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database_url = urllib.parse.urlsplit(args.admin_url)._replace(path=f"/{name}").geturl()
    secret = new_secret()
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(ROOT), secret], stdout=subprocess.PIPE, text=True
    )
    redis = PrivateRedis.started()
    worker = None
    try:
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "REDIS_URL": "",
            "EVENTS_REDIS_URL": redis.url if args.sinks in ("redis", "both") else "",
            "WEBHOOK_URLS": receiver.stdout.readline().strip()
            if args.sinks in ("webhook", "both")
            else "",
            "WEBHOOK_SECRET": secret,
        }
        migrate(env)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "relay_events"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "todo_project.settings", **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # its start, which is not what is measured
        written, lags, worker_cpu, receiver_cpu = run(database_url, args, worker, receiver)
        print(
            f"{args.rate} events/s for {args.seconds} s to {args.sinks}: {written} events; "
            f"worker {worker_cpu / args.seconds:.1%} of a core"
            + (f", {worker_cpu / written * 1e6:.0f} us an event" if written else "")
            + (f"; receiver {receiver_cpu / written * 1e6:.0f} us an event" if written else "")
            + f"; oldest pending: median {lags[len(lags) // 2]:.2f} s, max {lags[-1]:.2f} s"
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()
        receiver.kill()
        redis.close()
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(database_url, args, worker, receiver):
    """Writes the events at the rate asked; what it wrote, the lags, both CPUs used."""
    worker_start, receiver_start = cpu_seconds(worker.pid), cpu_seconds(receiver.pid)
    sequences = {}
    lags = []
    written = 0
    with psycopg.connect(database_url, autocommit=True) as database:
        started = time.monotonic()
        next_sample = started
        while (elapsed := time.monotonic() - started) < args.seconds:
            rows = []
            while written < int(elapsed * args.rate):
                owner = f"user-{written % USERS}"
                sequences[owner] = sequences.get(owner, 0) + 1
                data = json.dumps({"user_id": owner, "task": {**TASK, "id": written}})
                rows.append((uuid.uuid4(), owner, written, sequences[owner], data))
                written += 1
            with database.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO events_event (event_id, owner_id, type, task_id, sequence, "
                    "time, data) VALUES (%s, %s, 'todo.task.updated', %s, %s, now(), %s)",
                    rows,
                )
            if time.monotonic() >= next_sample:
                (lag,) = database.execute(
                    "SELECT coalesce(extract(epoch FROM now() - min(time)), 0) "
                    "FROM events_event WHERE state = 'pending'"
                ).fetchone()
                lags.append(float(lag))
                next_sample += 0.5
            time.sleep(0.01)
    return (
        written,
        sorted(lags),
        cpu_seconds(worker.pid) - worker_start,
        cpu_seconds(receiver.pid) - receiver_start,
    )


if __name__ == "__main__":
    main()
