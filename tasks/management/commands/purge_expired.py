from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Greatest
from django.utils import timezone

from events.models import Event, EventState
from tasks.idempotency import LIFETIME
from tasks.models import ChangeCounter, IdempotencyKey, Tombstone


class Command(BaseCommand):
    help = (
        "Forget idempotency keys older than 24 hours, tombstones of deleted tasks older "
        "than TASKS_TOMBSTONE_DAYS and delivered task events older than "
        "EVENTS_RETENTION_DAYS (dead ones stay). Run it daily (a cron job, a scheduled task)."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - LIFETIME).delete()
        cutoff = now - timedelta(days=settings.TASKS_TOMBSTONE_DAYS)
        with transaction.atomic():
            old = Tombstone.objects.filter(deleted_at__lt=cutoff)
            # A cursor from before the last forgotten deletion could miss it:
            # the feed answers such a cursor 410.
            for row in old.values("owner_id").annotate(last=Max("change_seq")):
                ChangeCounter.objects.filter(user_id=row["owner_id"]).update(
                    purged_seq=Greatest("purged_seq", row["last"])
                )
            tombstones, _ = old.delete()
        events, _ = Event.objects.filter(
            state=EventState.DELIVERED,
            time__lt=now - timedelta(days=settings.EVENTS_RETENTION_DAYS),
        ).delete()
        self.stdout.write(
            f"Forgot {keys} idempotency key(s), {tombstones} tombstone(s) "
            f"and {events} delivered event(s)."
        )
