"""
What goes wrong in a tool becomes a tool result with ``isError: true`` and a
short message the model can act on (django-mcpz's ToolError), never a
protocol error: validation names the fields, and a task that is missing or
another user's is "No such task." either way, so ids reveal nothing.
"""

import functools
import logging

from django.db import InterfaceError, OperationalError
from django_mcpz.server import ToolError
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from todo_project.errors import field_errors

logger = logging.getLogger(__name__)

NO_SUCH_TASK = "No such task."


def as_tool_errors(tool):
    @functools.wraps(tool)
    def run(request, arguments):
        try:
            return tool(request, arguments)
        except ValidationError as e:
            raise ToolError(validation_message(e)) from e
        except (NotFound, PermissionDenied) as e:
            raise ToolError(NO_SUCH_TASK) from e
        except (OperationalError, InterfaceError) as e:
            logger.warning("Database unavailable: %s", e)
            raise ToolError("The database cannot be reached; try again shortly.") from e

    return run


def validation_message(error: ValidationError) -> str:
    """``title: This field is required. due_at: Enter a date-time with ...``"""
    return " ".join(
        f"{field}: {' '.join(messages)}" for field, messages in field_errors(error.detail).items()
    )
