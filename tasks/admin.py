from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from events import outbox

from . import services
from .models import Task
from .tag_counts import popular_tags


class TagFilter(admin.SimpleListFilter):
    """Tasks carrying one tag, chosen among the most used ones."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(tag, tag) for tag in popular_tags(limit=30)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__has_all_tags=[self.value()])
        return queryset


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner_label",
        "completed",
        "priority",
        "due_at",
        "remind_at",
        "tag_list",
        "created_at",
        "updated_at",
    )
    # No "by owner" sidebar: it would list every user with a task. The owner
    # filter is reached from the users' task counts (?owner__id__exact=...).
    list_filter = ("completed", "priority", "due_at", TagFilter, "created_at")
    search_fields = ("title", "description", "owner__email", "owner__id")
    list_select_related = ("owner",)
    # Never a dropdown of every user: there may be a great many.
    raw_id_fields = ("owner",)
    readonly_fields = ("completed_at", "next_occurrence", "created_at", "updated_at")
    date_hierarchy = "created_at"
    actions = ("mark_completed", "mark_pending")

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "owner__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="owner", ordering="owner__email")
    def owner_label(self, task):
        return task.owner.email or task.owner.pk

    @admin.display(description="tags")
    def tag_list(self, task):
        return ", ".join(task.tags)

    @admin.action(description="Mark selected tasks as completed")
    def mark_completed(self, request, queryset):
        self.set_completed(request, queryset, True)

    @admin.action(description="Mark selected tasks as pending")
    def mark_pending(self, request, queryset):
        self.set_completed(request, queryset, False)

    def set_completed(self, request, queryset, completed):
        # Through the same write as the API, so that recurring tasks recur.
        changed = 0
        with transaction.atomic():
            for task_id, owner_id in queryset.exclude(completed=completed).values_list(
                "pk", "owner_id"
            ):
                services.task_complete(
                    owner_id=owner_id, task_id=task_id, data={"completed": completed}
                )
                changed += 1
        self.message_user(request, f"{changed} task(s) updated.")

    def save_model(self, request, obj, form, change):
        # The owner's change lock first, as every API write takes it (the
        # admin's view holds a transaction until the response).
        change_seq = services.reserve(obj.owner_id)
        now = timezone.now()
        if not change or "remind_at" in form.changed_data:
            obj.arm_reminder(now)
        completing = obj.completed and (not change or "completed" in form.changed_data)
        occurrence = None
        if change and completing:
            # Read again under the lock: a completion through the API, under
            # way while the form was read, may have made the occurrence.
            obj.next_occurrence_id = (
                Task.objects.filter(pk=obj.pk).values_list("next_occurrence_id", flat=True).get()
            )
            occurrence = services.make_next_occurrence(obj)
        obj.save(change_seq=change_seq)
        outbox.task_changed(obj, created=not change, completed=change and completing)
        if occurrence is not None:
            outbox.task_changed(occurrence, created=True)

    def delete_model(self, request, obj):
        # Through the API's delete: a tombstone for the changes feed, and the
        # task it recurred from unlinked.
        with transaction.atomic():
            services.reserve(obj.owner_id, 0)
            services.delete_tasks(obj.owner_id, [obj.pk])

    def delete_queryset(self, request, queryset):
        owners = {}
        for task_id, owner_id in queryset.values_list("pk", "owner_id"):
            owners.setdefault(owner_id, []).append(task_id)
        with transaction.atomic():
            for owner_id, task_ids in owners.items():
                services.reserve(owner_id, 0)
                services.delete_tasks(owner_id, task_ids)
