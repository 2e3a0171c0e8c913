from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_label", "completed", "created_at", "updated_at")
    # No "by owner" sidebar: it would list every user with a task. The owner
    # filter is reached from the users' task counts (?owner__id__exact=...).
    list_filter = ("completed", "created_at")
    search_fields = ("title", "description", "owner__email", "owner__id")
    list_select_related = ("owner",)
    # Never a dropdown of every user: there may be a great many.
    raw_id_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    actions = ("mark_completed", "mark_pending")

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "owner__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="owner", ordering="owner__email")
    def owner_label(self, task):
        return task.owner.email or task.owner.pk

    @admin.action(description="Mark selected tasks as completed")
    def mark_completed(self, request, queryset):
        self.set_completed(request, queryset, True)

    @admin.action(description="Mark selected tasks as pending")
    def mark_pending(self, request, queryset):
        self.set_completed(request, queryset, False)

    def set_completed(self, request, queryset, completed):
        # save() per task, not update(), so that updated_at moves.
        changed = 0
        for task in queryset.exclude(completed=completed):
            task.completed = completed
            task.save(update_fields=["completed"])
            changed += 1
        self.message_user(request, f"{changed} task(s) updated.")
