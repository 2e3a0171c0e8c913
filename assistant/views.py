"""
``/mcp`` and its OAuth protected resource metadata (RFC 9728), both only
while MCP_RESOURCE_URL is set: without it they do not exist (404).
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from authn import tokens
from todo_project.errors import api_not_found, error_response
from todo_project.middleware import declared_length

from . import tools  # noqa: F401  (registers the tools on the server)
from .server import server


@csrf_exempt
def mcp_endpoint(request):
    """Streamable HTTP, JSON answers only: POST; GET (a server-sent stream) is a 405."""
    if not settings.MCP_RESOURCE_URL:
        return api_not_found(request)
    if request.method != "POST":
        response = error_response(
            405, f'Method "{request.method}" not allowed.', "method_not_allowed"
        )
        response["Allow"] = "POST"
        return response
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and declared_length(request) > limit:
        return error_response(
            413, f"The request body is larger than {limit} bytes.", "request_too_large"
        )
    return server(request)


def protected_resource_metadata(request):
    """Where MCP clients get a token for this resource, read before they have one."""
    if not settings.MCP_RESOURCE_URL:
        return api_not_found(request)
    authorization_server = tokens.authorization_server()
    return JsonResponse(
        {
            "resource": settings.MCP_RESOURCE_URL,
            "authorization_servers": [authorization_server] if authorization_server else [],
            "bearer_methods_supported": ["header"],
            "scopes_supported": settings.MCP_REQUIRED_SCOPES,
        }
    )
