"""
The MCP tools: the view set's actions for an AI assistant, each a few lines
calling the same services (tasks/services.py) and the same task object
(represent_task) as the REST API, so that validation, recurrence, ETags, the
changes feed and events are the same whichever way a task changes.

``request.user`` is the token's user (assistant/server.py); no tool takes a
user id, and arguments the schema does not name are ignored.
"""

import json

from django.http import QueryDict
from rest_framework.exceptions import NotFound, ValidationError

from tasks import services
from tasks.query import parse_task_query
from tasks.rendering import list_page_json
from tasks.serializers import represent_task
from tasks.tag_counts import tag_counts

from . import schemas
from .errors import as_tool_errors
from .server import server


@server.tool(
    description="List the user's tasks, newest first unless sorted otherwise.",
    input_schema=schemas.LIST_TASKS,
    read_only=True,
)
@as_tool_errors
def list_tasks(request, arguments):
    query = parse_task_query(list_parameters(arguments))
    # A page (the limit is always set): the total of the whole list comes with it.
    page, total = list_page_json(request.user.pk, query)
    return {"tasks": json.loads(page), "total": total}


@server.tool(description="One of the user's tasks.", input_schema=schemas.GET_TASK, read_only=True)
@as_tool_errors
def get_task(request, arguments):
    task = services.task_read(owner_id=request.user.pk, task_id=task_id(arguments))
    return {"task": represent_task(task)}


@server.tool(description="Add a task for the user.", input_schema=schemas.ADD_TASK)
@as_tool_errors
def add_task(request, arguments):
    task = services.task_create(owner=request.user, data=pick(arguments, schemas.ADD_FIELDS))
    return {"task": represent_task(task)}


@server.tool(
    description="Change some fields of a task; the fields left out keep their values.",
    input_schema=schemas.UPDATE_TASK,
    idempotent=True,
)
@as_tool_errors
def update_task(request, arguments):
    task = services.task_update(
        owner_id=request.user.pk,
        task_id=task_id(arguments),
        data=pick(arguments, (*schemas.ADD_FIELDS, "completed")),
    )
    return {"task": represent_task(task)}


@server.tool(
    description="Mark a task completed (or pending, with completed: false). "
    "Completing a recurring task adds its next occurrence.",
    input_schema=schemas.COMPLETE_TASK,
    idempotent=True,
)
@as_tool_errors
def complete_task(request, arguments):
    # Sets, never flips: a retried call must not undo the first.
    task = services.task_complete(
        owner_id=request.user.pk,
        task_id=task_id(arguments),
        data={"completed": arguments.get("completed", True)},
    )
    return {"task": represent_task(task)}


@server.tool(description="Delete a task.", input_schema=schemas.DELETE_TASK, destructive=True)
@as_tool_errors
def delete_task(request, arguments):
    task = services.task_delete(owner_id=request.user.pk, task_id=task_id(arguments))
    return {"task_id": task.pk, "status": "deleted", "title": task.title}


@server.tool(
    description="The user's tags, each with the number of tasks that carry it.",
    input_schema=schemas.LIST_TAGS,
    read_only=True,
)
@as_tool_errors
def list_tags(request, arguments):
    return {"tags": tag_counts(request.user)}


def pick(arguments: dict, names) -> dict:
    """The arguments a tool takes; others (a user id, aliases) are left out."""
    return {name: arguments[name] for name in names if name in arguments}


def task_id(arguments: dict) -> int:
    value = arguments.get("task_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"task_id": ["Give the task's id, an integer."]})
    if not 0 < value <= services.MAX_TASK_ID:
        # As the REST API answers /api/tasks/0: an id no task can have.
        raise NotFound("No such task.")
    return value


LIST_PARAMETERS = ("status", "priority", "tag", "due_after", "due_before", "search", "sort")


def list_parameters(arguments: dict) -> QueryDict:
    """The arguments as the list endpoint's query string, to be parsed as it is."""
    params = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        value = arguments.get(name)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = ",".join(value)
        if value is not None and not isinstance(value, str):
            raise ValidationError({name: ["Give a string."]})
        if value is not None:
            params[name] = value
    limit = arguments.get("limit", schemas.DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValidationError({"limit": ["Give an integer from 1 to 100."]})
    params["limit"] = str(limit)
    return params
