from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from .models import Task


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


# What the schema promises must be exactly what is accepted, for clients and
# for fuzzers alike: no NUL anywhere (PostgreSQL cannot store it), and a title
# of 1 to 200 characters once the white space around it is trimmed.
NO_NUL = RegexValidator(r"^[^\x00]*$", "Null characters are not allowed.")
# What str.strip() removes, spelled out: in the ECMA regex dialect of JSON
# Schema, "\s" misses \x1c-\x1f and \x85 and adds \ufeff.
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TITLE_PATTERN = rf"^[{SPACE}]*[^{SPACE}\x00](?:[^\x00]{{0,198}}[^{SPACE}\x00])?[{SPACE}]*$"


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


class TaskSerializer(serializers.ModelSerializer):
    title = TitleField()
    description = StrictCharField(
        max_length=1000,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        validators=[NO_NUL],
    )
    completed = StrictBooleanField(required=False)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "completed", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def update(self, instance, validated_data):
        # Only a real change is written, and only then does updated_at move.
        changed = {
            field: value
            for field, value in validated_data.items()
            if getattr(instance, field) != value
        }
        if changed:
            for field, value in changed.items():
                setattr(instance, field, value)
            instance.save(update_fields=list(changed))
        return instance


def represent_task_row(row: dict) -> dict:
    """
    TaskSerializer's output for a row of ``Task.objects.values(*Meta.fields)``:
    timestamps are aware UTC datetimes, written as DRF writes them ("...Z").
    """
    for field in ("created_at", "updated_at"):
        row[field] = row[field].isoformat().replace("+00:00", "Z")
    return row


class CompletionSerializer(serializers.Serializer):
    """The body of ``PATCH .../complete``: ``completed`` sets, its absence flips."""

    completed = StrictBooleanField(required=False)


SORT_FIELDS = ["-created_at", "created_at", "-updated_at", "updated_at", "title", "-title"]


class QueryIntegerField(serializers.IntegerField):
    """Plain digits only: DRF would also take "1.0" or " 5 "."""

    def to_internal_value(self, data):
        if not (isinstance(data, str) and data.isascii() and data.isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class TaskListQuerySerializer(serializers.Serializer):
    """The query parameters of the task list: a bad value is a 422, never ignored."""

    status = serializers.ChoiceField(choices=["all", "pending", "completed"], default="all")
    sort = serializers.ChoiceField(choices=SORT_FIELDS, default="-created_at")
    # Not trimmed, so that the length limit is the length sent.
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        trim_whitespace=False,
        validators=[NO_NUL],
    )
    limit = QueryIntegerField(required=False, min_value=1, max_value=100)
    offset = QueryIntegerField(required=False, min_value=0)
