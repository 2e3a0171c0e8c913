"""
``Idempotency-Key`` on ``POST /api/tasks``: a retry of a create that
succeeded answers the first answer again, and creates nothing.

The key is claimed by inserting its row in the create's own transaction (on
PostgreSQL in the create's one statement, tasks/writes.py): a second request
with the key waits on the unique index until the first commits, then finds
its answer (or, if the first failed and rolled back, runs as a first). A
failed create leaves no row, so it is not remembered.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from . import writes
from .conditional import task_etag
from .models import IdempotencyKey, Task
from .serializers import represent_task
from .services import new_task, task_create, task_serializer

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[!-~]{1,255}$")
LIFETIME = timedelta(hours=24)


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with another body."
    default_code = "idempotency_key_reused"


class KeyInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still running."
    default_code = "idempotency_key_in_use"


def key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not KEY_PATTERN.match(key):
        raise ValidationError({HEADER: ["1 to 255 visible ASCII characters (! to ~)."]})
    return key


def digest(data) -> str:
    """The body as parsed JSON, so that spacing and key order do not matter."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_once(*, owner, key: str, data) -> Task | HttpResponse:
    """The new task, or the replay of the answer to the key's first request."""
    request_hash = digest(data)
    if not writes.in_one_statement():
        return create_in_transaction(owner, key, request_hash, data)
    serializer = task_serializer(data=data)
    if not serializer.is_valid():
        # Another body than the key's first: that is the error to tell.
        earlier = IdempotencyKey.objects.filter(
            owner=owner, key=key, created_at__gte=timezone.now() - LIFETIME
        ).first()
        if earlier is not None and earlier.request_hash != request_hash:
            raise KeyReused()
        raise ValidationError(serializer.errors)
    task = new_task(owner, serializer.validated_data)
    outcome = writes.create_once(
        task, key=key, request_hash=request_hash, expired_before=task.created_at - LIFETIME
    )
    if outcome is None:
        # Taken by a request that committed while this one waited for it.
        record = IdempotencyKey.objects.get(owner=owner, key=key)
        return replay(record, request_hash)
    if outcome.task is not None:
        return outcome.task
    return replay(outcome, request_hash)


def create_in_transaction(owner, key: str, request_hash: str, data) -> Task | HttpResponse:
    with transaction.atomic():
        record, first = claim(owner, key, request_hash)
        if not first:
            return replay(record, request_hash)
        # A failure here rolls the claim back with the rest: not remembered.
        task = task_create(owner=owner, data=data)
        remember(record, 201, represent_task(task), task_etag(task))
    return task


def claim(owner, key: str, request_hash: str) -> tuple[IdempotencyKey, bool]:
    """
    This user's row for ``key``: a new one (True), to be completed in the
    caller's transaction, or the one of an earlier request (False).
    """
    now = timezone.now()
    # On the way: the user's expired keys go now, the rest by purge_expired.
    IdempotencyKey.objects.filter(owner=owner, created_at__lt=now - LIFETIME).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                owner=owner, key=key, request_hash=request_hash, created_at=now
            )
        return record, True
    except IntegrityError:
        return IdempotencyKey.objects.get(owner=owner, key=key), False


def remember(record: IdempotencyKey, status_code: int, data, etag: str) -> None:
    record.status = status_code
    record.body = JSONRenderer().render(data).decode()
    record.etag = etag
    record.save(update_fields=["status", "body", "etag"])


def replay(record, request_hash: str) -> HttpResponse:
    """The first answer again, for an IdempotencyKey or a writes.KeyedCreate."""
    if record.request_hash != request_hash:
        raise KeyReused()
    if record.status is None:
        # Only a row still being written; the insert waits for it to commit.
        raise KeyInUse()
    response = HttpResponse(record.body, status=record.status, content_type="application/json")
    response["ETag"] = record.etag
    response["Idempotent-Replayed"] = "true"
    return response
