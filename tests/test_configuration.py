"""Settings come from the environment, and a configuration that cannot work fails loudly."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k" * 8 + "Z9x-" * 8


BASE_ENV = {
    "DEBUG": "",
    "SECRET_KEY": "",
    "BETTER_AUTH_SECRET": "",
    "BETTER_AUTH_URL": "",
    "BETTER_AUTH_JWKS_URL": "",
    "DATABASE_URL": "",
}


def run_python(*args, **env):
    """Python in a fresh process at the project root; empty values hide a developer's .env."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_manage(*args, **env):
    return run_python("manage.py", *args, **env)


def start_server(**env):
    """Build the WSGI application as the server does, without serving."""
    return run_python("-c", "import todo_project.wsgi", **env)


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = start_server(BETTER_AUTH_SECRET=GOOD_SECRET)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_a_way_to_verify_tokens():
    for debug in ("false", "true"):
        result = start_server(DEBUG=debug, SECRET_KEY="x" * 50)
        assert result.returncode != 0
        assert "No way to verify tokens" in result.stderr


def test_runserver_refuses_too_before_its_autoreloader_starts():
    result = run_manage("runserver", "127.0.0.1:9", BETTER_AUTH_SECRET=GOOD_SECRET)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_starts_in_production_with_a_key_and_a_secret():
    result = start_server(SECRET_KEY="x" * 50, BETTER_AUTH_SECRET=GOOD_SECRET)
    assert result.returncode == 0, result.stderr


def test_jwks_mode_alone_is_a_way_to_verify_tokens():
    result = start_server(SECRET_KEY="x" * 50, BETTER_AUTH_URL="http://localhost:3000")
    assert result.returncode == 0, result.stderr


def test_manage_py_commands_run_without_any_configuration():
    """A build step (migrate, collectstatic) has no secrets; only serving needs them."""
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_a_missing_token_mode():
    result = run_manage("check", "--deploy", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "authn.E001" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_a_neon_url_reaches_psycopg_untouched():
    host = "ep-cool-name-123-pooler.us-east-2.aws.neon.tech"
    url = f"postgresql://neon@{host}/neondb"
    code = (
        "import json; from django.db import connection; "
        "params = connection.get_connection_params(); "
        "print(json.dumps({k: params.get(k) for k in ('host', 'dbname', 'sslmode', 'channel_binding')}))"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DEBUG="true",
        BETTER_AUTH_SECRET=GOOD_SECRET,
        DATABASE_URL=f"{url}?sslmode=require&channel_binding=require",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "host": host,
        "dbname": "neondb",
        "sslmode": "require",
        "channel_binding": "require",
    }


def run_checks():
    call_command("check", tags=["security"], stdout=open(os.devnull, "w"), stderr=None)


@pytest.mark.parametrize("secret", ["change-me", "change-me-to-a-long-random-secret-0123456789"])
def test_a_placeholder_secret_is_a_check_error(settings, secret):
    settings.BETTER_AUTH_SECRET = secret
    with pytest.raises(SystemCheckError, match="authn.E002"):
        run_checks()


def test_a_short_secret_is_a_check_error_in_production(settings):
    settings.DEBUG = False
    settings.BETTER_AUTH_SECRET = "too-short-1234"
    with pytest.raises(SystemCheckError, match="authn.E003"):
        run_checks()


def test_a_short_secret_is_a_warning_while_developing(settings, capsys):
    settings.DEBUG = True
    settings.BETTER_AUTH_SECRET = "too-short-1234"
    call_command("check", tags=["security"])
    assert "authn.W001" in capsys.readouterr().err


def test_a_long_random_secret_passes(settings):
    settings.BETTER_AUTH_SECRET = GOOD_SECRET
    run_checks()


def test_an_unknown_algorithm_is_a_check_error(settings):
    settings.BETTER_AUTH_JWT_ALGORITHMS = ["EdDSA", "none"]
    with pytest.raises(SystemCheckError, match="authn.E004"):
        run_checks()


def test_a_plain_http_jwks_url_is_a_warning_in_production(settings, capsys):
    settings.DEBUG = False
    settings.BETTER_AUTH_URL = "http://auth.example.com"
    call_command("check", tags=["security"])
    assert "authn.W002" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]
)
def test_a_loopback_jwks_url_is_fine(settings, capsys, url):
    settings.DEBUG = False
    settings.BETTER_AUTH_URL = url
    call_command("check", tags=["security"])
    assert "authn.W002" not in capsys.readouterr().err


