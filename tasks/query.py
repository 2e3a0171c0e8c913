"""
The query parameters of the task list, parsed by hand: a bad value is a 422
naming the parameter, never ignored. Plain functions rather than a serializer
per request, which cost more than the rest of the parsing (bench/README.md).
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError

from .models import Priority
from .serializers import parse_date_time
from .tags import normalize_tag

STATUSES = ["all", "pending", "completed"]
SORTS = [
    "-created_at",
    "created_at",
    "-updated_at",
    "updated_at",
    "title",
    "-title",
    "due_at",
    "-due_at",
    "priority",
    "-priority",
]
# The words some public frontends send for the same sorts.
SORT_ALIASES = {"created": "-created_at", "updated": "-updated_at", "due_date": "due_at"}
# Sorts by a column the database cannot order by directly.
SORT_COLUMNS = {"priority": "priority_rank"}
MAX_SEARCH_LENGTH = 200
MAX_LIMIT = 100
KNOWN_PARAMETERS = [
    "status",
    "task_status",
    "completed",
    "priority",
    "tag",
    "due_after",
    "due_before",
    "sort",
    "search",
    "limit",
    "offset",
]


@dataclass
class TaskQuery:
    status: str = "all"
    priorities: list[str] | None = None
    tags: list[str] | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    sort: str = "-created_at"
    search: str = ""
    limit: int | None = None
    offset: int | None = None


def parse_task_query(params) -> TaskQuery:
    """The list's parameters from a QueryDict; ValidationError names each bad one."""
    if not params:
        # Most lists ask for everything: nothing to parse.
        return TaskQuery()
    errors: dict[str, list[str]] = {}
    for name in KNOWN_PARAMETERS:
        if len(params.getlist(name)) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise ValidationError(errors)

    query = TaskQuery()
    parsers = [
        ("status", parse_status),
        ("priorities", parse_priorities),
        ("tags", parse_tags),
        ("due_after", parse_due("due_after")),
        ("due_before", parse_due("due_before")),
        ("sort", parse_sort),
        ("search", parse_search),
        ("limit", parse_limit),
        ("offset", parse_offset),
    ]
    for attribute, parse in parsers:
        try:
            value = parse(params)
        except ValidationError as e:
            errors.update(e.detail)
        else:
            if value is not None:
                setattr(query, attribute, value)
    if errors:
        raise ValidationError(errors)
    return query


def parse_status(params) -> str | None:
    """``status``, or the same given as ``task_status`` or ``completed=true/false``."""
    given = {}
    for name in ("status", "task_status"):
        value = params.get(name, "")
        if value:
            if value not in STATUSES:
                raise ValidationError({name: [f"Choose one of {', '.join(STATUSES)}."]})
            given[name] = value
    if "completed" in params:
        value = params["completed"]
        if value not in ("true", "false"):
            raise ValidationError({"completed": ["Give true or false."]})
        given["completed"] = "completed" if value == "true" else "pending"
    if len(set(given.values())) > 1:
        message = "These parameters ask for different statuses: " + ", ".join(given) + "."
        raise ValidationError({name: [message] for name in given})
    return next(iter(given.values()), None)


def parse_priorities(params) -> list[str] | None:
    priorities = [value for value in params.get("priority", "").split(",") if value]
    unknown = [value for value in priorities if value not in Priority.values]
    if unknown:
        choices = ", ".join(Priority.values)
        raise ValidationError({"priority": [f"Choose from {choices}, comma separated."]})
    return priorities or None


def parse_tags(params) -> list[str] | None:
    """The tags as stored; None for no filter, [] for a tag no task can carry."""
    tags = []
    for value in params.get("tag", "").split(","):
        if not value.strip():
            continue
        try:
            tags.append(normalize_tag(value))
        except DjangoValidationError:
            # Too long, a comma, a control character: a tag no task has.
            return []
    return list(dict.fromkeys(tags)) or None


def parse_due(name: str):
    def parse(params) -> datetime | None:
        value = params.get(name, "")
        if not value:
            return None
        try:
            return parse_date_time(value)
        except ValueError as e:
            raise ValidationError({name: [str(e)]}) from None

    return parse


def parse_sort(params) -> str | None:
    if "sort" not in params:
        return None
    value = SORT_ALIASES.get(params["sort"], params["sort"])
    if value not in SORTS:
        words = ", ".join([*SORTS, *SORT_ALIASES])
        raise ValidationError({"sort": [f"Sort by one of {words}."]})
    return value


def parse_search(params) -> str | None:
    value = params.get("search", "")
    if len(value) > MAX_SEARCH_LENGTH:
        message = f"Ensure this field has no more than {MAX_SEARCH_LENGTH} characters."
        raise ValidationError({"search": [message]})
    if "\x00" in value:
        raise ValidationError({"search": ["Null characters are not allowed."]})
    return value or None


def parse_count(name: str, params, minimum: int, maximum: int | None = None) -> int | None:
    if name not in params:
        return None
    value = params[name]
    # Plain digits only: not "1.0", " 5 " or "+5".
    if not (value.isascii() and value.isdigit()):
        raise ValidationError({name: ["A valid integer is required."]})
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise ValidationError({name: [f"Give a number {bounds}."]})
    return number


def parse_limit(params) -> int | None:
    return parse_count("limit", params, 1, MAX_LIMIT)


def parse_offset(params) -> int | None:
    return parse_count("offset", params, 0)


def filter_tasks(tasks: QuerySet, query: TaskQuery) -> QuerySet:
    """The caller's tasks narrowed by every filter of ``query``; unsorted."""
    if query.status == "pending":
        tasks = tasks.filter(completed=False)
    elif query.status == "completed":
        tasks = tasks.filter(completed=True)
    if query.priorities:
        tasks = tasks.filter(priority__in=query.priorities)
    if query.tags == []:
        tasks = tasks.none()
    elif query.tags:
        tasks = tasks.filter(tags__has_all_tags=query.tags)
    if query.due_after is not None:
        tasks = tasks.filter(due_at__gte=query.due_after)
    if query.due_before is not None:
        tasks = tasks.filter(due_at__lt=query.due_before)
    if query.search:
        tasks = tasks.filter(
            Q(title__icontains=query.search) | Q(description__icontains=query.search)
        )
    return tasks


def sort_tasks(tasks: QuerySet, sort: str) -> QuerySet:
    """One field, then the id, in the same direction; undated tasks last both ways."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    column = F(SORT_COLUMNS.get(name, name))
    # Only due_at has nulls; NULLS LAST on the others would keep PostgreSQL
    # from reading their indexes backwards.
    nulls_last = True if name == "due_at" else None
    if descending:
        return tasks.order_by(column.desc(nulls_last=nulls_last), F("id").desc())
    return tasks.order_by(column.asc(nulls_last=nulls_last), F("id").asc())
