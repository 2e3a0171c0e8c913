from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "authn"
    verbose_name = "Better Auth users"

    def ready(self):
        # Registers the system checks, the OpenAPI description of the auth
        # class and the guard that keeps migrate off Better Auth's database.
        from . import checks, routers, schema  # noqa: F401
