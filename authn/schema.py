"""Tells drf-spectacular about the auth class, so Swagger UI offers "Authorize"."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BetterAuthJWTScheme(OpenApiAuthenticationExtension):
    target_class = "authn.authentication.BetterAuthJWTAuthentication"
    name = "BetterAuthJWT"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Better Auth JWT: `authClient.token()` or an HS256 token "
            "signed with BETTER_AUTH_SECRET (`manage.py mint_token` in development); or, "
            "where BETTER_AUTH_SESSIONS is set, the bearer plugin's session token "
            "(`set-auth-token`).",
        }
