from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed, PermissionDenied


class InvalidToken(AuthenticationFailed):
    default_detail = "invalid token"
    default_code = "invalid_token"


class TokenExpired(InvalidToken):
    default_detail = "token expired"
    default_code = "token_expired"


class AuthUnavailable(APIException):
    """The key set or the sessions cannot be read and nothing cached fits: the token may be good."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "the key set of the auth server cannot be reached"
    default_code = "auth_unavailable"


class InsufficientScope(PermissionDenied):
    """A good token without every scope of MCP_REQUIRED_SCOPES (RFC 6750's insufficient_scope)."""

    default_detail = "the token lacks a required scope"
    default_code = "insufficient_scope"
