"""
What the server needs before it takes a request. Checked when the WSGI or ASGI
application is built (granian, runserver), not when settings load, so that
manage.py commands such as migrate and collectstatic run without secrets.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from authn import tokens


def refuse_to_serve_without_configuration() -> None:
    problems = []
    if not settings.DEBUG and not has_secret_key():
        problems.append("SECRET_KEY must be set when DEBUG is false.")
    if not (settings.BETTER_AUTH_SECRET or tokens.jwks_url() or settings.BETTER_AUTH_SESSIONS):
        problems.append(
            "No way to verify tokens: set BETTER_AUTH_SECRET (HS256), "
            "BETTER_AUTH_URL / BETTER_AUTH_JWKS_URL (Better Auth's jwt plugin) or "
            "BETTER_AUTH_SESSIONS (its session tokens)."
        )
    if settings.BETTER_AUTH_SESSIONS == "remote" and not settings.BETTER_AUTH_URL:
        problems.append("BETTER_AUTH_SESSIONS=remote needs BETTER_AUTH_URL: the server to ask.")
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


def has_secret_key() -> bool:
    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:
        # Django refuses to hand out an empty SECRET_KEY.
        return False
