"""
Round trips to PostgreSQL, counted from the wire: libpq's trace of the
connection, where the server ends each answer with ReadyForQuery. BEGIN,
COMMIT, a ping, a SET: each is one, as it is one RTT to a database across a
network.
"""

import tempfile
from contextlib import contextmanager

from django.db import connection
from psycopg import pq


class Trace:
    def __init__(self):
        self.text = ""

    @property
    def round_trips(self) -> int:
        return sum(1 for line in self.text.splitlines() if "\tReadyForQuery" in line)

    @property
    def statements(self) -> list[str]:
        """What the client sent, one line per Query or Parse message."""
        return [
            line.split("\t", 3)[3]
            for line in self.text.splitlines()
            if line.startswith("F\t") and line.split("\t")[2] in ("Query", "Parse")
        ]


@contextmanager
def traced():
    """Trace the default connection (opened if need be) while the block runs."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile(mode="w+") as file:
        trace = Trace()
        pgconn.trace(file.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield trace
        finally:
            pgconn.untrace()
            file.seek(0)
            trace.text = file.read()
