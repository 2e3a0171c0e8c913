from django.conf import settings
from django.db import transaction
from django.db.models import Q
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from .models import Task
from .pagination import paging_headers
from .serializers import (
    CompletionSerializer,
    TaskListQuerySerializer,
    TaskSerializer,
    represent_task_row,
)

# Task ids are 64-bit; a longer number names no task (and must not reach SQL).
MAX_TASK_ID = 2**63 - 1


class PathUserIsCaller(permissions.BasePermission):
    """In ``/api/{user_id}/tasks...`` the user id must be the token's ``sub``."""

    message = "The user id in the path is not yours."

    def has_permission(self, request, view):
        user_id = view.kwargs.get("user_id")
        return user_id is None or user_id == request.user.pk


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

TASK_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The task's id."
)


@extend_schema_view(
    list=extend_schema(
        summary="The caller's tasks",
        parameters=[TaskListQuerySerializer, *PAGING_HEADERS],
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
        query = parse_list_query(request)
        # Most of the traffic: plain rows, formatted as TaskSerializer would,
        # cost half as much as model instances and a serializer (bench/README.md).
        tasks = filter_tasks(self.get_queryset(), query).values(*TaskSerializer.Meta.fields)
        limit = query.get("limit")
        offset = query.get("offset", 0)
        if limit is None and "offset" not in query:
            page = list(tasks)
            total = len(page)
        else:
            # Paging: the count only now, and no query for an offset past the end.
            total = tasks.count()
            end = offset + limit if limit is not None else None
            page = list(tasks[offset:end]) if offset < total else []
        headers = paging_headers(request, total=total, offset=offset, limit=limit)
        return Response([represent_task_row(row) for row in page], headers=headers)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def update(self, request, *args, **kwargs):
        # PUT is partial too: the fields left out keep their values.
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        """Flip ``completed``, or set it when the body says ``{"completed": true/false}``."""
        with transaction.atomic():
            task = self.get_object(for_update=True)
            body = CompletionSerializer(data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            completed = body.validated_data.get("completed", not task.completed)
            if completed != task.completed:
                task.completed = completed
                task.save(update_fields=["completed"])
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


class UserPathSchema(AutoSchema):
    def get_operation_id(self):
        return f"user_{super().get_operation_id()}"


class UserPathTaskViewSet(TaskViewSet):
    """The same tasks under ``/api/{user_id}/tasks``, the path many frontends call."""

    schema = UserPathSchema()


def parse_task_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_TASK_ID:
        raise NotFound("No such task.")
    return int(value)


def parse_list_query(request) -> dict:
    params = request.query_params
    serializer = TaskListQuerySerializer(data=params.dict())
    repeated = [name for name in serializer.fields if len(params.getlist(name)) > 1]
    if repeated:
        raise ValidationError({name: ["Give this parameter once."] for name in repeated})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def filter_tasks(tasks, query: dict):
    if query["status"] == "pending":
        tasks = tasks.filter(completed=False)
    elif query["status"] == "completed":
        tasks = tasks.filter(completed=True)
    search = query.get("search")
    if search:
        tasks = tasks.filter(Q(title__icontains=search) | Q(description__icontains=search))
    sort = query["sort"]
    # Ties break by id, in the direction of the sort.
    tiebreak = "-id" if sort.startswith("-") else "id"
    return tasks.order_by(sort, tiebreak)
