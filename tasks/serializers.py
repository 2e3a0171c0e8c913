import json
import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from . import services
from .models import MAX_RECURRENCE_INTERVAL, Frequency, Priority, Task
from .spellings import add_extra_keys, extra_fields
from .tags import MAX_TAG_LENGTH, MAX_TAGS, normalize_tags


def is_html_form(field: serializers.Field) -> bool:
    """True for the browsable API's forms, whose values all arrive as strings."""
    return html.is_html_input(getattr(field.root, "initial_data", None))


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF would turn ``5`` into ``"5"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str) and not is_html_form(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only: DRF would also take ``"yes"``, ``1`` or ``"true"``."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if is_html_form(self):
            return super().to_internal_value(data)
        self.fail("invalid")


@extend_schema_field({"type": "string", "enum": Priority.values, "default": Priority.MEDIUM})
class PriorityField(serializers.ChoiceField):
    """low, medium or high, spelled exactly: not ``"HIGH"``, not ``2``, not null."""

    def __init__(self, **kwargs):
        super().__init__(choices=Priority.choices, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# What the schema promises must be exactly what is accepted, for clients and
# for fuzzers alike: no NUL anywhere (PostgreSQL cannot store it), and a title
# of 1 to 200 characters once the white space around it is trimmed.
NO_NUL = RegexValidator(r"^[^\x00]*$", "Null characters are not allowed.")
# What str.strip() removes, spelled out: in the ECMA regex dialect of JSON
# Schema, "\s" misses \x1c-\x1f and \x85 and adds \ufeff.
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TITLE_PATTERN = rf"^[{SPACE}]*[^{SPACE}\x00](?:[^\x00]{{0,198}}[^{SPACE}\x00])?[{SPACE}]*$"
# A tag as sent: trimmed, 1..32 characters, no comma or control character
# (Cc: \x00-\x1f and \x7f-\x9f, which includes some of SPACE).
TAG_CHARACTER = r"[^\x00-\x1f\x7f-\x9f,\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
TAG_INNER = r"[^\x00-\x1f\x7f-\x9f,]"
TAG_PATTERN = (
    rf"^[{SPACE}]*{TAG_CHARACTER}(?:{TAG_INNER}{{0,{MAX_TAG_LENGTH - 2}}}{TAG_CHARACTER})?"
    rf"[{SPACE}]*$"
)


def at_most_200_characters(value: str) -> None:
    if len(value) > 200:
        raise serializers.ValidationError("Ensure this field has no more than 200 characters.")


@extend_schema_field({"type": "string", "pattern": TITLE_PATTERN})
class TitleField(StrictCharField):
    """
    1..200 characters after trimming. The limit is a plain validator, not
    max_length, because the schema would then also cap the untrimmed length.
    """

    def __init__(self, **kwargs):
        super().__init__(validators=[at_most_200_characters], **kwargs)


# RFC 3339: a full date, "T", a time and an offset ("Z" or +hh:mm).
RFC_3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
DATE_TIME_HELP = "Enter a date-time with a UTC offset, e.g. 2026-12-05T17:00:00Z."


def parse_date_time(value) -> datetime:
    """An RFC 3339 date-time with its offset, in UTC; ValueError otherwise."""
    if not isinstance(value, str) or not RFC_3339.match(value):
        raise ValueError(DATE_TIME_HELP)
    try:
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"Not a valid date-time. {DATE_TIME_HELP}") from None


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": RFC_3339.pattern,
        "nullable": True,
        "example": "2026-12-05T17:00:00Z",
    }
)
class OffsetDateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time with an offset, returned in UTC; never a naive one or a date."""

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"input_type": "text", "placeholder": "2026-12-05T17:00:00Z"})
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if value == "" and is_html_form(self):
            return None
        try:
            return parse_date_time(value)
        except ValueError as e:
            raise serializers.ValidationError(str(e)) from None


BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class DueDateField(OffsetDateTimeField):
    """
    ``due_date``, other frontends' name for ``due_at``: the same values, or a
    bare date, which means 00:00:00Z of that day (what ``new Date("2026-12-05")``
    means in a browser).
    """

    def to_internal_value(self, value):
        if isinstance(value, str) and BARE_DATE.match(value):
            try:
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
            except ValueError:
                raise serializers.ValidationError("Not a valid date.") from None
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                "Enter a date (2026-12-05) or a date-time with a UTC offset (2026-12-05T17:00:00Z)."
            ) from None


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": TAG_PATTERN},
        "description": (
            f"Trimmed and lower-cased by the server; duplicates are dropped, keeping the "
            f"first; at most {MAX_TAGS} remain."
        ),
    }
)
class TagsField(serializers.Field):
    """The tags as the contract normalizes them (tasks/tags.py)."""

    default_error_messages = {"invalid": "Tags must be a list of strings."}

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"placeholder": "errands, home"})
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if is_html_form(self) and isinstance(data, str):
            # The browsable API's form: "errands, home" (a tag has no comma).
            data = [tag for tag in data.split(",") if tag.strip()]
        try:
            return normalize_tags(data)
        except DjangoValidationError as e:
            raise serializers.ValidationError(e.messages) from None

    def to_representation(self, value):
        return value


RECURRENCE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "frequency": {"type": "string", "enum": Frequency.values},
        "interval": {"type": "integer", "minimum": 1, "maximum": MAX_RECURRENCE_INTERVAL},
    },
    "required": ["frequency"],
}


@extend_schema_field(RECURRENCE_SCHEMA)
class RecurrenceField(serializers.Field):
    """
    ``{"frequency": F, "interval": N}`` or null, kept in the model's two
    ``recurrence_*`` columns. The browsable API's form takes the same JSON.
    """

    default_error_messages = {
        "not_an_object": 'Expected null or {{"frequency": ..., "interval": ...}}.',
        "frequency": f"frequency must be one of {', '.join(Frequency.values)}.",
        "interval": f"interval must be an integer from 1 to {MAX_RECURRENCE_INTERVAL}.",
        "json": "Enter the recurrence as JSON, or leave it empty.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("style", {"placeholder": '{"frequency": "weekly", "interval": 1}'})
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if is_html_form(self) and isinstance(data, str):
            data = self.parse_form_value(data)
        if data is None:
            return {"recurrence_frequency": None, "recurrence_interval": None}
        if not isinstance(data, dict):
            self.fail("not_an_object")
        frequency = data.get("frequency")
        interval = data.get("interval", 1)
        if not isinstance(frequency, str) or frequency not in Frequency.values:
            self.fail("frequency")
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int)
            or not 1 <= interval <= MAX_RECURRENCE_INTERVAL
        ):
            self.fail("interval")
        return {"recurrence_frequency": frequency, "recurrence_interval": interval}

    def parse_form_value(self, text: str):
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.fail("json")

    def to_representation(self, task):
        return task.recurrence


def task_fields() -> dict[str, serializers.Field]:
    """A new set of the task's fields, in the order of its keys."""
    fields = {
        "id": serializers.IntegerField(read_only=True),
        "title": TitleField(),
        "description": StrictCharField(
            max_length=1000,
            required=False,
            allow_null=True,
            allow_blank=True,
            trim_whitespace=False,
            validators=[NO_NUL],
        ),
        "completed": StrictBooleanField(required=False),
        "completed_at": serializers.DateTimeField(read_only=True, allow_null=True),
        "priority": PriorityField(required=False),
        "due_at": OffsetDateTimeField(required=False, allow_null=True),
        "tags": TagsField(required=False),
        "recurrence": RecurrenceField(required=False),
        "next_occurrence_id": serializers.IntegerField(read_only=True, allow_null=True),
        "remind_at": OffsetDateTimeField(required=False, allow_null=True),
        "created_at": serializers.DateTimeField(read_only=True),
        "updated_at": serializers.DateTimeField(read_only=True),
    }
    for name in extra_fields():
        # For the schema: represent_task writes the values (tasks/spellings.py).
        fields[name] = EXTRA_OUTPUT_FIELDS[name]()
    return fields


