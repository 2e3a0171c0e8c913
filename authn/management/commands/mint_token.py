import time

import jwt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from authn import tokens


class Command(BaseCommand):
    help = (
        "Print an HS256 token signed with BETTER_AUTH_SECRET, as a frontend would "
        "make one, for curl and Swagger UI during development."
    )

    def add_arguments(self, parser):
        parser.add_argument("user_id", help="the Better Auth user id, put in 'sub'")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
        parser.add_argument(
            "--audience",
            default="",
            help="the token's aud: a URL, or 'mcp' for MCP_RESOURCE_URL (a token for /mcp, "
            "which the REST API then refuses); default BETTER_AUTH_AUDIENCE",
        )

    def handle(self, *args, user_id, email, name, ttl, audience, **options):
        if not settings.BETTER_AUTH_SECRET:
            raise CommandError("BETTER_AUTH_SECRET is not set: there is nothing to sign with.")
        if not user_id.strip():
            raise CommandError("The user id must not be empty.")
        if ttl <= 0:
            raise CommandError("--ttl must be a positive number of seconds.")
        now = int(time.time())
        claims = {"sub": user_id, "iat": now, "exp": now + ttl}
        if email:
            claims["email"] = email
        if name:
            claims["name"] = name
        audience = audience or settings.BETTER_AUTH_AUDIENCE
        resource = tokens.REST_API
        if audience == "mcp" or (audience and audience == settings.MCP_RESOURCE_URL):
            if not settings.MCP_RESOURCE_URL:
                raise CommandError("MCP_RESOURCE_URL is not set: there is no MCP audience.")
            # The issuer /mcp expects too, which may not be the REST API's.
            audience, resource = settings.MCP_RESOURCE_URL, tokens.MCP
        issuer = tokens.expected_issuer("HS256", resource)
        if issuer:
            claims["iss"] = issuer
        if audience:
            claims["aud"] = audience
        self.stdout.write(jwt.encode(claims, settings.BETTER_AUTH_SECRET, algorithm="HS256"))
