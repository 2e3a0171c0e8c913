"""
The delivery of the outbox to the sinks: claim, send, mark.

Each sink takes an owner's events in order, and a Lane keeps how far it got,
so the unit of work is an owner: a round claims owners with pending events,
reads each sink's next events of theirs, sends them (every sink at once, each
on its own), and marks what was taken, in one transaction that keeps those
owners claimed until the marks are committed. Another worker skips a claimed
owner as a whole, never a single event: had it taken a later event of an
owner whose earlier one is in flight here, it could deliver it first.

On PostgreSQL an owner is claimed with a transaction-level advisory lock,
which the database lets go when the transaction ends or the worker dies. On
SQLite there is no such lock: one worker only, and the transaction holds just
the marking, as SQLite has one write lock for everybody.

Delivery is at least once: a worker killed between a send and its commit
sends those events again when it is back, with the same ids.
"""

import logging
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from . import queries
from .models import Event, EventState
from .queries import LaneState, PendingEvent
from .sinks import Outcome, describe

logger = logging.getLogger("events.relay")

# Owners claimed per round, and events sent per lane (owner and sink) per round.
OWNERS_PER_ROUND = 200
EVENTS_PER_LANE = 100
RETRIES_PER_ROUND = 100
# Backoff: 1 s after the first failure, doubling, at most 5 minutes.
MAX_BACKOFF_SECONDS = 300


def backoff(failures: int) -> timedelta:
    return timedelta(seconds=min(2 ** (failures - 1), MAX_BACKOFF_SECONDS))


@dataclass
class Batch:
    """One lane's events to send in this round."""

    lane: LaneState
    events: list[PendingEvent]


@dataclass
class Report:
    # Events delivered, by (sink name, event type).
    delivered: Counter = field(default_factory=Counter)
    failures: int = 0
    dead: int = 0
    # The round took all it could: more may be waiting already.
    full: bool = False