EXTRA_OUTPUT_FIELDS = {
    "user_id": lambda: serializers.CharField(read_only=True, help_text="The owner's id."),
    "is_completed": lambda: serializers.BooleanField(read_only=True, help_text="= completed"),
    "due_date": lambda: OffsetDateTimeField(read_only=True, allow_null=True, help_text="= due_at"),
    "status": lambda: serializers.ChoiceField(
        ["completed", "pending"], read_only=True, help_text="From completed."
    ),
}

# Other frontends' names for fields, accepted wherever the field is.
ALIASES = {"due_date": "due_at", "is_completed": "completed"}


def with_aliases(fields: dict[str, serializers.Field], data) -> dict[str, serializers.Field]:
    """
    ``fields`` with a field for each alias the body names, so that its errors
    name the alias. Given alone, it reads into the field it stands for; given
    beside that field, it is kept apart (under its own name) for
    check_aliases to compare the two after parsing.
    """
    if not isinstance(data, dict):
        return fields
    for alias, name in ALIASES.items():
        field = fields.get(name)
        if alias not in data or field is None or field.read_only:
            continue
        kwargs = {"required": field.required, "allow_null": field.allow_null}
        if name not in data:
            kwargs["source"] = name
            del fields[name]
        fields[alias] = DueDateField(**kwargs) if alias == "due_date" else type(field)(**kwargs)
    return fields


