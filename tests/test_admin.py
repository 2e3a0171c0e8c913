"""The admin, as staff use it; tests/browser drives the same pages in Chromium."""

import threading

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction
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


def change_form(admin_client, task, **changes):
    """The admin's change form of the task as a browser would post it, with ``changes``."""
    form = admin_client.get(f"/admin/tasks/task/{task.pk}/change/").context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        # BoundField.value() is already prepared for the widget.
        value = field.prepare_value(changes[name]) if name in changes else form[name].value()
        if hasattr(field.widget, "decompress"):  # the split date and time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else part
        elif value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


@pytest.fixture
def weekly(add_task):
    from datetime import UTC, datetime

    return add_task(
        "alice-id",
        "Weekly",
        due_at=datetime(2026, 12, 4, 17, tzinfo=UTC),
        recurrence_frequency="weekly",
        recurrence_interval=1,
    )


def test_completing_a_recurring_task_in_its_change_form_makes_its_next_occurrence(
    admin_client, weekly
):
    from tasks.models import Task

    data = change_form(admin_client, weekly, completed=True)
    response = admin_client.post(f"/admin/tasks/task/{weekly.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    weekly.refresh_from_db()
    assert weekly.completed and weekly.next_occurrence is not None
    assert Task.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one at a time")
def test_a_change_form_completion_waits_for_an_api_completion_under_way(admin_client, weekly):
    """Both complete the task at once: one next occurrence, not two."""
    from tasks import services
    from tasks.models import Task

    data = change_form(admin_client, weekly, completed=True)
    holding, release = threading.Event(), threading.Event()

    def api_completion():
        # The API's complete, held open before its commit.
        try:
            with transaction.atomic():
                services.task_complete(
                    owner_id=weekly.owner_id, task_id=weekly.pk, data={"completed": True}
                )
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    other = threading.Thread(target=api_completion)
    other.start()
    assert holding.wait(10)
    threading.Timer(0.5, release.set).start()
    response = admin_client.post(f"/admin/tasks/task/{weekly.pk}/change/", data)
    other.join()
    assert response.status_code == 302
    assert Task.objects.count() == 2
    weekly.refresh_from_db()
    assert Task.objects.exclude(pk=weekly.pk).get().pk == weekly.next_occurrence_id
