"""
ETags and conditional requests (RFC 9110), in the shape of Django's own
django.utils.cache: a task's ETag is its owner's change number for its last
change, so it moves with every change and with nothing else; a list's ETag is
a digest of the answer.
"""

import hashlib
import re

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The task has changed since that ETag: read it again."
    default_code = "precondition_failed"

    def __init__(self, etag: str):
        super().__init__()
        # Sent with the 412 (todo_project/errors.py).
        self.etag = etag


def task_etag(task) -> str:
    return f'"{task.pk}-{task.change_seq}"'


def list_etag(user_id: str, body: bytes, headers: dict[str, str]) -> str:
    """Weak: the same for the same answer, whatever bytes a renderer chose."""
    digest = hashlib.blake2b(user_id.encode(), digest_size=16)
    for name in ("X-Total-Count", "Link"):
        digest.update(f"\n{name}: {headers.get(name, '')}".encode())
    digest.update(b"\n")
    digest.update(body)
    return f'W/"{digest.hexdigest()}"'


def check_if_match(header: str | None, etag: str) -> None:
    """Raise 412 unless ``If-Match`` is absent, ``*``, or names ``etag`` (strong comparison)."""
    if header is None:
        return
    etags = parse_etags(header)
    if etags != ["*"] and etag not in etags:
        raise PreconditionFailed(etag)


def if_match_numbers(header: str | None, task_id: int) -> list[int] | None:
    """
    The change numbers of this task that ``If-Match`` names, for a write that
    checks them itself (tasks/writes.py): None when there is no condition
    (no header, or ``*``), an empty list when it names none of this task's.
    """
    if header is None:
        return None
    etags = parse_etags(header)
    if etags == ["*"]:
        return None
    # Exactly as task_etag writes them: a strong comparison.
    pattern = re.compile(rf'"{task_id}-(0|[1-9][0-9]*)"', re.ASCII)
    return [int(match[1]) for etag in etags if (match := pattern.fullmatch(etag))]


def is_not_modified(request, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` or is ``*`` (weak comparison, as RFC 9110 says)."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    etags = parse_etags(header)
    return etags == ["*"] or weak(etag) in {weak(tag) for tag in etags}


def weak(etag: str) -> str:
    return etag.removeprefix("W/")
