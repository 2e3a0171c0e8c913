import uuid

from django.db import models


class EventType(models.TextChoices):
    CREATED = "todo.task.created"
    UPDATED = "todo.task.updated"
    COMPLETED = "todo.task.completed"
    DELETED = "todo.task.deleted"
    REMINDER = "todo.task.reminder"


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

    class Meta:
        indexes = [
            models.Index(fields=["owner_id", "sequence", "id"], name="event_owner_sequence_idx"),
        ]

    def __str__(self):
        return f"{self.type} {self.task_id} ({self.event_id})"
