"""
One error shape for the whole API: ``{"detail": ..., "code": ...}``, plus
``"errors": {field: [messages]}`` and status 422 when validation fails.

DRF views get it from ``exception_handler``; the rest of ``/api/`` (unknown
paths, errors raised outside DRF) from the Django handlers below.
"""

import logging

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database cannot be reached; try again shortly."
    default_code = "service_unavailable"


def exception_handler(exc, context):
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("Database unavailable: %s", exc)
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return unexpected_error(exc, context)
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {
            "detail": "Invalid input.",
            "code": "validation_error",
            "errors": field_errors(exc.detail),
        }
        return response
    detail = getattr(exc, "detail", response.data.get("detail", ""))
    response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    # A 412 names the task's current version, so the client can merge and retry.
    if getattr(exc, "etag", None):
        response["ETag"] = exc.etag
    return response


def field_errors(detail) -> dict[str, list[str]]:
    """ValidationError.detail as ``{field: [message, ...]}``."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    return {field: flatten(messages) for field, messages in detail.items()}


def flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [message for nested in messages.values() for message in flatten(nested)]
    if isinstance(messages, list):
        return [message for nested in messages for message in flatten(nested)]
    return [str(messages)]


def unexpected_error(exc, context):
    """A bug. Log it in full, report it like Django would, answer without details."""
    request = context["request"]
    logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    # Lets the test client re-raise the error, as for any other uncaught exception.
    got_request_exception.send(sender=None, request=request._request)
    return JsonResponse(SERVER_ERROR, status=500)


SERVER_ERROR = {"detail": "Internal server error.", "code": "server_error"}


def error_response(status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


def is_api(request) -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that names nothing, whatever the method."""
    return error_response(404, "Not found.", "not_found")


def bad_request(request, exception=None):
    if is_api(request):
        return error_response(400, "Bad request.", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return error_response(403, "Permission denied.", "permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return JsonResponse(SERVER_ERROR, status=500)
    return defaults.server_error(request)
