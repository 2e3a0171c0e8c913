"""
Django's PostgreSQL backend, with a cheaper health check.

With CONN_HEALTH_CHECKS, Django pings a reused connection (SELECT 1) before
its first query in every request: a round trip and about a tenth of a list
request's CPU (bench/README.md). What the check is for is a connection the
server closed while it sat idle (Neon suspending its compute, a pooler's idle
timeout): those closures take minutes of idleness. So a connection that
served a request less than a second ago is used without the ping; after any
longer pause it is pinged as before. A connection that fails mid-request is
checked at the request's end anyway (Django's errors_occurred) and replaced.
"""

import time

from django.db.backends.postgresql import base

# Idle this long, and the connection is pinged before it is used again.
TRUSTED_FOR_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at = None

    def close_if_unusable_or_obsolete(self):
        # Called as each request starts and ends (django.db.close_old_connections).
        now = time.monotonic()
        recent = self.answered_at is not None and now - self.answered_at < TRUSTED_FOR_SECONDS
        super().close_if_unusable_or_obsolete()
        if self.connection is not None and recent and not self.errors_occurred:
            self.health_check_done = True
        self.answered_at = now if self.connection is not None else None
