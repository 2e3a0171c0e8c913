import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.functional import empty

from .errors import error_response, is_api

logger = logging.getLogger("todo.requests")

# An id a client or proxy sends is kept only if it cannot forge a log line.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestLogMiddleware:
    """
    Gives every request an id, taken from X-Request-ID when it is sane, echoes
    it back, and logs one line per request: method, path, status, duration,
    user id. Never the query string, a header or a body, so never a token.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        logger.info(
            "%s %s %s %.1fms user=%s request_id=%s",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            user_id(request),
            request.request_id,
        )
        return response


def user_id(request) -> str:
    """The authenticated user's id, without loading a session just to log it."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return "-"
    return getattr(user, "pk", None) or "-"


class BodySizeLimitMiddleware:
    """Refuses an API request whose declared body is over the limit, before reading it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api(request) and limit is not None and declared_length(request) > limit:
            return error_response(
                413, f"The request body is larger than {limit} bytes.", "request_too_large"
            )
        return self.get_response(request)


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