def test_every_model_change_has_a_migration(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=open(os.devnull, "w"))


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "todo_project" / "settings.py").read_text()
    return set(re.findall(r'(?:env_\w+|throttle_rate)\(\s*"([A-Z_]+)"', source))


def test_env_example_lists_every_variable_the_settings_read():
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert variables_read_by_settings() == listed


def test_the_readme_documents_every_variable():
    readme = (ROOT / "README.md").read_text()
    assert {name for name in variables_read_by_settings() if f"`{name}`" not in readme} == set()


CACHE_SETTINGS = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.CACHES['default'], settings.SESSION_ENGINE]))"
)


def cache_settings(**env):
    result = run_manage("shell", "-c", CACHE_SETTINGS, **{"REDIS_URL": "", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_url_the_cache_is_the_process_own():
    cache, sessions = cache_settings()
    assert cache == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert sessions == "django.contrib.sessions.backends.db"


def test_redis_url_makes_redis_the_cache_with_short_timeouts():
    cache, sessions = cache_settings(REDIS_URL="rediss://:pw@cache.example.com:6380/2")
    assert cache == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "rediss://:pw@cache.example.com:6380/2",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    # Sessions stay in the database, shared by every instance, whatever the cache.
    assert sessions == "django.contrib.sessions.backends.db"
    cache, _ = cache_settings(REDIS_URL="redis://127.0.0.1:6379", REDIS_TIMEOUT_SECONDS="0.2")
    assert cache["OPTIONS"] == {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"REDIS_URL": "cache.example.com:6379"}, "REDIS_URL must start with redis://"),
        ({"REDIS_URL": "http://:secret-pw@cache.example.com"}, "REDIS_URL must start with"),
        ({"REDIS_TIMEOUT_SECONDS": "0"}, "REDIS_TIMEOUT_SECONDS must be positive"),
        ({"REDIS_TIMEOUT_SECONDS": "soon"}, "REDIS_TIMEOUT_SECONDS must be a number"),
        ({"REDIS_TIMEOUT_SECONDS": "nan"}, "REDIS_TIMEOUT_SECONDS must be positive"),
        ({"REDIS_RETRY_SECONDS": "-1"}, "REDIS_RETRY_SECONDS must be positive"),
    ],
)
def test_a_bad_redis_setting_fails_loudly_without_echoing_a_password(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "secret-pw" not in result.stderr


@pytest.mark.parametrize(
    "host, pooler, prepared",
    [
        ("ep-cool-name-123.us-east-2.aws.neon.tech", "", 5),
        ("ep-cool-name-123-pooler.us-east-2.aws.neon.tech", "", None),
        ("db.internal", "true", None),
        ("aws-0-eu-central-1.pooler.supabase.com:6543", "", None),
        ("pgbouncer.internal:6432", "", None),
        ("db.internal:5432", "", 5),
        ("ep-cool-name-123-pooler.us-east-2.aws.neon.tech", "false", 5),
    ],
)
def test_statements_are_prepared_only_without_a_pooler(host, pooler, prepared):
    code = (
        "import json; from django.db import connection; "
        "params = connection.get_connection_params(); "
        "print(json.dumps([params.get('prepare_threshold'), "
        "params['cursor_factory'].__name__]))"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DEBUG="true",
        BETTER_AUTH_SECRET=GOOD_SECRET,
        DATABASE_URL=f"postgresql://user@{host}/db",
        DATABASE_POOLER=pooler,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [prepared, "ServerBindingCursor"]
