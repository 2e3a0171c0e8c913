"""System checks that catch a token configuration that cannot work or is weak."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import tokens

MIN_SECRET_LENGTH = 32
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "placeholder", "your-secret", "xxxx")
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


# A deployment check: manage.py commands run without a token mode (a build step
# has no secrets), the server itself refuses to start (todo_project/startup.py).
@register(Tags.security, deploy=True)
def check_verification_mode(app_configs, **kwargs):
    if settings.BETTER_AUTH_SECRET or tokens.jwks_url():
        return []
    return [
        Error(
            "No way to verify Better Auth tokens is configured.",
            hint="Set BETTER_AUTH_SECRET (HS256) or BETTER_AUTH_URL (the jwt plugin's JWKS).",
            id="authn.E001",
        )
    ]


@register(Tags.security)
def check_secret(app_configs, **kwargs):
    secret = settings.BETTER_AUTH_SECRET
    if not secret:
        return []
    if any(marker in secret.lower() for marker in PLACEHOLDER_MARKERS):
        return [
            Error(
                "BETTER_AUTH_SECRET is still a placeholder.",
                hint="Use the same random secret as the frontend: openssl rand -base64 32",
                id="authn.E002",
            )
        ]
    if len(secret) < MIN_SECRET_LENGTH:
        # Refused in production, tolerated with a warning while developing.
        severity = Warning if settings.DEBUG else Error
        return [
            severity(
                f"BETTER_AUTH_SECRET is {len(secret)} characters long; "
                f"use at least {MIN_SECRET_LENGTH}.",
                hint="Generate one with: openssl rand -base64 32",
                id="authn.W001" if settings.DEBUG else "authn.E003",
            )
        ]
    return []


@register(Tags.security)
def check_algorithms(app_configs, **kwargs):
    known = tokens.SECRET_ALGORITHMS | tokens.JWKS_ALGORITHMS
    unknown = [name for name in settings.BETTER_AUTH_JWT_ALGORITHMS if name not in known]
    if not unknown:
        return []
    return [
        Error(
            f"BETTER_AUTH_JWT_ALGORITHMS names unsupported algorithms: {', '.join(unknown)}.",
            hint=f"Choose from {', '.join(sorted(known))}.",
            id="authn.E004",
        )
    ]


@register(Tags.security)
def check_jwks_url(app_configs, **kwargs):
    url = tokens.jwks_url()
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Error(f"The JWKS URL {url!r} is not an http(s) URL.", id="authn.E005")]
    if parts.scheme == "http" and not settings.DEBUG and not is_loopback(parts.hostname):
        return [
            Warning(
                f"The JWKS URL {url!r} is plain http: its keys could be replaced in transit.",
                hint="Use the https URL of the Better Auth server.",
                id="authn.W002",
            )
        ]
    return []


def is_loopback(hostname: str) -> bool:
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
