from django.conf import settings
from django.db import transaction
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Task
from .pagination import paging_headers
from .query import filter_tasks, parse_task_query, sort_tasks
from .schema import LIST_PARAMETERS, PAGING_HEADERS, TAG_COUNTS, TASK_ID
from .serializers import TASK_COLUMNS, CompletionSerializer, TaskSerializer, represent_task_row
from .tag_counts import tag_counts

# Task ids are 64-bit; a longer number names no task (and must not reach SQL).
MAX_TASK_ID = 2**63 - 1


class PathUserIsCaller(permissions.BasePermission):
    """In ``/api/{user_id}/...`` the user id must be the token's ``sub``."""

    message = "The user id in the path is not yours."

    def has_permission(self, request, view):
        user_id = view.kwargs.get("user_id")
        return user_id is None or user_id == request.user.pk


@extend_schema_view(
    list=extend_schema(
        summary="The caller's tasks",
        parameters=[*LIST_PARAMETERS, *PAGING_HEADERS],
    ),
    create=extend_schema(summary="Add a task"),
    retrieve=extend_schema(summary="One task", parameters=[TASK_ID]),
    update=extend_schema(
        summary="Change a task (fields left out keep their values)",
        parameters=[TASK_ID],
        request=TaskSerializer(partial=True),
    ),
    partial_update=extend_schema(summary="Change a task", parameters=[TASK_ID]),
    destroy=extend_schema(summary="Delete a task", parameters=[TASK_ID]),
    complete=extend_schema(
        summary="Flip completed, or set it",
        parameters=[TASK_ID],
        request=CompletionSerializer,
        responses=TaskSerializer,
    ),
)
class TaskViewSet(viewsets.ModelViewSet):
    """The signed-in user's tasks."""

    serializer_class = TaskSerializer
    permission_classes = [permissions.IsAuthenticated, PathUserIsCaller]
    # Any id reaches get_object(), so that a non-integer one is a 404 after auth.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Task.objects.filter(owner=self.request.user)

    def get_object(self, for_update=False):
        task_id = parse_task_id(self.kwargs["pk"])
        tasks = self.get_queryset()
        if for_update:
            tasks = tasks.select_for_update()
        try:
            task = tasks.get(pk=task_id)
        except Task.DoesNotExist:
            if not settings.TASKS_HIDE_FOREIGN and Task.objects.filter(pk=task_id).exists():
                raise PermissionDenied("This task belongs to another user.") from None
            raise NotFound("No such task.") from None
        self.check_object_permissions(self.request, task)
        return task

    def list(self, request, *args, **kwargs):
        query = parse_task_query(request.query_params)
        tasks = sort_tasks(filter_tasks(self.get_queryset(), query), query.sort)
        # Most of the traffic: plain rows, formatted as TaskSerializer would,
        # cost half as much as model instances and a serializer (bench/README.md).
        rows = tasks.values(*TASK_COLUMNS)
        offset = query.offset or 0
        if query.limit is None and query.offset is None:
            page = list(rows)
            total = len(page)
        else:
            # Paging: the count only now, and no query for an offset past the end.
            total = rows.count()
            end = offset + query.limit if query.limit is not None else None
            page = list(rows[offset:end]) if offset < total else []
        headers = paging_headers(request, total=total, offset=offset, limit=query.limit)
        return Response([represent_task_row(row) for row in page], headers=headers)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def update(self, request, *args, **kwargs):
        # PUT is partial too: the fields left out keep their values. The row is
        # locked, so that two completions at once make one next occurrence.
        with transaction.atomic():
            task = self.get_object(for_update=True)
            serializer = self.get_serializer(task, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            services.task_update(task=task, changes=serializer.validated_data)
        return Response(self.get_serializer(task).data)

    def perform_destroy(self, instance):
        with transaction.atomic():
            services.task_delete(task=instance)

    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        """Flip ``completed``, or set it when the body says ``{"completed": true/false}``."""
        with transaction.atomic():
            task = self.get_object(for_update=True)
            body = CompletionSerializer(data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            completed = body.validated_data.get("completed", not task.completed)
            services.task_set_completed(task=task, completed=completed)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


class UserPathSchema(AutoSchema):
    def get_operation_id(self):
        return f"user_{super().get_operation_id()}"


class UserPathTaskViewSet(TaskViewSet):
    """The same tasks under ``/api/{user_id}/tasks``, the path many frontends call."""

    schema = UserPathSchema()


class TagsView(APIView):
    """The caller's tags, each with the number of the caller's tasks that carry it."""

    permission_classes = [permissions.IsAuthenticated, PathUserIsCaller]

    @extend_schema(summary="The caller's tags with their task counts", responses=TAG_COUNTS)
    def get(self, request, *args, **kwargs):
        return Response(tag_counts(request.user))


class UserPathTagsView(TagsView):
    schema = UserPathSchema()


def parse_task_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_TASK_ID:
        raise NotFound("No such task.")
    return int(value)
