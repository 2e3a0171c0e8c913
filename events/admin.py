import json

from django.contrib import admin
from django.utils.html import format_html

from .models import Event, EventState, Lane


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox as staff inspect it: what was delivered, what waits, what died and why."""

    list_display = (
        "time",
        "type",
        "task_id",
        "owner_id",
        "sequence",
        "state",
        "attempts",
        "short_error",
    )
    list_filter = ("state", "type", "time")
    search_fields = ("=owner_id",)
    ordering = ("-id",)
    # Counting every event of the retention period on each page costs a scan.
    show_full_result_count = False
    fields = (
        "event_id",
        "type",
        "owner_id",
        "task_id",
        "sequence",
        "time",
        "state",
        "attempts",
        "last_error",
        "dead_sinks",
        "retry_at",
        "delivered_at",
        "cloudevent",
    )
    readonly_fields = fields
    actions = ("retry",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Events are facts: they are read, retried or deleted, never edited.
        return False

    @admin.display(description="last error")
    def short_error(self, event):
        return event.last_error[:80]

    @admin.display(description="as delivered (CloudEvents JSON)")
    def cloudevent(self, event):
        pretty = json.dumps(json.loads(event.to_cloudevent()), indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", pretty)

    @admin.action(description="Retry the selected dead events")
    def retry(self, request, queryset):
        count = queryset.filter(state=EventState.DEAD).update(
            state=EventState.RETRY, attempts=0, retry_at=None
        )
        self.message_user(
            request, f"{count} dead event(s) will be sent again to the sinks that gave up on them."
        )


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    """Where each sink is in each owner's events, and what holds it up."""

    list_display = ("sink", "owner_id", "sequence", "failures", "retry_at", "last_error")
    list_filter = ("sink",)
    search_fields = ("=owner_id",)
    readonly_fields = (
        "sink",
        "owner_id",
        "sequence",
        "event",
        "failures",
        "retry_at",
        "last_error",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