def check_aliases(attrs: dict) -> dict:
    """A field and its alias given with different values is a 422 naming the alias."""
    for alias, name in ALIASES.items():
        if alias in attrs:
            value = attrs.pop(alias)
            if attrs.get(name) != value:
                raise serializers.ValidationError(
                    {alias: [f"{alias} and {name} differ: give one, or the same value in both."]}
                )
    return attrs


class AcceptsAliases:
    """A serializer that takes ALIASES for its fields."""

    def get_fields(self):
        return with_aliases(super().get_fields(), getattr(self, "initial_data", None))

    def validate(self, attrs):
        return super().validate(check_aliases(attrs))


class TaskSerializer(AcceptsAliases, serializers.Serializer):
    """A task: what every answer that carries one holds, and what a write may change."""

    def get_fields(self):
        # Made anew for each serializer: a ModelSerializer would build them
        # from the model for each request, and a Serializer deep-copies its
        # declared fields, together a fifth of a write's cost (bench/README.md).
        return with_aliases(task_fields(), getattr(self, "initial_data", None))

    def to_representation(self, instance):
        return represent_task(instance)

    def create(self, validated_data):
        owner = validated_data.pop("owner")
        return services.task_insert(owner=owner, data=validated_data)

    def validate(self, attrs):
        """A recurring task needs a due date, whichever of the two this request changes."""
        attrs = super().validate(attrs)
        task = self.instance
        if task is None and self.partial:
            # A change of a task not read: its write checks the rule against
            # the stored task (tasks/writes.py), and services.undated names it.
            return attrs
        frequency = attrs.get(
            "recurrence_frequency", task.recurrence_frequency if task is not None else None
        )
        due_at = attrs.get("due_at", task.due_at if task is not None else None)
        if frequency is not None and due_at is None:
            if attrs.get("recurrence_frequency") is not None:
                raise serializers.ValidationError(
                    {"recurrence": ["A recurring task needs a due_at."]}
                )
            # Named as the client named it.
            name = "due_at" if "due_at" in self.initial_data else "due_date"
            raise serializers.ValidationError(
                {name: [f"A recurring task needs a {name}: clear its recurrence first."]}
            )
        return attrs


# The columns the list reads, in the order of the task's keys.
TASK_COLUMNS = [
    "id",
    "title",
    "description",
    "completed",
    "completed_at",
    "priority",
    "due_at",
    "tags",
    "recurrence_frequency",
    "recurrence_interval",
    "next_occurrence_id",
    "remind_at",
    "created_at",
    "updated_at",
    # Not a key of its own: the user_id that TASK_EXTRA_FIELDS may add.
    "owner_id",
]


def format_time(value: datetime | None) -> str | None:
    """As DRF's DateTimeField writes an aware UTC datetime."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def represent_task_row(row: dict) -> dict:
    """TaskSerializer's output for a row of ``Task.objects.values(*TASK_COLUMNS)``."""
    frequency = row["recurrence_frequency"]
    task = {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "completed": row["completed"],
        "completed_at": format_time(row["completed_at"]),
        "priority": row["priority"],
        "due_at": format_time(row["due_at"]),
        "tags": row["tags"],
        "recurrence": None
        if frequency is None
        else {"frequency": frequency, "interval": row["recurrence_interval"]},
        "next_occurrence_id": row["next_occurrence_id"],
        "remind_at": format_time(row["remind_at"]),
        "created_at": format_time(row["created_at"]),
        "updated_at": format_time(row["updated_at"]),
    }
    return add_extra_keys(task, row["owner_id"])


def represent_task(task: Task) -> dict:
    """TaskSerializer's output for a task, without building a serializer for it."""
    return represent_task_row({column: getattr(task, column) for column in TASK_COLUMNS})


class CompletionSerializer(AcceptsAliases, serializers.Serializer):
    """The body of ``PATCH .../complete``: ``completed`` sets, its absence flips."""

    completed = StrictBooleanField(required=False)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: DRF would also take ``"3"``, ``3.0`` or ``true``."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


MAX_BULK_IDS = 100


class BulkCompletionSerializer(AcceptsAliases, serializers.Serializer):
    """The body of ``PATCH /api/tasks``: which tasks, and completed or not."""

    ids = serializers.ListField(child=StrictIntegerField(), min_length=1, max_length=MAX_BULK_IDS)
    completed = StrictBooleanField()

    def validate_ids(self, ids):
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Give each task id once.")
        return ids
