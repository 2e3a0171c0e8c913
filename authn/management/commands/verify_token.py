import json
from datetime import UTC, datetime

import jwt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.utils import ConnectionDoesNotExist

from authn import sessions, tokens
from authn.routers import DATABASE_ALIAS


class Command(BaseCommand):
    help = (
        "Say whether this server, as configured, accepts a token, and if not which "
        "check fails. Shows a JWT's header and claims, or what was found of a "
        "session token's session; never prints a secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("token")
        parser.add_argument(
            "--mcp",
            action="store_true",
            help="check it as /mcp does (MCP_RESOURCE_URL in aud), not as the REST API",
        )

    def handle(self, *args, token, mcp, **options):
        self.resource = tokens.MCP if mcp else tokens.REST_API
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[len("bearer ") :].strip()
        self.show_configuration()
        if sessions.has_session_shape(token) and self.resource == tokens.MCP:
            raise CommandError("REJECTED (malformed): /mcp takes JWTs only, not session tokens")
        if sessions.has_session_shape(token):
            self.explain_session_token(token)
            return
        self.show_contents(token)
        try:
            claims = tokens.verify_token(token, self.resource)
        except tokens.TokenRejected as e:
            raise CommandError(f"REJECTED ({e.check}): {e}") from None
        except tokens.KeySetUnavailable as e:
            raise CommandError(f"REJECTED (jwks_unreachable): {e}") from None
        self.stdout.write(self.style.SUCCESS(f"ACCEPTED: user {claims['sub']!r}"))

    def show_configuration(self):
        lines = [
            f"shared secret (HS256): {'set' if settings.BETTER_AUTH_SECRET else 'not set'}",
            f"JWKS URL: {tokens.jwks_url() or 'not set'}",
            f"allowed algorithms: {', '.join(tokens.allowed_algorithms()) or 'none'}",
            f"leeway: {settings.JWT_LEEWAY_SECONDS} s",
            f"session tokens: {self.session_mode()}",
        ]
        for line in lines:
            self.stdout.write(line)

    def show_contents(self, token):
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            self.stdout.write("The token cannot be decoded as a JWT.")
            return
        self.stdout.write("header: " + json.dumps(header, indent=2, sort_keys=True))
        self.stdout.write("claims (unverified): " + json.dumps(claims, indent=2, sort_keys=True))
        algorithm = header.get("alg")
        if isinstance(algorithm, str):
            issuer = tokens.expected_issuer(algorithm, self.resource)
            self.stdout.write(f"expected issuer: {issuer}")
            audience = tokens.expected_audience(algorithm, self.resource)
            self.stdout.write(f"expected audience: {audience}")

    def session_mode(self):
        mode = settings.BETTER_AUTH_SESSIONS
        if mode == "database":
            table = settings.BETTER_AUTH_SESSION_TABLE
            return f"database (tables {table!r} and {settings.BETTER_AUTH_USER_TABLE!r} on {self.database()})"
        if mode == "remote":
            return f"remote ({sessions.remote.url()})"
        return "refused (BETTER_AUTH_SESSIONS is not set)"

    def database(self):
        # Where, never who: no user name or password.
        try:
            config = connections[DATABASE_ALIAS].settings_dict
        except ConnectionDoesNotExist:
            return "no better_auth database"
        vendor = config["ENGINE"].rsplit(".", 1)[-1]
        host = f" at {config['HOST']}" if config.get("HOST") else ""
        return f"{vendor} database {config['NAME']!r}{host}"

    def explain_session_token(self, raw_token):
        try:
            token, signature = sessions.split_token(raw_token)
        except tokens.TokenRejected as e:
            raise CommandError(f"REJECTED ({e.check}): {e}") from None
        form = "unsigned, <token>" if signature is None else "signed, <token>.<signature>"
        encoded = ", URL-encoded" if "%" in raw_token else ""
        self.stdout.write(f"a Better Auth session token ({form}{encoded})")
        if not settings.BETTER_AUTH_SESSIONS:
            raise CommandError("REJECTED (sessions_off): session tokens are not accepted here")
        self.stdout.write(f"signature: {self.signature_status(token, signature)}")
        try:
            sessions.check_signature_if_possible(token, signature)
            session = sessions.look_up(token, f"Bearer {raw_token}")
        except tokens.TokenRejected as e:
            raise CommandError(f"REJECTED ({e.check}): {e}") from None
        except sessions.SessionsUnavailable as e:
            raise CommandError(f"REJECTED (sessions_unreachable): {e}") from None
        if session is None:
            self.stdout.write("session: not found (unknown, signed out, or expired)")
            raise CommandError("REJECTED (session): no live session has this token")
        expires = datetime.fromtimestamp(session.expires_at, UTC).isoformat(timespec="seconds")
        expired = session.expires_at <= datetime.now(UTC).timestamp()
        self.stdout.write(f"session: found, {'expired' if expired else 'expires'} at {expires}")
        self.stdout.write(
            f"user: {session.user_id!r} (email {session.email!r}, name {session.name!r})"
        )
        if expired:
            raise CommandError(f"REJECTED (expired): the session expired at {expires}")
        self.stdout.write(self.style.SUCCESS(f"ACCEPTED: user {session.user_id!r}"))

    def signature_status(self, token, signature):
        if signature is None:
            return "none (an unsigned token is accepted when it names a live session)"
        if settings.BETTER_AUTH_SECRET:
            if sessions.signature_matches(token, signature, settings.BETTER_AUTH_SECRET):
                return "ok"
            return "does not match BETTER_AUTH_SECRET"
        if settings.BETTER_AUTH_SESSIONS == "remote":
            return "not checked here (no BETTER_AUTH_SECRET): left to Better Auth"
        return "cannot be checked: BETTER_AUTH_SECRET is not set"
