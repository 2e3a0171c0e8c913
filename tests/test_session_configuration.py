"""
Session token settings: the server starts with BETTER_AUTH_SESSIONS alone,
and a session mode that cannot work is refused at start or by the checks.
"""

import os
import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connections

from authn.routers import DATABASE_ALIAS, BetterAuthRouter

from .better_auth_tables import SQLITE_TABLES, api_reads, better_auth_tables
from .test_configuration import run_manage, run_python, start_server

KEY = "x" * 50


def test_database_mode_alone_is_a_way_to_verify_tokens():
    result = start_server(SECRET_KEY=KEY, BETTER_AUTH_SESSIONS="database")
    assert result.returncode == 0, result.stderr


def test_remote_mode_with_its_url_is_a_way_to_verify_tokens():
    result = start_server(
        SECRET_KEY=KEY, BETTER_AUTH_SESSIONS="remote", BETTER_AUTH_URL="http://localhost:3000"
    )
    assert result.returncode == 0, result.stderr


def test_remote_mode_without_a_url_refuses_to_start():
    result = start_server(SECRET_KEY=KEY, BETTER_AUTH_SESSIONS="remote")
    assert result.returncode != 0
    assert "BETTER_AUTH_SESSIONS=remote needs BETTER_AUTH_URL" in result.stderr


def test_an_unknown_session_mode_fails_loudly():
    result = run_manage("check", BETTER_AUTH_SESSIONS="cookies")
    assert result.returncode != 0
    assert "BETTER_AUTH_SESSIONS must be one of database, remote" in result.stderr


def test_the_mode_is_read_in_any_case():
    result = start_server(SECRET_KEY=KEY, BETTER_AUTH_SESSIONS=" Database ")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "env, error",
    [
        ({"BETTER_AUTH_SESSIONS": "remote"}, "authn.E007"),
        ({"BETTER_AUTH_SESSIONS": "database"}, "authn.E008"),
    ],
)
def test_check_deploy_reports_a_session_mode_without_its_source(env, error):
    result = run_manage("check", "--deploy", SECRET_KEY=KEY, **env)
    assert result.returncode != 0
    assert error in result.stderr


def test_check_deploy_is_clean_in_database_mode_with_a_database_named(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        SECRET_KEY=KEY,
        BETTER_AUTH_SECRET="k" * 8 + "Z9x-" * 8,
        BETTER_AUTH_SESSIONS="database",
        BETTER_AUTH_SESSION_DATABASE_URL=f"sqlite:///{tmp_path}/better-auth.sqlite3",
    )
    assert result.returncode == 0, result.stderr


def run_checks(**kwargs):
    call_command("check", stdout=open(os.devnull, "w"), **kwargs)


def test_an_unknown_mode_set_in_code_is_a_check_error(settings):
    settings.BETTER_AUTH_SESSIONS = "cookies"
    with pytest.raises(SystemCheckError, match="authn.E006"):
        run_checks()


@pytest.mark.parametrize("setting", ["BETTER_AUTH_SESSION_TABLE", "BETTER_AUTH_USER_TABLE"])
@pytest.mark.parametrize("value", ["", "a.b.c", "session."])
def test_a_table_name_that_names_no_table_is_a_check_error(settings, setting, value):
    settings.BETTER_AUTH_SESSIONS = "database"
    setattr(settings, setting, value)
    with pytest.raises(SystemCheckError, match="authn.E009"):
        run_checks()


def test_database_mode_without_the_secret_warns_that_signed_tokens_are_refused(settings, capsys):
    settings.BETTER_AUTH_SESSIONS = "database"
    settings.BETTER_AUTH_SECRET = ""
    run_checks()
    assert "authn.W003" in capsys.readouterr().err


def test_remote_mode_over_plain_http_warns_in_production(settings, capsys):
    settings.DEBUG = False
    settings.BETTER_AUTH_SESSIONS = "remote"
    settings.BETTER_AUTH_URL = "http://auth.example.com"
    run_checks()
    assert "authn.W004" in capsys.readouterr().err


@pytest.mark.django_db
def test_checking_the_database_reports_missing_better_auth_tables(settings, tmp_path):
    settings.BETTER_AUTH_SESSIONS = "database"
    with better_auth_tables(tmp_path) as tables, api_reads(tables.url):
        run_checks(databases=[DATABASE_ALIAS])
        tables.drop()
        with pytest.raises(SystemCheckError, match="authn.E010"):
            run_checks(databases=[DATABASE_ALIAS])


def test_the_router_never_migrates_better_auths_database():
    router = BetterAuthRouter()
    assert router.allow_migrate(DATABASE_ALIAS, "authn") is False
    assert router.allow_migrate("default", "authn") is None
    assert router.db_for_write(object) is None


def test_settings_open_better_auths_sqlite_file_read_only_and_leave_its_journal(tmp_path):
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['better_auth']))"
    )
    path = tmp_path / "better-auth.sqlite3"
    result = run_manage(
        "shell",
        "-c",
        code,
        BETTER_AUTH_SESSIONS="database",
        BETTER_AUTH_SESSION_DATABASE_URL=f"sqlite:///{path}",
    )
    assert result.returncode == 0, result.stderr
    assert f'"NAME": "file:{path}?mode=ro"' in result.stdout
    assert "journal_mode" not in result.stdout


def test_migrate_never_touches_better_auths_database(tmp_path):
    ba_path = tmp_path / "better-auth.sqlite3"
    with sqlite3.connect(ba_path) as ba:
        for statement in SQLITE_TABLES:
            ba.execute(statement)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/api.sqlite3",
        "BETTER_AUTH_SESSIONS": "database",
        "BETTER_AUTH_SESSION_DATABASE_URL": f"sqlite:///{ba_path}",
    }
    assert run_manage("migrate", "--no-input", **env).returncode == 0
    refused = run_manage("migrate", "--no-input", "--database", DATABASE_ALIAS, **env)
    assert refused.returncode != 0
    assert "this API never migrates it" in refused.stderr
    with sqlite3.connect(ba_path) as ba:
        tables = [
            row[0] for row in ba.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
    assert sorted(tables) == ["session", "user"]


def test_no_better_auth_connection_exists_unless_database_mode_is_on():
    result = run_python(
        "-c",
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'todo_project.settings'; "
        "django.setup(); from django.db import connections; print(sorted(connections))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default']"
    assert DATABASE_ALIAS not in connections
