"""The admin, as staff use it; tests/browser drives the same pages in Chromium."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from authn.models import User

pytestmark = pytest.mark.django_db


def test_tasks_can_be_filtered_by_owner_from_the_users_task_count(admin_client, add_task):
    add_task("alice-id", "Alices-only-task")
    add_task("bob-id", "Bobs-only-task")
    users = admin_client.get("/admin/authn/user/")
    assert b'href="/admin/tasks/task/?owner__id__exact=alice-id"' in users.content
    tasks = admin_client.get("/admin/tasks/task/", {"owner__id__exact": "alice-id"})
    assert tasks.status_code == 200
    assert b"Alices-only-task" in tasks.content
    assert b"Bobs-only-task" not in tasks.content


def test_the_user_list_costs_the_same_queries_for_many_users(
    admin_client, add_task, django_assert_max_num_queries
):
    for n in range(30):
        add_task(f"user-{n}", f"task {n}")
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/authn/user/").status_code == 200


def test_the_task_list_costs_the_same_queries_for_many_tasks(
    admin_client, add_task, django_assert_max_num_queries
):
    for n in range(30):
        add_task(f"user-{n}", f"task {n}")
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/tasks/task/").status_code == 200


def test_bulk_actions_mark_tasks_completed_and_move_updated_at(admin_client, add_task):
    task = add_task("alice-id")
    before = task.updated_at
    admin_client.post(
        "/admin/tasks/task/",
        {"action": "mark_completed", "_selected_action": [task.pk]},
    )
    task.refresh_from_db()
    assert task.completed is True
    assert task.updated_at > before


def test_view_site_leads_to_the_api_docs(admin_client):
    assert b'href="/docs"' in admin_client.get("/admin/").content


def test_the_task_list_shows_and_filters_by_priority_due_date_and_tag(admin_client, add_task):
    from datetime import UTC, datetime

    add_task("alice-id", "Urgent-one", priority="high", tags=["work", "urgent"])
    add_task(
        "alice-id",
        "Dated-one",
        priority="low",
        tags=["home"],
        due_at=datetime(2026, 12, 5, tzinfo=UTC),
    )
    page = admin_client.get("/admin/tasks/task/")
    assert page.status_code == 200
    for text in (b"Priority", b"Due at", b"work, urgent", b"?tag=urgent", b"?priority__exact=high"):
        assert text in page.content
    by_tag = admin_client.get("/admin/tasks/task/", {"tag": "urgent"}).content
    assert b"Urgent-one" in by_tag and b"Dated-one" not in by_tag
    by_priority = admin_client.get("/admin/tasks/task/", {"priority__exact": "low"}).content
    assert b"Dated-one" in by_priority and b"Urgent-one" not in by_priority
    dated = admin_client.get("/admin/tasks/task/", {"due_at__isnull": "False"}).content
    assert b"Dated-one" in dated and b"Urgent-one" not in dated


def test_completing_a_recurring_task_in_the_admin_makes_its_next_occurrence(admin_client, add_task):
    from datetime import UTC, datetime

    from tasks.models import Task

    task = add_task(
        "alice-id",
        "Weekly",
        due_at=datetime(2026, 12, 4, 17, tzinfo=UTC),
        recurrence_frequency="weekly",
        recurrence_interval=1,
    )
    admin_client.post(
        "/admin/tasks/task/", {"action": "mark_completed", "_selected_action": [task.pk]}
    )
    task.refresh_from_db()
    assert task.next_occurrence.due_at == datetime(2026, 12, 11, 17, tzinfo=UTC)
    assert Task.objects.count() == 2


def test_deleting_an_occurrence_in_the_admin_unlinks_it(admin_client, add_task):
    from tasks.models import Task

    occurrence = add_task("alice-id", "Next")
    task = add_task("alice-id", "Done", completed=True)
    Task.objects.filter(pk=task.pk).update(next_occurrence=occurrence)
    before = Task.objects.get(pk=task.pk).updated_at
    admin_client.post(f"/admin/tasks/task/{occurrence.pk}/delete/", {"post": "yes"})
    task.refresh_from_db()
    assert task.next_occurrence_id is None
    assert task.updated_at > before


def test_an_admin_sign_in_lives_in_the_database_so_any_process_can_read_it(client):
    """Not in a process's memory, nor only in a cache: every instance shares the database."""
    staff = User.objects.create_superuser("staff", "staff@example.com", "a-long-passphrase-1")
    client.post("/admin/login/", {"username": "staff", "password": "a-long-passphrase-1"})
    session_key = client.cookies["sessionid"].value
    assert Session.objects.get(pk=session_key).get_decoded()["_auth_user_id"] == staff.pk
    # A client with nothing but the cookie, as another instance would see it.
    other = Client()
    other.cookies["sessionid"] = session_key
    assert other.get("/admin/").status_code == 200
