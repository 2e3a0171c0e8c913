"""
The MCP server (django-mcpz: Streamable HTTP from a plain synchronous view,
stateless MCP 2026-07-28 and the initialize handshake of the 2025
revisions) and how it lets a caller in: a bearer token for this resource,
checked in authn/, then the same rate limit as the REST API.
"""

import math
from urllib.parse import urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_mcpz.server import MCPServer
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    NotAuthenticated,
    Throttled,
)

from authn.authentication import MCPTokenAuthentication
from authn.exceptions import AuthUnavailable, InsufficientScope
from todo_project.errors import ServiceUnavailable
from todo_project.throttling import UserThrottle

METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


class TodoMCPServer(MCPServer):
    def _origin_allowed(self, request: HttpRequest) -> bool:
        # django-mcpz's guard against DNS rebinding admits the hosts of
        # ALLOWED_HOSTS; this API's browser origins are CORS_ALLOWED_ORIGINS,
        # and the contract makes any other Origin a 403.
        origin = request.headers.get("Origin")
        return origin is None or origin in settings.CORS_ALLOWED_ORIGINS


def authenticate(request: HttpRequest) -> HttpResponse | None:
    """django-mcpz's auth hook: None lets the request in, with its user set."""
    authentication = MCPTokenAuthentication()
    try:
        result = authentication.authenticate(request)
    except InsufficientScope as e:
        scopes = " ".join(settings.MCP_REQUIRED_SCOPES)
        return refusal(e, f'Bearer error="insufficient_scope", scope="{scopes}"')
    except AuthenticationFailed as e:
        return refusal(e, challenge(error="invalid_token"))
    except AuthUnavailable as e:
        return refusal(e)
    except (OperationalError, InterfaceError):
        # The user row could not be read or made.
        return refusal(ServiceUnavailable())
    if result is None:
        return refusal(NotAuthenticated(), challenge())
    request.user, request.auth = result
    return throttled(request)


def challenge(error: str | None = None) -> str:
    """RFC 9728's pointer to the metadata, from which an MCP client finds where to sign in."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(settings.MCP_RESOURCE_URL))
    header = f'Bearer resource_metadata="{origin}{METADATA_PATH}"'
    return f'{header}, error="{error}"' if error else header


def throttled(request: HttpRequest) -> HttpResponse | None:
    """Each request counts against the user's rate limit, in the same count as the REST API's."""
    throttle = UserThrottle()
    if throttle.allow_request(request, None):
        return None
    seconds = math.ceil(throttle.wait())
    response = refusal(Throttled(seconds))
    response["Retry-After"] = str(seconds)
    return response


def refusal(error: APIException, www_authenticate: str | None = None) -> HttpResponse:
    """The REST API's error body and status, for a request the server does not run."""
    response = JsonResponse(
        {"detail": str(error.detail), "code": error.get_codes()}, status=error.status_code
    )
    if www_authenticate:
        response["WWW-Authenticate"] = www_authenticate
    return response


server = TodoMCPServer(
    name="todo-api",
    title="Todo API",
    version="1.0.0",
    instructions=(
        "The signed-in user's tasks: list, add, change, complete and delete them, "
        "and list their tags. Times are RFC 3339 with a UTC offset."
    ),
    auth=authenticate,
)