class Relay:
    """A worker's sinks, and what it remembers between rounds."""

    def __init__(self, sinks: list):
        self.sinks = {sink.name: sink for sink in sinks}
        # Where the next round's scan of owners starts, so that every owner
        # gets its turn when more have pending events than a round takes.
        self.next_owner = ""
        # Sinks found down: left alone until then (time, failures in a row).
        self.paused: dict[str, tuple[datetime, int]] = {}
        self.senders = ThreadPoolExecutor(max(len(sinks), 1), thread_name_prefix="sink")

    def run_once(self, now: datetime | None = None, *, retries: bool = True) -> Report:
        """One round; ``retries``: also send dead events an admin asked to retry."""
        report = Report()
        now = now or timezone.now()
        self.relay_lanes(now, report)
        if retries:
            self.retry_dead(now, report)
        return report

    def close(self) -> None:
        self.senders.shutdown(wait=True)
        for sink in self.sinks.values():
            sink.close()

    # Lanes: each sink's next events of each claimed owner.

    def relay_lanes(self, now: datetime, report: Report) -> None:
        # Looked for before the transaction: an idle worker's rounds cost one
        # statement each.
        owners = queries.owners_with_pending_events(self.next_owner, OWNERS_PER_ROUND)
        self.next_owner = owners[-1] if len(owners) == OWNERS_PER_ROUND else ""
        if not owners:
            return
        with claiming():
            owners = queries.claim(owners)
            if not owners:
                return
            lanes = queries.open_lanes(owners, list(self.sinks))
            batches = self.next_batches(lanes.values(), now)
            # More owners wait, or more events of one: go on at once, unless
            # nothing here could be sent (every lane waiting out a failure).
            report.full = bool(batches) and (
                bool(self.next_owner) or any(len(b.events) == EVENTS_PER_LANE for b in batches)
            )
            results = self.send([(batch.lane.sink, batch.events) for batch in batches])
            with transaction.atomic(savepoint=False):
                self.mark(batches, results, now, report)
                queries.finish(passed_everywhere(owners, lanes, list(self.sinks)), now)

    def next_batches(self, lanes, now: datetime) -> list[Batch]:
        """The lanes due now, each with its next events (lanes at one place share a read)."""
        due = [
            lane
            for lane in lanes
            if not self.is_paused(lane.sink, now) and not (lane.retry_at and lane.retry_at > now)
        ]
        places = {(lane.owner_id, lane.sequence, lane.event) for lane in due}
        found = queries.events_after(sorted(places), EVENTS_PER_LANE)
        batches = []
        for lane in due:
            events = found[lane.owner_id, lane.sequence, lane.event]
            if events:
                batches.append(Batch(lane, events))
        return batches

    def mark(self, batches: list[Batch], results: list[Outcome], now, report: Report) -> None:
        changed = []
        failed = defaultdict(list)
        down, up = set(), set()
        for batch, outcome in zip(batches, results, strict=True):
            lane = batch.lane
            if outcome.delivered:
                delivered = batch.events[: outcome.delivered]
                lane.sequence, lane.event = delivered[-1].sequence, delivered[-1].pk
                lane.failures, lane.retry_at, lane.last_error = 0, None, ""
                self.note_delivered(lane.sink, delivered, report)
            if outcome.error:
                head = batch.events[outcome.delivered]
                failed[outcome.error].append(head.pk)
                self.note_failure(lane, head, outcome.error, now, report)
            if outcome.unavailable:
                down.add(lane.sink)
            elif outcome.delivered:
                up.add(lane.sink)
            if outcome.delivered or outcome.error:
                changed.append(lane)
        # Once a round, however many owners found a sink down.
        for sink in down:
            self.pause(sink, now)
        for sink in up - down:
            self.paused.pop(sink, None)
        for error, event_ids in failed.items():
            Event.objects.filter(pk__in=event_ids).update(
                attempts=F("attempts") + 1, last_error=error
            )
        # Under the owner's claim: no other worker writes these lanes.
        queries.save_lanes(changed)

    def note_delivered(self, sink: str, events: list[Event], report: Report) -> None:
        for event in events:
            report.delivered[sink, event.type] += 1
            logger.debug(
                "delivered %s %s task=%s sequence=%s owner=%s to %s",
                event.event_id, event.type, event.task_id, event.sequence, event.owner_id, sink,
            )  # fmt: skip

    def note_failure(
        self, lane: LaneState, head: PendingEvent, error: str, now, report: Report
    ) -> None:
        """The lane waits on its head event, or gives up on it after EVENTS_MAX_ATTEMPTS."""
        lane.failures += 1
        lane.last_error = error
        report.failures += 1
        if lane.failures < settings.EVENTS_MAX_ATTEMPTS:
            lane.retry_at = now + backoff(lane.failures)
            logger.warning(
                "%s failed on %s (owner %s, attempt %s), next try in %s s: %s",
                lane.sink, head.event_id, lane.owner_id, lane.failures,
                int(backoff(lane.failures).total_seconds()), error,
            )  # fmt: skip
            return
        give_up(head, lane.sink)
        lane.sequence, lane.event = head.sequence, head.pk
        lane.failures, lane.retry_at = 0, None
        report.dead += 1
        logger.error(
            "%s gave up on %s after %s attempts, the owner's later events go on: %s",
            lane.sink, head.event_id, settings.EVENTS_MAX_ATTEMPTS, error,
        )  # fmt: skip

    # Sinks: each on its own, all at once.

    def send(self, work: list[tuple[str, list[Event]]]) -> list[Outcome]:
        """Each (sink name, events) of ``work`` sent; the outcomes in the same order."""
        messages = {}
        queues = defaultdict(list)
        for index, (sink, events) in enumerate(work):
            queue = []
            for event in events:
                if event.pk not in messages:
                    messages[event.pk] = (str(event.event_id), event.to_cloudevent())
                queue.append(messages[event.pk])
            queues[sink].append((index, queue))
        running = {
            sink: self.senders.submit(self.deliver, sink, [queue for _, queue in items])
            for sink, items in queues.items()
        }
        results = [None] * len(work)
        for sink, future in running.items():
            for (index, _), outcome in zip(queues[sink], future.result(), strict=True):
                results[index] = outcome
        return results

    def deliver(self, sink: str, queues: list) -> list[Outcome]:
        try:
            return self.sinks[sink].deliver(queues)
        except Exception as error:
            # A bug in a sink must not stop the others, nor lose anything:
            # to the relay it is a failure like any other.
            logger.exception("%s raised", sink)
            return [Outcome(0, describe(error), unavailable=True) for _ in queues]

    def is_paused(self, sink: str, now: datetime) -> bool:
        until, _ = self.paused.get(sink, (None, 0))
        return until is not None and until > now

    def pause(self, sink: str, now: datetime) -> None:
        _, failures = self.paused.get(sink, (None, 0))
        self.paused[sink] = (now + backoff(failures + 1), failures + 1)

    # Dead events an admin asked to retry: sent again to the sinks that gave up.

    def retry_dead(self, now: datetime, report: Report) -> None:
        with claiming():
            due = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
            events = list(
                Event.objects.select_for_update(skip_locked=True)
                .filter(due, state=EventState.RETRY)
                .order_by("owner_id", "sequence", "pk")[:RETRIES_PER_ROUND]
            )
            if not events:
                return
            report.full |= len(events) == RETRIES_PER_ROUND
            work = [
                (sink, [event])
                for event in events
                for sink in event.dead_sink_names()
                if sink in self.sinks and not self.is_paused(sink, now)
            ]
            results = self.send(work)
            outcomes = defaultdict(dict)
            for (sink, [event]), outcome in zip(work, results, strict=True):
                outcomes[event.pk][sink] = outcome
                if outcome.delivered:
                    self.note_delivered(sink, [event], report)
            with transaction.atomic(savepoint=False):
                for event in events:
                    self.settle_retry(event, outcomes[event.pk], now, report)

    def settle_retry(self, event: Event, outcomes: dict, now: datetime, report: Report) -> None:
        """Delivered once no sink is left; else tried again later, or dead again."""
        left = [
            sink for sink in event.dead_sink_names() if not outcomes.get(sink, Outcome(0)).delivered
        ]
        errors = [outcome.error for outcome in outcomes.values() if outcome.error]
        gone = [sink for sink in left if sink not in self.sinks]
        event.dead_sinks = "\n".join(left)
        if not left:
            event.state, event.delivered_at, event.retry_at = EventState.DELIVERED, now, None
        elif errors or gone:
            event.attempts += 1
            event.last_error = errors[0] if errors else f"{gone[0]} is no longer configured"
            report.failures += 1
            if event.attempts < settings.EVENTS_MAX_ATTEMPTS and not gone:
                event.retry_at = now + backoff(event.attempts)
            else:
                event.state, event.retry_at = EventState.DEAD, None
                report.dead += 1
        # Else its sinks are paused: nothing was tried, it stays as it is.
        event.save(
            update_fields=[
                "state",
                "delivered_at",
                "retry_at",
                "attempts",
                "last_error",
                "dead_sinks",
            ]
        )


def claiming():
    """
    The scope of a round's claim: on PostgreSQL a transaction, whose advisory
    and row locks keep other workers off until it commits. SQLite has none.
    """
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


def give_up(event: PendingEvent, sink: str) -> None:
    """The sink gave up on the event: dead once every sink has passed it (finish())."""
    event.dead_sinks = "\n".join([*event.dead_sink_names(), sink])
    # Appended in the statement: two sinks may give up on it in one round.
    Event.objects.filter(pk=event.pk).update(
        dead_sinks=Case(
            When(dead_sinks="", then=Value(sink)),
            default=Concat("dead_sinks", Value("\n" + sink)),
            output_field=TextField(),
        )
    )


def passed_everywhere(owners: list[str], lanes: dict, sinks: list[str]) -> dict:
    """
    Per owner, the place every sink has gone past. Taken for every claimed
    owner, not only those whose lanes moved, so that removing a sink from the
    settings lets go of what only it still had to take.
    """
    passed = {}
    for owner in owners:
        place = min((lanes[sink, owner].sequence, lanes[sink, owner].event) for sink in sinks)
        if place[1]:
            passed[owner] = place
    return passed
