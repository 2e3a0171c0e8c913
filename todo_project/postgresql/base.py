"""
Django's PostgreSQL backend, for a database across a network (Neon), where
every round trip costs the network's RTT: no round trip that is not the
request's own.

With CONN_HEALTH_CHECKS, Django pings a reused connection (SELECT 1) before
its first query in every request. What the check is for is a connection the
server closed while it sat idle: Neon suspending its compute, a pooler's or
a proxy's idle timeout. A server that closes a connection says so (a
termination message, a TLS close, a FIN), and that arrives on the socket
while it is idle. So the check here looks at the socket, without a round
trip: readable while no query is under way means closed, or at least not
to be trusted, and the connection is replaced before it is used.

A connection that dies without a word (a silent network drop) still fails
its next statement. A read that fails that way, in autocommit, is retried
once on a new connection; a write is not: it may have reached the server.
"""

import select

from django.db import OperationalError
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorWrapper
from psycopg.pq import TransactionStatus

# Statements that are safe to send twice: they change nothing.
READS = ("SELECT", "SHOW")


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        """The connection is open and its socket has nothing to say: no round trip."""
        if self.connection is None or self.connection.closed:
            return False
        if self.connection.info.transaction_status == TransactionStatus.UNKNOWN:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def make_cursor(self, cursor):
        return RetryingCursorWrapper(cursor, self)

    def reconnect_for_retry(self) -> bool:
        """
        Replaces a connection that died between statements, for a read that
        failed on it; False when a retry is not safe (inside a transaction,
        or the connection is alive and the failure was the statement's own).
        """
        if not self.get_autocommit() or self.in_atomic_block or self.is_usable():
            return False
        self.close()
        self.connect()
        return True


class RetryingCursorWrapper(CursorWrapper):
    """Retries a read once on a new connection when its connection was found dead."""

    def execute(self, sql, params=None):
        try:
            return super().execute(sql, params)
        except OperationalError:
            if not sql.lstrip()[:6].upper().startswith(READS) or not self.db.reconnect_for_retry():
                raise
        self.cursor = self.db.create_cursor()
        return super().execute(sql, params)
