"""
Django's PostgreSQL backend, with a cheaper health check.

With CONN_HEALTH_CHECKS, Django pings a reused connection (SELECT 1) before
its first query in every request: a round trip and about a tenth of a list
request's CPU (bench/README.md). What the check is for is a connection the
server closed while it sat idle (Neon suspending its compute, a pooler's idle
timeout): those closures take minutes of idleness. So a connection that
answered a query less than a second ago is used without the ping; after any
longer pause it is pinged as before. Only a query counts: requests that never
reach the database (a preflight, a refused token) say nothing of the
connection, and leave it as idle as it was. A connection that fails
mid-request is checked at the request's end anyway (Django's errors_occurred)
and replaced.
"""

import time

from django.db.backends.postgresql import base

# Idle this long, and the connection is pinged before it is used again.
TRUSTED_FOR_SECONDS = 1.0
clock = time.monotonic


class DatabaseWrapper(base.DatabaseWrapper):
    # When a request that queried on this connection last ended without error.
    answered_at = None
    queried = False

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self.queried = True
        return cursor

    def close_if_unusable_or_obsolete(self):
        # Called as each request starts and ends (django.db.close_old_connections).
        now = clock()
        if self.queried and not self.errors_occurred:
            self.answered_at = now
        self.queried = False
        recent = self.answered_at is not None and now - self.answered_at < TRUSTED_FOR_SECONDS
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self.answered_at = None
        elif recent and not self.errors_occurred:
            self.health_check_done = True
