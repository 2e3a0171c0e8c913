from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "authn"
    verbose_name = "Better Auth users"

    def ready(self):
        # Registers the system checks and the OpenAPI description of the auth class.
        from . import checks, schema  # noqa: F401
