import time

import jwt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


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

    def handle(self, *args, user_id, email, name, ttl, **options):
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
        if settings.BETTER_AUTH_ISSUER:
            claims["iss"] = settings.BETTER_AUTH_ISSUER
        if settings.BETTER_AUTH_AUDIENCE:
            claims["aud"] = settings.BETTER_AUTH_AUDIENCE
        self.stdout.write(jwt.encode(claims, settings.BETTER_AUTH_SECRET, algorithm="HS256"))
