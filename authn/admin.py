from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from .models import User


class StaffCreationForm(BaseUserCreationForm):
    """Staff sign in with a username; Better Auth users are never made here."""

    class Meta:
        model = User
        fields = ("username", "email")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = StaffCreationForm
    list_display = ("id", "email", "name", "date_joined", "task_count", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("id", "email", "name", "username")
    ordering = ("-date_joined",)
    readonly_fields = ("id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "name")}),
        ("Staff sign-in", {"fields": ("username", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )

    def get_queryset(self, request):
        # One query for the count column, not one per row.
        return super().get_queryset(request).annotate(task_total=Count("tasks"))

    @admin.display(description="tasks", ordering="task_total")
    def task_count(self, user):
        """The count, linking to this user's tasks: the admin's filter by owner."""
        url = reverse("admin:tasks_task_changelist")
        return format_html('<a href="{}?owner__id__exact={}">{}</a>', url, user.pk, user.task_total)
