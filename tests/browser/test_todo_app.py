"""
A todo app of our own (todo_app.html), written the way public Next.js + Better
Auth frontends of this plan are, on another origin: it sends ``due_date`` and
``is_completed`` and reads ``user_id``, ``is_completed``, ``due_date`` and
``status``, which only TASK_EXTRA_FIELDS puts in the tasks (Contract v3).
"""

from urllib.parse import urlencode

import pytest

from .chromium import expect
from .server import running_app

pytestmark = pytest.mark.browser

EXTRA_FIELDS = "user_id,is_completed,due_date,status"


@pytest.fixture(scope="module")
def app_with_extra_fields(frontend):
    settings = {"TASK_EXTRA_FIELDS": EXTRA_FIELDS}
    with running_app(
        cors_allowed_origins=frontend.origin, settings=settings, with_staff=False
    ) as running:
        yield running


@pytest.fixture
def user_id(unique):
    return f"todo-{unique}"


def open_todo_app(page, frontend, app, user_id):
    """Open the app signed in as ``user_id``, as Better Auth would hand it the session."""
    session = {"api": app.url, "token": app.token(user_id), "user": user_id}
    page.goto(f"{frontend.origin}/todo#{urlencode(session)}")
    expect(page.locator("#total")).not_to_have_text("Loading…")
    return page.locator("#tasks li")


def todays_date(page) -> str:
    """The day the user's browser is in, as its date input writes it."""
    return page.evaluate("() => new Date().toLocaleDateString('en-CA')")


def add_task(page, title, due_date=""):
    page.get_by_label("Title").fill(title)
    page.get_by_label("Due date").fill(due_date)
    page.get_by_role("button", name="Add task").click()
    # The form is cleared once the task is saved and the list fetched again.
    expect(page.get_by_label("Title")).to_have_value("")


def show(page, view):
    page.get_by_role("button", name=view, exact=True).click()


def test_the_app_adds_a_task_due_today_completes_it_and_keeps_it_over_a_reload(
    page, frontend, app_with_extra_fields, user_id, unique
):
    app = app_with_extra_fields
    tasks = open_todo_app(page, frontend, app, user_id)
    today = todays_date(page)
    title = f"Water the plants {unique}"

    add_task(page, title, due_date=today)
    add_task(page, f"Someday {unique}")
    expect(tasks).to_have_count(2)
    show(page, "Today")
    expect(tasks).to_have_count(1)
    task = tasks.filter(has_text=title)
    expect(task.locator(".badge")).to_have_text("pending")

    task.get_by_role("checkbox").check()

    expect(task.locator(".badge")).to_have_text("completed")
    saved = {task["title"]: task for task in app.tasks(app.token(user_id))}[title]
    assert saved["completed"] is True
    assert saved["due_at"] == f"{today}T00:00:00Z"

    page.reload()
    show(page, "Today")
    expect(tasks).to_have_count(1)
    expect(task.locator(".badge")).to_have_text("completed")
    expect(task.get_by_role("checkbox")).to_be_checked()
    expect(page.locator("#error")).to_be_empty()


def test_without_the_setting_the_apps_user_id_filter_hides_every_task(
    page, frontend, app, user_id, unique
):
    """The failure the setting is for: the API has the task, the page shows none."""
    tasks = open_todo_app(page, frontend, app, user_id)
    today = todays_date(page)

    add_task(page, f"Water the plants {unique}", due_date=today)

    expect(page.locator("#total")).to_have_text("1 task")
    expect(tasks).to_have_count(0)
    show(page, "Today")
    expect(tasks).to_have_count(0)
    expect(page.locator("#error")).to_be_empty()
    # The aliases on input need no setting: the due date was kept.
    [saved] = app.tasks(app.token(user_id))
    assert saved["due_at"] == f"{today}T00:00:00Z"
    assert "user_id" not in saved
