"""
The worker (the Procfile's ``worker:`` line): delivers the outbox to the
sinks and makes the reminders that are due, until SIGTERM or SIGINT, which
let it finish the round in hand and stop.
"""

import logging
import signal
import threading
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from events.models import Event
from events.relay import Relay
from events.reminders import make_due_reminders
from events.sinks import configured_sinks

logger = logging.getLogger("events.relay")

# Rest after a round that took less than it could: the most a new event
# waits to be sent, and what lets a busy round take many events at once (a
# round's statements cost the same for one event as for a hundred).
REST_SECONDS = 0.1
# Due reminders, and dead events an admin retries, are looked for this often
# (the partial indexes make it cheap).
SCAN_SECONDS = 1.0
LAG_LOG_SECONDS = 60.0
# Longest rest after a failing round (the database away, a bug).
MAX_ERROR_REST_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Deliver task events to the Redis Stream and webhooks configured, and make the "
        "reminders that are due, until SIGTERM. Several may run at once on PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, once, **options):
        sinks = configured_sinks()
        if not sinks:
            raise CommandError("No sink is configured: set EVENTS_REDIS_URL or WEBHOOK_URLS.")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        relay = Relay(sinks)
        logger.info("relaying task events to %s", ", ".join(relay.sinks))
        try:
            self.run(relay, stop, once)
        finally:
            relay.close()
        logger.info("stopped")

    def run(self, relay: Relay, stop: threading.Event, once: bool) -> None:
        minute = Counter()
        next_lag_log = time.monotonic() + LAG_LOG_SECONDS
        next_scan = 0.0
        errors_in_a_row = 0
        while not stop.is_set():
            try:
                scan = time.monotonic() >= next_scan
                if scan:
                    minute["reminders"] += make_due_reminders()
                    next_scan = time.monotonic() + SCAN_SECONDS
                report = relay.run_once(retries=scan)
                if time.monotonic() >= next_lag_log:
                    log_lag(minute)
                    minute.clear()
                    next_lag_log = time.monotonic() + LAG_LOG_SECONDS
            except Exception:
                # The database restarting, most often: the round's claim went
                # with its transaction, and nothing was marked, so the next
                # round sends again what this one may have sent.
                errors_in_a_row += 1
                rest = min(2 ** (errors_in_a_row - 1), MAX_ERROR_REST_SECONDS)
                logger.exception("round failed, next one in %s s", rest)
                connection.close()
                stop.wait(rest)
                continue
            errors_in_a_row = 0
            log_round(report.delivered)
            minute["delivered"] += sum(report.delivered.values())
            if once:
                break
            if not report.full:
                stop.wait(REST_SECONDS)


def log_round(delivered: Counter) -> None:
    by_sink = {}
    for (sink, event_type), count in sorted(delivered.items()):
        by_sink.setdefault(sink, []).append(f"{count} {event_type.removeprefix('todo.task.')}")
    for sink, counts in by_sink.items():
        logger.info("delivered to %s: %s", sink, ", ".join(counts))


def log_lag(minute: Counter) -> None:
    backlog = Event.objects.backlog()
    logger.info(
        "lag: %s pending, oldest %s s, %s dead; last minute: %s deliveries, %s reminders",
        backlog["pending"], backlog["oldest_pending_seconds"] or 0, backlog["dead"],
        minute["delivered"], minute["reminders"],
    )  # fmt: skip
