"""
The PostgreSQL backend (todo_project/postgresql/base.py) sends no round trip
that is not the request's own: a reused connection is checked by looking at
its socket, not by a ping; one the server closed is replaced; a read on one
that died between the check and the read is retried once, a write never.
"""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection, connections

from .round_trips import traced

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
    # Through a pooler the server connection behind the client's changes.
    pytest.mark.skipif(
        bool(connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")),
        reason="a pooler's server connections are not the client's",
    ),
]


@pytest.fixture
def persistent():
    connection.settings_dict["CONN_MAX_AGE"] = 600
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()
    yield
    connection.close()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def request(*queries):
    """What a request does to the connection: checks at its start and end, and its queries."""
    close_old_connections()  # request_started
    pid = backend_pid()
    for query in queries:
        with connection.cursor() as cursor:
            cursor.execute(query)
    close_old_connections()  # request_finished
    return pid


def terminate(pid: int):
    params = connection.get_connection_params()
    params = {
        key: value for key, value in params.items() if key not in ("cursor_factory", "context")
    }
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        # Until the backend is gone, its socket may not be closed yet.
        for _ in range(100):
            alive = other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if alive.fetchone() is None:
                return


def test_requests_send_their_own_queries_and_nothing_else(persistent):
    # Past psycopg's prepare_threshold, whose one Parse costs a round trip
    # of its own, once per statement and connection.
    first = [request() for _ in range(6)][0]
    with traced() as trace:
        for _ in range(5):
            assert request() == first
    # One pg_backend_pid() per request: no ping, no SET, no BEGIN.
    assert trace.round_trips == 5
    assert all("pg_backend_pid" in statement for statement in trace.statements)


def test_a_connection_the_server_closed_while_idle_is_replaced(persistent):
    first = request()
    terminate(first)
    assert request() != first


def test_a_read_on_a_connection_that_died_after_the_check_is_retried(persistent):
    first = request()
    close_old_connections()  # a new request: its check passes
    assert backend_pid() == first
    terminate(first)
    assert backend_pid() != first


def test_a_write_on_a_connection_that_died_is_not_sent_again(persistent):
    first = request()
    close_old_connections()
    assert backend_pid() == first
    terminate(first)
    with pytest.raises(OperationalError):
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE written_once (n int)")
    close_old_connections()  # request_finished: the broken connection goes
    assert request() != first


def test_the_time_zone_comes_with_the_connection(persistent, monkeypatch):
    """Set by the connection's options, not by a statement after connecting."""
    set_by_statement = []
    wrapper = type(connections["default"])
    configure = wrapper._configure_timezone

    def recorded(self, psycopg_connection):
        set_by_statement.append(configure(self, psycopg_connection))
        return set_by_statement[-1]

    monkeypatch.setattr(wrapper, "_configure_timezone", recorded)
    connection.close()
    connection.ensure_connection()
    assert connection.connection.info.parameter_status("TimeZone") == "UTC"
    assert set_by_statement == [False]
