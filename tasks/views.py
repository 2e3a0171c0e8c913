import json

from django.http import HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import idempotency, services, sync
from .conditional import is_not_modified, list_etag, task_etag
from .models import Task
from .pagination import paging_headers
from .query import filter_tasks, parse_task_query
from .rendering import list_page_json
from .schema import (
    BULK_COMPLETION,
    CHANGE_SET,
    CHANGES_PARAMETERS,
    CLEAR_PARAMETERS,
    DELETED_COUNT,
    ETAG,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_NONE_MATCH,
    LIST_ETAG,
    LIST_PARAMETERS,
    PAGING_HEADERS,
    REPLAYED,
    TAG_COUNTS,
    TASK_ID,
)
from .serializers import (
    BulkCompletionSerializer,
    CompletionSerializer,
    TaskSerializer,
    represent_task,
)
from .tag_counts import tag_counts

NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag named is current.")


class PathUserIsCaller(permissions.BasePermission):
    """In ``/api/{user_id}/...`` the user id must be the token's ``sub``."""

    message = "The user id in the path is not yours."

    def has_permission(self, request, view):
        user_id = view.kwargs.get("user_id")
        return user_id is None or user_id == request.user.pk


BULK_ACTIONS = ("bulk_update", "bulk_destroy")


class TaskSchema(AutoSchema):
    # The list path's PATCH and DELETE are bulk actions, not the detail's.
    method_mapping = {**AutoSchema.method_mapping, "bulk-patch": "bulk_update"}
    method_mapping["bulk-delete"] = "bulk_destroy"

    def get_operation_id(self):
        if getattr(self.view, "action", None) in BULK_ACTIONS:
            return "_".join([*self._tokenize_path(), self.view.action])
        return super().get_operation_id()


