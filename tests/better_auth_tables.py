"""
Better Auth's "user" and "session" tables as its migrations make them, in a
database of the test's own: an SQLite file when the suite runs on SQLite, a
fresh PostgreSQL database on the same server when it runs on PostgreSQL. The
API reads them on its ``better_auth`` connection, as in database mode.
"""

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler, load_backend

from authn.routers import DATABASE_ALIAS
from todo_project.settings import database_settings

# Better Auth 1.7's own DDL on PostgreSQL (its Kysely migrations), trimmed of
# the account and verification tables the API never reads.
POSTGRES_TABLES = [
    'CREATE TABLE "user" ("id" text PRIMARY KEY, "name" text NOT NULL, '
    '"email" text NOT NULL UNIQUE, "emailVerified" boolean NOT NULL DEFAULT false, '
    '"image" text, "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, '
    '"updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    'CREATE TABLE "session" ("id" text PRIMARY KEY, "expiresAt" timestamptz NOT NULL, '
    '"token" text NOT NULL UNIQUE, "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, '
    '"updatedAt" timestamptz NOT NULL, "ipAddress" text, "userAgent" text, '
    '"userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE)',
]
# On SQLite its adapter keeps dates as ISO 8601 text and booleans as integers.
SQLITE_TABLES = [
    'CREATE TABLE "user" ("id" text PRIMARY KEY, "name" text NOT NULL, '
    '"email" text NOT NULL UNIQUE, "emailVerified" integer NOT NULL DEFAULT 0, '
    '"image" text, "createdAt" date NOT NULL, "updatedAt" date NOT NULL)',
    'CREATE TABLE "session" ("id" text PRIMARY KEY, "expiresAt" date NOT NULL, '
    '"token" text NOT NULL UNIQUE, "createdAt" date NOT NULL, "updatedAt" date NOT NULL, '
    '"ipAddress" text, "userAgent" text, '
    '"userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE)',
]


def sign(token: str, secret: str) -> str:
    """``<token>.<signature>``, as Better Auth's set-auth-token header gives it."""
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return f"{token}.{base64.b64encode(digest).decode()}"


def new_id() -> str:
    # Better Auth's ids: 32 letters and digits.
    return secrets.token_hex(16)


class BetterAuthTables:
    """The tables, written directly, as Better Auth would write them."""

    def __init__(self, url: str, execute):
        self.url = url
        self.execute = execute

    def add_user(self, email=None, name="Test User", user_id=None) -> str:
        user_id = user_id or new_id()
        now = self.when(0)
        self.execute(
            'INSERT INTO "user" ("id", "name", "email", "createdAt", "updatedAt") '
            "VALUES (%s, %s, %s, %s, %s)",
            [user_id, name, email or f"{user_id}@example.com", now, now],
        )
        return user_id

    def add_session(self, user_id: str, expires_in: float = 3600) -> str:
        token = new_id()
        self.execute(
            'INSERT INTO "session" ("id", "token", "userId", "expiresAt", "createdAt", '
            '"updatedAt") VALUES (%s, %s, %s, %s, %s, %s)',
            [new_id(), token, user_id, self.when(expires_in), self.when(0), self.when(0)],
        )
        return token

    def expire(self, token: str, seconds_ago: float = 60) -> None:
        self.execute(
            'UPDATE "session" SET "expiresAt" = %s WHERE "token" = %s',
            [self.when(-seconds_ago), token],
        )

    def sign_out(self, token: str) -> None:
        self.execute('DELETE FROM "session" WHERE "token" = %s', [token])

    def rename(self, user_id: str, *, email: str, name: str) -> None:
        self.execute(
            'UPDATE "user" SET "email" = %s, "name" = %s WHERE "id" = %s', [email, name, user_id]
        )

    def drop(self) -> None:
        """As if Better Auth's migrations had never run there."""
        self.execute('DROP TABLE "session"', [])
        self.execute('DROP TABLE "user"', [])

    def when(self, seconds_from_now: float):
        moment = datetime.fromtimestamp(time.time() + seconds_from_now, UTC)
        if self.url.startswith("sqlite"):
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return moment


def postgres_server_url(database: str) -> str:
    """The URL of ``database`` on the server the suite runs on."""
    config = settings.DATABASES["default"]
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgresql://{credentials}@{config['HOST']}:{config['PORT'] or 5432}/{database}"


@contextmanager
def postgres_database(prefix: str):
    """A fresh, empty database on the suite's PostgreSQL server; its URL."""
    # Named after the suite's own database, so that a run's leftovers are
    # told apart from another run's on a shared server.
    name = f"{settings.DATABASES['default']['NAME'][:40]}_{prefix}_{secrets.token_hex(4)}"
    admin_url = postgres_server_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server_url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def running_on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "todo_project.postgresql"


@contextmanager
def better_auth_tables(tmp_path):
    """Better Auth's tables in a database of their own, of the suite's kind."""
    if running_on_postgres():
        with postgres_database("bat") as url:
            with psycopg.connect(url, autocommit=True) as connection:
                for statement in POSTGRES_TABLES:
                    connection.execute(statement)
                yield BetterAuthTables(url, lambda sql, params: connection.execute(sql, params))
        return
    path = tmp_path / "better-auth.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in SQLITE_TABLES:
            connection.execute(statement)

        def execute(sql, params):
            connection.execute(sql.replace("%s", "?"), params)

        yield BetterAuthTables(f"sqlite:///{path}", execute)
    finally:
        connection.close()


@contextmanager
def api_reads(url: str):
    """
    The API's ``better_auth`` connection pointed at ``url`` for one test, as
    settings.py makes it in database mode (settings are read once, at start).
    It is made on the spot, as Django's test cases allow for a connection that
    DATABASES does not name.
    """
    # A handler of its own fills in Django's defaults, as for a configured alias.
    config = ConnectionHandler({"default": database_settings(url, read_only=True)})
    settings_dict = config.settings["default"]
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, DATABASE_ALIAS
    )
    setattr(connections._connections, DATABASE_ALIAS, connection)
    try:
        yield connection
    finally:
        connection.close()
        delattr(connections._connections, DATABASE_ALIAS)
