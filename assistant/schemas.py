"""
The JSON Schemas of the tools' arguments: the same field rules as the REST
API's (tasks/serializers.py, tasks/query.py), stated where JSON Schema can
state them, so that a model fills the arguments in right the first time.
The serializers still check every value. Other properties are allowed, and
ignored: a model that adds a ``user_id`` gets the caller's tasks regardless.
"""

from tasks.models import MAX_RECURRENCE_INTERVAL, Frequency, Priority
from tasks.query import MAX_LIMIT, MAX_SEARCH_LENGTH, SORT_ALIASES, SORTS, STATUSES
from tasks.serializers import RFC_3339, TAG_PATTERN, TITLE_PATTERN
from tasks.services import MAX_TASK_ID
from tasks.tags import MAX_TAG_LENGTH

DEFAULT_LIMIT = 50


def date_time(description: str) -> dict:
    return {
        "type": ["string", "null"],
        "format": "date-time",
        "pattern": RFC_3339.pattern,
        "description": f"{description} RFC 3339 with a UTC offset, e.g. 2026-12-05T17:00:00Z.",
    }


def arguments(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": True,
    }


TASK_ID = {"type": "integer", "minimum": 1, "maximum": MAX_TASK_ID, "description": "The task's id."}

TASK_FIELDS = {
    "title": {
        "type": "string",
        "minLength": 1,
        "pattern": TITLE_PATTERN,
        "description": "1 to 200 characters, trimmed.",
    },
    "description": {"type": ["string", "null"], "maxLength": 1000},
    "priority": {"type": "string", "enum": Priority.values, "default": Priority.MEDIUM},
    "due_at": date_time("When the task is due."),
    "tags": {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_TAG_LENGTH, "pattern": TAG_PATTERN},
        "description": "Lower-cased by the server; duplicates dropped; at most 20 kept.",
    },
    "recurrence": {
        "type": ["object", "null"],
        "properties": {
            "frequency": {"type": "string", "enum": Frequency.values},
            "interval": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_RECURRENCE_INTERVAL,
                "default": 1,
            },
        },
        "required": ["frequency"],
        "description": "Repeats when completed: the next task is due one interval later. "
        "A recurring task needs a due_at.",
    },
    "remind_at": date_time("When to remind the user."),
}
ADD_FIELDS = tuple(TASK_FIELDS)
COMPLETED = {"type": "boolean", "description": "true: completed; false: pending."}

LIST_TASKS = arguments(
    {
        "status": {"type": "string", "enum": STATUSES, "default": "all"},
        "priority": {
            "type": ["array", "string"],
            "items": {"type": "string", "enum": Priority.values},
            "description": "Tasks with any of these priorities (a list, or comma separated).",
        },
        "tag": {
            "type": ["array", "string"],
            "items": {"type": "string"},
            "description": "Tasks that carry all of these tags (a list, or comma separated).",
        },
        "due_after": date_time("Tasks due at or after this time."),
        "due_before": date_time("Tasks due before this time."),
        "search": {
            "type": "string",
            "maxLength": MAX_SEARCH_LENGTH,
            "description": "Words in the title or description, any case.",
        },
        "sort": {"type": "string", "enum": [*SORTS, *SORT_ALIASES], "default": "-created_at"},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    }
)
GET_TASK = arguments({"task_id": TASK_ID}, required=("task_id",))
ADD_TASK = arguments(TASK_FIELDS, required=("title",))
UPDATE_TASK = arguments({"task_id": TASK_ID, **TASK_FIELDS, "completed": COMPLETED}, ("task_id",))
COMPLETE_TASK = arguments(
    {"task_id": TASK_ID, "completed": {**COMPLETED, "default": True}}, required=("task_id",)
)
DELETE_TASK = arguments({"task_id": TASK_ID}, required=("task_id",))
LIST_TAGS = arguments({})
