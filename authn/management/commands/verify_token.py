import json

import jwt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from authn import tokens


class Command(BaseCommand):
    help = (
        "Say whether this server, as configured, accepts a token, and if not which "
        "check fails. Shows the token's header and claims; never prints a secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("token")

    def handle(self, *args, token, **options):
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[len("bearer ") :].strip()
        self.show_configuration()
        self.show_contents(token)
        try:
            claims = tokens.verify_token(token)
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
            self.stdout.write(f"expected issuer: {tokens.expected_issuer(algorithm)}")
            self.stdout.write(f"expected audience: {tokens.expected_audience(algorithm)}")
