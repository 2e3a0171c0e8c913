"""
Schemathesis against the OpenAPI document of the API under the Procfile's
server, with a valid token and every default check but one false alarm: no
server error, every response as the schema says, schema-valid input accepted
and invalid input refused.

Runs when FUZZ_EXAMPLES (examples per operation) is set; CI sets enough for
well over 1000 cases. On PostgreSQL when DATABASE_URL is set.
"""

import os
import re
import secrets
import subprocess
import sys
import time

import jwt
import pytest

from .live import live_server, migrate

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
# The interpreter that runs Schemathesis, which talks to the API over HTTP. CI
# gives it Python 3.13: CPython 3.11 before 3.11.9 can fail inside the fuzzer
# with "SystemError: AST constructor recursion depth mismatch" (CPython
# gh-106905), a bug of the fuzzer's process, never of the API.
FUZZER_PYTHON = os.environ.get("FUZZ_PYTHON") or sys.executable
USER_ID = "fuzz-user"


@pytest.mark.skipif(not EXAMPLES, reason="set FUZZ_EXAMPLES to run (CI does)")
def test_the_api_holds_to_its_schema_under_fuzzing(tmp_path, capsys):
    secret = secrets.token_urlsafe(32)
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BETTER_AUTH_SECRET": secret,
        # Throttling would turn a share of the cases into 429s.
        "THROTTLE_USER_RATE": "off",
        "THROTTLE_ANON_RATE": "off",
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        migrate(env)
    now = int(time.time())
    token = jwt.encode({"sub": USER_ID, "iat": now, "exp": now + 3600}, secret)
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        # The path form answers 403 for any other id; fuzz it as the caller.
        f'[parameters]\n"path.user_id" = "{USER_ID}"\n'
        # The stateful phase follows a create with the bulk update on the same
        # path and, as that operation has no parameters, takes all of them as
        # given by the create; but the ids are in the body, generated at
        # random, and the contract answers 404 for ids that are no task.
        "[[operations]]\n"
        'include-method = "PATCH"\n'
        'include-path-regex = "/tasks$"\n'
        "checks.ensure_resource_availability.enabled = false\n"
    )

    # Rules JSON Schema cannot state, for the requests generated as valid.
    hooks = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks"}
    with live_server(env, workers=2) as url:
        result = subprocess.run(
            [
                FUZZER_PYTHON, "-m", "schemathesis.cli", "--config-file", str(config),
                "run", f"{url}/api/schema/", "--header", f"Authorization: Bearer {token}",
                "--max-examples", str(EXAMPLES), "--workers", "2", "--no-color",
                "--generation-database", "none",
            ],
            capture_output=True, text=True, timeout=1800, env=hooks,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = int(re.search(r"(\d+) generated", output).group(1))
    assert generated >= 1000, output[-2000:]
    with capsys.disabled():
        print(f"\nfuzzing: {generated} cases generated, all passed")
