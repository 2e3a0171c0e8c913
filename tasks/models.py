from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from todo_project.rows import fetch_instance

from .fields import TagListField
from .tags import validate_tags


class Priority(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Frequency(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"


MAX_RECURRENCE_INTERVAL = 365


def fetch_row(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class TaskManager(models.Manager):
    def owned(self, owner_id: str, task_id: int):
        """
        The owner's task with this id, or None: what get_queryset().get(pk=...)
        finds, in plain SQL, as composing that query costs more than running it
        (bench/README.md).
        """
        return fetch_instance(self.model, "id = %s AND user_id = %s", [task_id, owner_id])

    def lock_owned(self, owner_id: str, task_id: int, count: int = 1):
        """
        The owner's change lock and ``count`` change numbers (ChangeCounter.reserve),
        then owned(): the task (or None) and the number. Two statements: in
        one, PostgreSQL would read the task with the snapshot taken before
        the statement waited for the lock, so a write that just committed
        would not be seen (tests/test_concurrency.py fails that way).
        """
        change_seq = ChangeCounter.objects.reserve(owner_id, count)
        return self.owned(owner_id, task_id), change_seq


class Task(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_column="user_id",
        # The composite index below starts with the owner and serves its lookups.
        db_index=False,
    )
    title = models.CharField(max_length=200)
    # The contract tells null (never given) from "" (given empty).
    description = models.CharField(max_length=1000, null=True, blank=True)  # noqa: DJ001
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    priority = models.CharField(max_length=6, choices=Priority, default=Priority.MEDIUM)
    # "low" < "medium" < "high", which the words themselves do not sort into.
    priority_rank = models.GeneratedField(
        expression=Case(
            When(priority=Priority.LOW, then=Value(0)),
            When(priority=Priority.MEDIUM, then=Value(1)),
            default=Value(2),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    due_at = models.DateTimeField(null=True, blank=True)
    # A JSON array, in the order given: it renders as it is stored, and on
    # PostgreSQL a GIN index serves "carries all of these" (migration 0003).
    tags = TagListField(default=list, blank=True, validators=[validate_tags])
    recurrence_frequency = models.CharField(  # noqa: DJ001
        max_length=7, choices=Frequency, null=True, blank=True
    )
    recurrence_interval = models.PositiveSmallIntegerField(null=True, blank=True)
    # The task made when this one was completed; null again if that one is
    # deleted. Every delete goes through tasks.services.delete_tasks, which
    # unlinks it as a change of its own (a new change number and updated_at);
    # DO_NOTHING keeps Django from a second, silent SET NULL, and the
    # database's foreign key still refuses a delete that forgot.
    next_occurrence = models.OneToOneField(
        "self",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="previous_occurrence",
    )
    # When the owner wants a reminder (events/: the worker makes it).
    remind_at = models.DateTimeField(null=True, blank=True)
    # True while a reminder for remind_at is still to be made: set when
    # remind_at is set (unless it was already long past), cleared when the
    # worker makes the reminder. A partial index keeps the worker's scan
    # free while nothing is armed.
    reminder_armed = models.BooleanField(default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)
    # The owner's change number of this task's last change (ChangeCounter):
    # the changes feed's order and the task's ETag.
    change_seq = models.BigIntegerField(default=0, editable=False)

    objects = TaskManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list query: one user's tasks, newest first.
            models.Index(fields=["owner", "-created_at", "-id"], name="task_owner_created_idx"),
            # The other sorts, read forwards or backwards: a page of a user with
            # 10,000 tasks comes from the index instead of sorting them all
            # (bench/README.md).
            models.Index(fields=["owner", "title", "id"], name="task_owner_title_idx"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="task_owner_updated_idx"),
            models.Index(fields=["owner", "priority_rank", "id"], name="task_owner_priority_idx"),
            # Also the due_after / due_before ranges. Undated tasks come last
            # in both directions: PostgreSQL reads this index for ascending
            # order (where nulls are last anyway) and a second one, made by
            # migration 0003 because SQLite has no NULLS LAST in an index,
            # for descending order.
            models.Index(fields=["owner", "due_at", "id"], name="task_owner_due_idx"),
            models.Index(fields=["owner", "change_seq"], name="task_owner_change_idx"),
            # The worker's scan for reminders due: only armed, pending tasks.
            models.Index(
                fields=["remind_at"],
                name="task_reminder_due_idx",
                condition=Q(reminder_armed=True, completed=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="task_priority_known"
            ),
            models.CheckConstraint(
                condition=Q(completed=False, completed_at__isnull=True)
                | Q(completed=True, completed_at__isnull=False),
                name="task_completed_at_iff_completed",
            ),
            models.CheckConstraint(
                condition=Q(recurrence_frequency__isnull=True, recurrence_interval__isnull=True)
                | Q(
                    recurrence_frequency__in=Frequency.values,
                    recurrence_interval__gte=1,
                    recurrence_interval__lte=MAX_RECURRENCE_INTERVAL,
                    due_at__isnull=False,
                ),
                name="task_recurrence_complete_and_dated",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, change_seq=None, **kwargs):
        """
        Every save is a change with a new number from the owner's counter;
        writers that already hold one (tasks/services.py) pass it.
        """
        # One clock reading, so that a new task's timestamps are equal; a new
        # task whose maker set both (tasks.services.new_task) keeps them.
        now = timezone.now()
        if self.pk is not None or self.created_at is None or self.updated_at is None:
            if self.created_at is None:
                self.created_at = now
            self.updated_at = now
        if self.completed and self.completed_at is None:
            self.completed_at = now
        elif not self.completed:
            self.completed_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at", "completed_at", "change_seq"}
        if self.pk is None and not args and not kwargs:
            self.insert_row(change_seq)
            return
        # The number and the row commit together, or the changes feed could
        # see the counter past a change it cannot see yet.
        with transaction.atomic(savepoint=False):
            if change_seq is None:
                change_seq = ChangeCounter.objects.reserve(self.owner_id)
            self.change_seq = change_seq
            if update_fields is not None and not args and kwargs.keys() == {"update_fields"}:
                self.update_columns(kwargs["update_fields"])
            else:
                super().save(*args, **kwargs)

    def insert_row(self, change_seq: int | None) -> None:
        """
        save() of a new task as one plain INSERT: what Django's save does for
        a task, without composing and compiling an insert query per create.
        On PostgreSQL the owner's change number is taken in the same
        statement, which is atomic on its own: one round trip.
        """
        fields = [
            field
            for field in self._meta.concrete_fields
            if field.attname not in ("id", "change_seq") and not field.generated
        ]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        values = [
            field.get_db_prep_save(getattr(self, field.attname), connection) for field in fields
        ]
        placeholders = ", ".join(["%s"] * len(values))
        insert = f"INSERT INTO {self._meta.db_table} ({columns}, change_seq)"
        if change_seq is None and connection.vendor == "postgresql":
            row = fetch_row(
                f"WITH counter AS ({ChangeCounter.objects.reserve_sql()}) "
                f"{insert} SELECT {placeholders}, last_seq FROM counter RETURNING id, change_seq",
                [self.owner_id, 1, *values],
            )
        else:
            with transaction.atomic(savepoint=False):
                if change_seq is None:
                    change_seq = ChangeCounter.objects.reserve(self.owner_id)
                row = fetch_row(
                    f"{insert} VALUES ({placeholders}, %s) RETURNING id, change_seq",
                    [*values, change_seq],
                )
        self.pk, self.change_seq = row
        self._state.adding = False
        self._state.db = connection.alias

    def update_columns(self, names) -> None:
        """
        save(update_fields=names) as one plain UPDATE: what Django's save
        does for a task (no signal receivers, no auto fields), without
        composing and compiling an update query per write (bench/README.md).
        """
        fields = [self._meta.get_field(name) for name in sorted(names)]
        assignments = ", ".join(
            f"{connection.ops.quote_name(field.column)} = %s" for field in fields
        )
        values = [
            field.get_db_prep_save(getattr(self, field.attname), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self._meta.db_table} SET {assignments} WHERE id = %s", [*values, self.pk]
            )
            if cursor.rowcount != 1:
                raise DatabaseError("Save with update_fields did not affect any rows.")

    def arm_reminder(self, now) -> None:
        """
        A reminder for the new ``remind_at``, unless it was already past by
        more than REMINDER_GRACE_SECONDS when it was set.
        """
        grace = timedelta(seconds=settings.REMINDER_GRACE_SECONDS)
        self.reminder_armed = self.remind_at is not None and self.remind_at >= now - grace

    @property
    def recurrence(self) -> dict | None:
        if self.recurrence_frequency is None:
            return None
        return {"frequency": self.recurrence_frequency, "interval": self.recurrence_interval}


class ChangeCounterManager(models.Manager):
    def reserve(self, user_id: str, count: int = 1) -> int:
        """
        Takes ``count`` new change numbers of the user and returns the first.

        The counter's row stays locked until the transaction ends, so the
        user's writes take their numbers one transaction after another and
        commit in that order: a reader that sees number N sees every change
        numbered below it. That is what lets the changes feed promise that
        nothing is missed. ``count=0`` only takes the lock.
        """
        with connection.cursor() as cursor:
            cursor.execute(self.reserve_sql(), [user_id, count])
            (last,) = cursor.fetchone()
        return last - count + 1

    def reserve_sql(self) -> str:
        """The upsert of reserve(): its parameters are the user's id and the count."""
        table = self.model._meta.db_table
        return (
            f"INSERT INTO {table} (user_id, last_seq, purged_seq) VALUES (%s, %s, 0) "
            f"ON CONFLICT (user_id) DO UPDATE SET last_seq = {table}.last_seq + excluded.last_seq "
            "RETURNING last_seq"
        )


class ChangeCounter(models.Model):
    """Per user: the last change number given out, and the last one forgotten by a purge."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)
    # Tombstones up to this number are purged: an older cursor may miss a deletion.
    purged_seq = models.BigIntegerField(default=0)

    objects = ChangeCounterManager()

    def __str__(self):
        return f"{self.user_id}: {self.last_seq}"


class Tombstone(models.Model):
    """A deleted task, remembered for the changes feed for TASKS_TOMBSTONE_DAYS."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    task_id = models.BigIntegerField()
    change_seq = models.BigIntegerField()
    deleted_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "change_seq"], name="tombstone_owner_change_idx"),
            models.Index(fields=["deleted_at"], name="tombstone_deleted_idx"),
        ]

    def __str__(self):
        return f"task {self.task_id}"


class IdempotencyKey(models.Model):
    """
    A create made with an ``Idempotency-Key``, and its answer, replayed to a
    retry with the same key and body for 24 hours. Kept in the database so
    that every process and instance sees it; the unique constraint, not a
    check before the insert, is what stops a concurrent duplicate.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.TextField(blank=True)
    etag = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return self.key