@extend_schema_view(
    list=extend_schema(
        summary="The caller's tasks",
        parameters=[*LIST_PARAMETERS, IF_NONE_MATCH, *PAGING_HEADERS, LIST_ETAG],
        responses={200: TaskSerializer(many=True), 304: NOT_MODIFIED},
    ),
    create=extend_schema(
        summary="Add a task",
        parameters=[IDEMPOTENCY_KEY, ETAG, REPLAYED],
    ),
    retrieve=extend_schema(
        summary="One task",
        parameters=[TASK_ID, IF_NONE_MATCH, ETAG],
        responses={200: TaskSerializer, 304: NOT_MODIFIED},
    ),
    update=extend_schema(
        summary="Change a task (fields left out keep their values)",
        parameters=[TASK_ID, IF_MATCH, ETAG],
        request=TaskSerializer(partial=True),
    ),
    partial_update=extend_schema(summary="Change a task", parameters=[TASK_ID, IF_MATCH, ETAG]),
    destroy=extend_schema(summary="Delete a task", parameters=[TASK_ID, IF_MATCH]),
    complete=extend_schema(
        summary="Flip completed, or set it",
        parameters=[TASK_ID, IF_MATCH, ETAG],
        request=CompletionSerializer,
        responses=TaskSerializer,
    ),
    bulk_update=extend_schema(
        summary="Mark tasks completed or pending, all or none",
        # The whole body, though a PATCH: not drf-spectacular's partial form.
        request={"application/json": BULK_COMPLETION},
        responses=TaskSerializer(many=True),
    ),
    bulk_destroy=extend_schema(
        summary="Clear the completed tasks (status=completed is required)",
        parameters=CLEAR_PARAMETERS,
        responses={200: DELETED_COUNT},
    ),
    changes=extend_schema(
        summary="What changed since a cursor, for incremental sync",
        parameters=CHANGES_PARAMETERS,
        responses=CHANGE_SET,
    ),
)
class TaskViewSet(viewsets.ModelViewSet):
    """The signed-in user's tasks."""

    serializer_class = TaskSerializer
    permission_classes = [permissions.IsAuthenticated, PathUserIsCaller]
    schema = TaskSchema()
    # Any id reaches get_object(), so that a non-integer one is a 404 after auth.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Task.objects.filter(owner=self.request.user)

    def get_object(self):
        task = services.task_read(owner_id=self.request.user.pk, task_id=self.task_id())
        self.check_object_permissions(self.request, task)
        return task

    def task_id(self) -> int:
        return parse_task_id(self.kwargs["pk"])

    def if_match(self) -> str | None:
        return self.request.headers.get("If-Match")

    def task_response(self, task, status_code=status.HTTP_200_OK) -> Response:
        # As TaskSerializer writes it (tests/test_rendering.py), for less.
        data = represent_task(task)
        return Response(data, status=status_code, headers={"ETag": task_etag(task)})

    def list(self, request, *args, **kwargs):
        query = parse_task_query(request.query_params)
        body, total = list_page_json(request.user.pk, query)
        offset = query.offset or 0
        headers = paging_headers(request, total=total, offset=offset, limit=query.limit)
        headers["ETag"] = list_etag(request.user.pk, body, headers)
        if is_not_modified(request, headers["ETag"]):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": headers["ETag"]})
        if isinstance(request.accepted_renderer, JSONRenderer):
            # The body as the database wrote it (tasks/rendering.py).
            return HttpResponse(body, content_type="application/json", headers=headers)
        return Response(json.loads(body), headers=headers)

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        if is_not_modified(request, task_etag(task)):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task_etag(task)})
        return self.task_response(task)

    def create(self, request, *args, **kwargs):
        key = idempotency.key_from(request)
        if key is None:
            task = services.task_create(owner=request.user, data=request.data)
        else:
            task = idempotency.create_once(owner=request.user, key=key, data=request.data)
            if isinstance(task, HttpResponse):
                return task
        return self.task_response(task, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        # PUT is partial too: the fields left out keep their values.
        task = services.task_update(
            owner_id=request.user.pk,
            task_id=self.task_id(),
            data=lambda: request.data,
            if_match=self.if_match(),
        )
        return self.task_response(task)

    def destroy(self, request, *args, **kwargs):
        services.task_delete(
            owner_id=request.user.pk, task_id=self.task_id(), if_match=self.if_match()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        """Flip ``completed``, or set it when the body says ``{"completed": true/false}``."""
        task = services.task_complete(
            owner_id=request.user.pk,
            task_id=self.task_id(),
            data=lambda: request.data,
            if_match=self.if_match(),
        )
        return self.task_response(task)

    def bulk_update(self, request, *args, **kwargs):
        """``{"ids": [...], "completed": bool}``: all of them, in one transaction, or none."""
        body = BulkCompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tasks = services.tasks_set_completed(
            owner_id=request.user.pk,
            task_ids=body.validated_data["ids"],
            completed=body.validated_data["completed"],
        )
        return Response([represent_task(task) for task in tasks])

    def bulk_destroy(self, request, *args, **kwargs):
        """ "Clear completed": the completed tasks, narrowed by the list's other filters."""
        query = parse_task_query(request.query_params)
        if query.status != "completed":
            raise ValidationError(
                {"status": ["Give status=completed: this route deletes completed tasks only."]}
            )
        deleted = services.tasks_clear_completed(
            owner_id=request.user.pk, tasks=filter_tasks(self.get_queryset(), query)
        )
        return Response({"deleted": deleted})

    @action(detail=False, methods=["get"])
    def changes(self, request, *args, **kwargs):
        """The caller's tasks changed and deleted since ``cursor``."""
        params = request.query_params
        repeated = [name for name in ("cursor", "limit") if len(params.getlist(name)) > 1]
        if repeated:
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        limit = sync.parse_limit(params)
        result = sync.change_set(request.user.pk, sync.parse_cursor(params), limit)
        if isinstance(request.accepted_renderer, JSONRenderer):
            return HttpResponse(result.as_json(), content_type="application/json")
        return Response(result.as_dict())


class UserPathSchema(TaskSchema):
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
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= services.MAX_TASK_ID:
        raise NotFound("No such task.")
    return int(value)
