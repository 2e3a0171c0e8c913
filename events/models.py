import json
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Min, Q
from django.utils import timezone


class EventType(models.TextChoices):
    CREATED = "todo.task.created"
    UPDATED = "todo.task.updated"
    COMPLETED = "todo.task.completed"
    DELETED = "todo.task.deleted"
    REMINDER = "todo.task.reminder"


class EventState(models.TextChoices):
    # Some sink has yet to take it.
    PENDING = "pending"
    # Every sink took it.
    DELIVERED = "delivered"
    # A sink gave up on it after EVENTS_MAX_ATTEMPTS failures; kept until an
    # admin retries or deletes it.
    DEAD = "dead"
    # Dead, and sent again to the sinks that gave up, on an admin's word.
    RETRY = "retry"


class EventQuerySet(models.QuerySet):
    def backlog(self) -> dict:
        """What /api/health and the worker's log say about delivery."""
        unfinished = self.exclude(state=EventState.DELIVERED)
        waiting = Q(state__in=[EventState.PENDING, EventState.RETRY])
        counts = unfinished.aggregate(
            pending=Count("pk", filter=waiting),
            oldest=Min("time", filter=waiting),
            dead=Count("pk", filter=Q(state=EventState.DEAD)),
        )
        oldest = counts["oldest"]
        return {
            "pending": counts["pending"],
            "oldest_pending_seconds": None
            if oldest is None
            else round(max((timezone.now() - oldest).total_seconds(), 0.0), 3),
            "dead": counts["dead"],
        }


class Event(models.Model):
    """
    A task event in the outbox: written by the same transaction as the change
    it tells of (so it exists if and only if the change committed), and
    delivered later by ``manage.py relay_events``.

    The request path inserts these columns and no others (on PostgreSQL
    inside the write's own statement, tasks/writes.py); every other column
    has a database default.
    """

    # The CloudEvents id: the same on every delivery of this event.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The owner's id, not a foreign key: an event outlives nothing it names.
    owner_id = models.CharField(max_length=255)
    type = models.CharField(max_length=32, choices=EventType)
    task_id = models.BigIntegerField()
    # The owner's change number: the order of the owner's events.
    sequence = models.BigIntegerField()
    time = models.DateTimeField()
    # The CloudEvents "data" member as JSON text, kept as written.
    data = models.TextField()

    # Delivery, kept by the worker (events/relay.py).
    state = models.CharField(max_length=9, choices=EventState, db_default=EventState.PENDING)
    # Failed deliveries, to any sink.
    attempts = models.PositiveIntegerField(db_default=0)
    last_error = models.TextField(db_default="", blank=True)
    # The sinks that gave up on it, one name a line: a retry goes to these.
    dead_sinks = models.TextField(db_default="", blank=True)
    # A retried event is not sent again before this time.
    retry_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            # The worker reads an owner's events in order from here, and
            # /api/health counts what is not delivered: a small part of the
            # table, as delivered events leave the index.
            models.Index(
                fields=["owner_id", "sequence", "id"],
                name="event_undelivered_idx",
                condition=~Q(state=EventState.DELIVERED),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.task_id} ({self.event_id})"

    def to_cloudevent(self) -> str:
        return cloudevent_json(self)

    def dead_sink_names(self) -> list[str]:
        return self.dead_sinks.split("\n") if self.dead_sinks else []


def cloudevent_json(event) -> str:
    """
    An event (anything with an Event's fields) as CloudEvents 1.0 JSON,
    structured mode. ``data`` is stored as JSON text and goes in as it is:
    parsing and writing it again would cost more than the rest of the
    envelope. Plain code: the ``cloudevents`` package took 3.5 times as long.
    """
    envelope = {
        "specversion": "1.0",
        "id": str(event.event_id),
        "source": settings.EVENTS_SOURCE,
        "type": event.type,
        "subject": str(event.task_id),
        "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "sequence": str(event.sequence),
    }
    head = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    return f'{head[:-1]},"data":{event.data}}}'


class Lane(models.Model):
    """
    How far one sink has got through one owner's events, which it takes in
    order: everything up to (``sequence``, ``event``) is delivered to it or
    given up. A sink that fails on the next event waits here (``retry_at``)
    while the owner's later events wait behind it; other owners' lanes and
    other sinks go on. Written by the worker only, under the owner's lock.
    """

    sink = models.CharField(max_length=200)
    owner_id = models.CharField(max_length=255)
    sequence = models.BigIntegerField(default=0)
    # The id (primary key) of the last event passed: reminders share their
    # owner's sequence with the change before them.
    event = models.BigIntegerField(default=0)
    # Failed attempts at the next event, and when it may be tried again.
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sink", "owner_id"], name="lane_sink_owner_unique")
        ]

    def __str__(self):
        return f"{self.sink} / {self.owner_id}"
