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


class TaskSerializer(serializers.ModelSerializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(
        max_length=1000, required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    completed = StrictBooleanField(required=False)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "completed", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class CompletionSerializer(serializers.Serializer):
    """The body of ``PATCH .../complete``: ``completed`` sets, its absence flips."""

    completed = StrictBooleanField(required=False)


SORT_FIELDS = ["-created_at", "created_at", "-updated_at", "updated_at", "title", "-title"]


class TaskListQuerySerializer(serializers.Serializer):
    """The query parameters of the task list: a bad value is a 422, never ignored."""

    status = serializers.ChoiceField(choices=["all", "pending", "completed"], default="all")
    sort = serializers.ChoiceField(choices=SORT_FIELDS, default="-created_at")
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    offset = serializers.IntegerField(required=False, min_value=0)
