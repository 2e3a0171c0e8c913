"""
The project's settings with a throwaway key and secret, so the suite runs on a
machine with nothing configured. Each test sets the auth settings it relies on
(see conftest.py); DATABASE_URL still picks PostgreSQL when it is set.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("BETTER_AUTH_SECRET", secrets.token_urlsafe(32))
# No better_auth connection at start, whatever a developer's .env says: tests
# that need one point it at tables of their own (tests/better_auth_tables.py).
os.environ["BETTER_AUTH_SESSIONS"] = ""

from todo_project.settings import *  # noqa: E402, F403

# Whatever REDIS_URL the environment has: the suite clears the cache before
# each test, which on Redis flushes its whole database. Tests that use Redis
# start a private server (tests/redis_server.py) and point CACHES at it.
REDIS_URL = ""
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# No events unless a test configures a sink: with one, every write also
# writes its event.
EVENTS_REDIS_URL = ""
WEBHOOK_URLS = []
