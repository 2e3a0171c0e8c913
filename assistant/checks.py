"""System checks: an MCP resource URL that no token could ever name right."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_resource_url(app_configs, **kwargs):
    """
    Clients compare MCP_RESOURCE_URL with the URL they connect to, and
    authorization servers copy it into "aud" as it is (RFC 8707): it must be
    an absolute http(s) URL without a query or a fragment.
    """
    url = settings.MCP_RESOURCE_URL
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname and not (parts.query or parts.fragment):
        return []
    return [
        Error(
            f"MCP_RESOURCE_URL {url!r} is not an absolute http(s) URL without a query.",
            hint="The public URL of the endpoint, e.g. https://api.example.com/mcp.",
            id="assistant.E001",
        )
    ]
