"""
The PostgreSQL backend pings a reused connection only after it sat idle
(todo_project/postgresql/base.py), and still replaces one the server closed.
"""

import psycopg
import pytest
from django.db import close_old_connections, connection

from todo_project.postgresql import base

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
def pings(monkeypatch):
    calls = []
    is_usable = base.DatabaseWrapper.is_usable

    def counted(self):
        calls.append(self.alias)
        return is_usable(self)

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", counted)
    return calls


def request_with_a_query():
    close_old_connections()  # request_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    close_old_connections()  # request_finished
    return pid


@pytest.fixture
def persistent(settings):
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()
    yield
    connection.close()


def test_requests_one_after_another_are_not_pinged(persistent, pings):
    first = request_with_a_query()
    for _ in range(5):
        assert request_with_a_query() == first
    assert pings == []


def request_without_a_query():
    close_old_connections()  # request_started: a preflight, a refused token
    close_old_connections()  # request_finished


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(base, "clock", lambda: now[0])
    return now


def test_requests_without_a_query_leave_a_connection_idle(persistent, pings, clock):
    request_with_a_query()
    clock[0] += 60
    request_without_a_query()
    request_with_a_query()
    assert pings == ["default"]


def test_a_connection_closed_before_requests_without_a_query_is_replaced(persistent, clock):
    first = request_with_a_query()
    terminate(first)
    clock[0] += 60
    request_without_a_query()
    assert request_with_a_query() != first


def terminate(backend_pid):
    params = connection.get_connection_params()
    params = {
        key: value for key, value in params.items() if key not in ("cursor_factory", "context")
    }
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def test_a_connection_idle_longer_is_pinged(persistent, pings, monkeypatch):
    request_with_a_query()
    monkeypatch.setattr(base, "TRUSTED_FOR_SECONDS", 0)
    request_with_a_query()
    assert pings == ["default"]


def test_a_connection_the_server_closed_while_idle_is_replaced(persistent, monkeypatch):
    first = request_with_a_query()
    terminate(first)
    monkeypatch.setattr(base, "TRUSTED_FOR_SECONDS", 0)
    assert request_with_a_query() != first
