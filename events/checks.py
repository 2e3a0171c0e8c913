"""System checks that catch an events configuration the worker cannot use."""

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_webhooks(app_configs, **kwargs):
    if not settings.WEBHOOK_URLS:
        return []
    errors = []
    for url in settings.WEBHOOK_URLS:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(
                Error(
                    "A WEBHOOK_URLS entry is not an http:// or https:// URL.",
                    hint="List full URLs, comma separated: https://app.example.com/api/webhooks",
                    id="events.E001",
                )
            )
    if not is_webhook_secret(settings.WEBHOOK_SECRET):
        errors.append(
            Error(
                "WEBHOOK_URLS needs WEBHOOK_SECRET, a Standard Webhooks secret: whsec_ and base64.",
                hint="Generate one with: echo whsec_$(openssl rand -base64 32)",
                id="events.E002",
            )
        )
    return errors


def is_webhook_secret(secret: str) -> bool:
    encoded = secret.removeprefix("whsec_")
    try:
        # Padding may be left out, as standardwebhooks accepts.
        return bool(base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True))
    except (binascii.Error, ValueError):
        return False
