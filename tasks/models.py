from django.conf import settings
from django.db import models
from django.utils import timezone


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
    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list query: one user's tasks, newest first.
            models.Index(fields=["owner", "-created_at", "-id"], name="task_owner_created_idx"),
            # The other sorts, read forwards or backwards: a page of a user with
            # 10,000 tasks comes from the index instead of sorting them all
            # (7 ms down to 0.04 ms on PostgreSQL; bench/README.md).
            models.Index(fields=["owner", "title", "id"], name="task_owner_title_idx"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="task_owner_updated_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # One clock reading, so that a new task's timestamps are equal.
        now = timezone.now()
        if self.created_at is None:
            self.created_at = now
        self.updated_at = now
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)
