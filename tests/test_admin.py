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
