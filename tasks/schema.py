"""What the OpenAPI document says about the task routes' parameters and headers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from .models import Priority
from .query import MAX_LIMIT, MAX_SEARCH_LENGTH, SORT_ALIASES, SORTS, STATUSES
from .serializers import RFC_3339, TaskSerializer

TASK_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The task's id."
)


def query(name: str, schema: dict, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, description=description)


# Every filter takes an empty value too, which filters nothing.
DATE_TIME = {
    "anyOf": [
        {"type": "string", "format": "date-time", "pattern": RFC_3339.pattern},
        {"type": "string", "maxLength": 0},
    ]
}
PRIORITY_LIST = "^(?:low|medium|high)?(?:,(?:low|medium|high)?)*$"

LIST_PARAMETERS = [
    query(
        "status",
        {"type": "string", "enum": [*STATUSES, ""], "default": "all"},
        "Pending or completed tasks only (empty: all). Also read as `task_status`, or as "
        "`completed=true` / `completed=false`.",
    ),
    query(
        "priority",
        {"type": "string", "pattern": PRIORITY_LIST},
        f"One or more of {', '.join(Priority.values)}, comma separated: tasks with any of them.",
    ),
    query(
        "tag",
        {"type": "string"},
        "One or more tags, comma separated: tasks that carry all of them.",
    ),
    query("due_after", DATE_TIME, "Tasks due at or after this moment (RFC 3339, with offset)."),
    query("due_before", DATE_TIME, "Tasks due before this moment (RFC 3339, with offset)."),
    query(
        "sort",
        {"type": "string", "enum": [*SORTS, *SORT_ALIASES], "default": "-created_at"},
        "One field, `-` for descending; ties break by id in the same direction. Undated "
        "tasks come last in both `due_at` directions. `created`, `updated` and `due_date` "
        "are other words for `-created_at`, `-updated_at` and `due_at`.",
    ),
    query(
        "search",
        {"type": "string", "maxLength": MAX_SEARCH_LENGTH, "pattern": "^[^\\x00]*$"},
        "Case-insensitive substring of the title or the description.",
    ),
    query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size."),
    query("offset", {"type": "integer", "minimum": 0}, "Tasks to skip."),
]

PAGING_HEADERS = [
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[200],
        description="Tasks that match the filters, before paging.",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='RFC 8288 links to the rel="next" and rel="prev" pages, when there are some.',
    ),
]

TAG_COUNTS = inline_serializer(
    "TagCount",
    {"name": serializers.CharField(), "count": serializers.IntegerField(min_value=1)},
    many=True,
)


def header(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.HEADER, description=description, **kwargs
    )


IF_MATCH = header(
    "If-Match",
    "ETags of the task (or `*`): when none is current, the answer is 412 and nothing changes.",
)
IF_NONE_MATCH = header(
    "If-None-Match", "ETags (or `*`): when one is current, the answer is 304 with no body."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[!-~]{1,255}$"},
    OpenApiParameter.HEADER,
    description=(
        "Retrying a create with the same key and body within 24 hours answers the first "
        "answer again, with `Idempotent-Replayed: true`, and creates nothing."
    ),
)
ETAG = header("ETag", "The task's current version, for If-Match.", response=[200, 201])
LIST_ETAG = header("ETag", "The answer's version, for If-None-Match.", response=[200])
REPLAYED = header(
    "Idempotent-Replayed", "`true` on the replay of an earlier create.", response=[201]
)

CHANGE_SET = inline_serializer(
    "ChangeSet",
    {
        "changed": TaskSerializer(many=True),
        "deleted": serializers.ListField(child=serializers.IntegerField()),
        "cursor": serializers.CharField(),
        "has_more": serializers.BooleanField(),
    },
)
CHANGES_PARAMETERS = [
    query(
        "cursor",
        {"type": "string"},
        "The cursor of the previous answer; without it, every task.",
    ),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Entries per answer."),
]
DELETED_COUNT = inline_serializer("DeletedCount", {"deleted": serializers.IntegerField()})

# "Clear completed": status=completed is required; the list's other filters narrow it.
CLEAR_PARAMETERS = [
    OpenApiParameter(
        "status",
        {"type": "string", "enum": ["completed"]},
        OpenApiParameter.QUERY,
        required=True,
        description="Only completed tasks are deleted, and only when this says so.",
    ),
    *[
        parameter
        for parameter in LIST_PARAMETERS
        if parameter.name in ("priority", "tag", "due_after", "due_before", "search")
    ],
]

BULK_COMPLETION = {
    "type": "object",
    "properties": {
        "ids": {
            "type": "array",
            "items": {"type": "integer"},
            "minItems": 1,
            "maxItems": 100,
            "uniqueItems": True,
        },
        "completed": {"type": "boolean"},
    },
    "required": ["ids", "completed"],
}
