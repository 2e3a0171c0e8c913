import json

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import idempotency, services, sync
from .conditional import check_if_match, is_not_modified, list_etag, task_etag
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

# Task ids are 64-bit; a longer number names no task (and must not reach SQL).
MAX_TASK_ID = 2**63 - 1
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
        task_id = parse_task_id(self.kwargs["pk"])
        task = Task.objects.owned(self.request.user.pk, task_id)
        if task is None:
            raise self.missing([task_id])
        self.check_object_permissions(self.request, task)
        return task

    def missing(self, task_ids):
        """403 when one of these ids is another user's task (unless hidden), else 404."""
        if not settings.TASKS_HIDE_FOREIGN and Task.objects.filter(pk__in=task_ids).exists():
            return PermissionDenied("This task belongs to another user.")
        return NotFound("No such task.")

    def get_object_to_write(self):
        """
        The task and a change number for writing it, under the caller's change
        lock taken before the task is read: one writer at a time per user.
        """
        task_id = parse_task_id(self.kwargs["pk"])
        task, change_seq = Task.objects.lock_owned(self.request.user.pk, task_id)
        if task is None:
            raise self.missing([task_id])
        self.check_object_permissions(self.request, task)
        return task, change_seq

    def task_response(self, task, status_code=status.HTTP_200_OK) -> Response:
        # As TaskSerializer writes it (tests/test_rendering.py), for less.
        data = represent_task(task)
        return Response(data, status=status_code, headers={"ETag": task_etag(task)})

    def list(self, request, *args, **kwargs):
        query = parse_task_query(request.query_params)
        offset = query.offset or 0
        if query.limit is None and query.offset is None:
            body, total = list_page_json(request.user.pk, query)
        else:
            # Paging: the count only now, and no query for an offset past the end.
            total = filter_tasks(self.get_queryset(), query).count()
            body = list_page_json(request.user.pk, query)[0] if offset < total else b"[]"
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
        serializer = self.get_serializer(data=request.data)
        if key is None:
            serializer.is_valid(raise_exception=True)
            return self.task_response(serializer.save(owner=request.user), status.HTTP_201_CREATED)
        request_hash = idempotency.digest(request.data)
        with transaction.atomic():
            record, first = idempotency.claim(request.user, key, request_hash)
            if not first:
                return idempotency.replay(record, request_hash)
            # A failure here rolls the claim back with the rest: not remembered.
            serializer.is_valid(raise_exception=True)
            response = self.task_response(
                serializer.save(owner=request.user), status.HTTP_201_CREATED
            )
            idempotency.remember(record, response.status_code, response.data, response["ETag"])
        return response

    def update(self, request, *args, **kwargs):
        # PUT is partial too: the fields left out keep their values.
        with transaction.atomic():
            task, change_seq = self.get_object_to_write()
            check_if_match(request, task_etag(task))
            serializer = self.get_serializer(task, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            services.task_update(
                task=task, changes=serializer.validated_data, change_seq=change_seq
            )
        return self.task_response(task)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            task, _ = self.get_object_to_write()
            check_if_match(request, task_etag(task))
            services.tasks_delete(owner_id=request.user.pk, task_ids=[task.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        """Flip ``completed``, or set it when the body says ``{"completed": true/false}``."""
        with transaction.atomic():
            task, change_seq = self.get_object_to_write()
            check_if_match(request, task_etag(task))
            body = CompletionSerializer(data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            completed = body.validated_data.get("completed", not task.completed)
            services.task_set_completed(task=task, completed=completed, change_seq=change_seq)
        return self.task_response(task)

    def bulk_update(self, request, *args, **kwargs):
        """``{"ids": [...], "completed": bool}``: all of them, in one transaction, or none."""
        body = BulkCompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids, completed = body.validated_data["ids"], body.validated_data["completed"]
        with transaction.atomic():
            first = services.reserve(request.user.pk, len(ids))
            found = {
                task.pk: task
                for task in self.get_queryset().filter(
                    pk__in=[i for i in ids if 0 < i <= MAX_TASK_ID]
                )
            }
            missing = [task_id for task_id in ids if task_id not in found]
            if missing:
                raise self.missing([i for i in missing if 0 < i <= MAX_TASK_ID])
            for number, task_id in enumerate(ids, start=first):
                services.task_set_completed(
                    task=found[task_id], completed=completed, change_seq=number
                )
        tasks = [found[task_id] for task_id in ids]
        return Response(
            TaskSerializer(tasks, many=True, context=self.get_serializer_context()).data
        )

    def bulk_destroy(self, request, *args, **kwargs):
        """ "Clear completed": the completed tasks, narrowed by the list's other filters."""
        query = parse_task_query(request.query_params)
        if query.status != "completed":
            raise ValidationError(
                {"status": ["Give status=completed: this route deletes completed tasks only."]}
            )
        with transaction.atomic():
            services.reserve(request.user.pk, 0)
            task_ids = list(filter_tasks(self.get_queryset(), query).values_list("pk", flat=True))
            deleted = services.tasks_delete(owner_id=request.user.pk, task_ids=task_ids)
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
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_TASK_ID:
        raise NotFound("No such task.")
    return int(value)
