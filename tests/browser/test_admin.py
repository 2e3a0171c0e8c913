"""Staff inspect tasks in the Django admin, served by the production server with DEBUG off."""

import re

import pytest

from .chromium import expect
from .pages import sign_in_to_admin

pytestmark = pytest.mark.browser


@pytest.fixture
def user(app, unique):
    """A Better Auth user of this test, with a token to call the API."""
    email = f"user-{unique}@example.com"
    token = app.token(f"user-{unique}", email=email, name=f"User {unique}")
    return {"id": f"user-{unique}", "email": email, "token": token}


def open_task_list(page, app, query=""):
    page.goto(f"{app.url}/admin/tasks/task/{query}")
    return page.locator("#result_list tbody tr")


def search(page, text):
    page.fill("#searchbar", text)
    page.press("#searchbar", "Enter")


def test_staff_signs_in_to_the_admin_with_its_login_form(page, app):
    sign_in_to_admin(page, app)

    expect(page.locator("#user-tools")).to_contain_text(app.staff.username)
    expect(page.locator("#tasks-task")).to_be_visible()


def test_admin_task_list_shows_a_task_created_through_the_api(staff_page, app, user, unique):
    app.add_task(user["token"], f"Buy milk {unique}")

    rows = open_task_list(staff_page, app)

    row = rows.filter(has_text=f"Buy milk {unique}")
    expect(row.locator(".field-owner_label")).to_have_text(user["email"])
    expect(row.locator(".field-completed img")).to_have_attribute("alt", "False")
    expect(row.locator(".field-created_at")).not_to_be_empty()
    expect(row.locator(".field-updated_at")).not_to_be_empty()


def test_admin_task_list_names_an_owner_without_email_by_id(staff_page, app, unique):
    app.add_task(app.token(f"no-email-{unique}"), f"Anonymous {unique}")

    row = open_task_list(staff_page, app).filter(has_text=f"Anonymous {unique}")

    expect(row.locator(".field-owner_label")).to_have_text(f"no-email-{unique}")


@pytest.mark.parametrize("field", ["title", "description", "owner email", "owner id"])
def test_admin_search_finds_a_task_created_through_the_api(staff_page, app, user, unique, field):
    app.add_task(user["token"], f"Title {unique}", description=f"Details {unique}")
    app.add_task(app.token(f"other-{unique}"), f"Other {unique}")
    searched = {
        "title": f"Title {unique}",
        "description": f"Details {unique}",
        "owner email": user["email"],
        "owner id": user["id"],
    }[field]

    rows = open_task_list(staff_page, app)
    search(staff_page, searched)

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"Title {unique}")


def test_admin_completed_filter_narrows_the_list(staff_page, app, user, unique):
    app.add_task(user["token"], f"Done {unique}", completed=True)
    app.add_task(user["token"], f"Pending {unique}")
    rows = open_task_list(staff_page, app, f"?q={unique}")
    expect(rows).to_have_count(2)

    staff_page.locator("#changelist-filter").get_by_role("link", name="Yes").click()

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"Done {unique}")


def test_admin_date_filter_keeps_a_task_made_today(staff_page, app, user, unique):
    app.add_task(user["token"], f"Today {unique}")
    rows = open_task_list(staff_page, app, f"?q={unique}")

    # The due date has a filter of its own with the same links.
    created = staff_page.locator('#changelist-filter [data-filter-title="created at"]')
    created.get_by_role("link", name="Today").click()

    expect(staff_page).to_have_url(re.compile(r"created_at__gte="))
    expect(rows).to_have_count(1)


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [("mark_completed", False, True), ("mark_pending", True, False)],
)
def test_admin_bulk_action_sets_completed(staff_page, app, user, unique, action, before, after):
    task = app.add_task(user["token"], f"Bulk {unique}", completed=before)
    rows = open_task_list(staff_page, app, f"?q={unique}")

    rows.locator("input.action-select").check()
    staff_page.select_option("select[name=action]", action)
    staff_page.get_by_role("button", name="Go").click()

    expect(staff_page.locator(".messagelist")).to_have_text("1 task(s) updated.")
    expect(rows.locator(".field-completed img")).to_have_attribute("alt", str(after))
    [changed] = app.tasks(user["token"])
    assert changed["completed"] is after
    assert changed["updated_at"] > task["updated_at"]


def test_admin_task_form_takes_the_owner_by_raw_id_and_shows_timestamps_read_only(
    staff_page, app, user, unique
):
    task = app.add_task(user["token"], f"Form {unique}")

    staff_page.goto(f"{app.url}/admin/tasks/task/{task['id']}/change/")

    owner = staff_page.locator("#id_owner")
    expect(owner).to_have_attribute("type", "text")
    expect(owner).to_have_value(user["id"])
    expect(staff_page.locator("#lookup_id_owner")).to_be_visible()
    expect(staff_page.locator("select[name=owner]")).to_have_count(0)
    for field in ("created_at", "updated_at"):
        expect(staff_page.locator(f".field-{field} .readonly")).not_to_be_empty()
        expect(staff_page.locator(f"[name={field}]")).to_have_count(0)


def test_admin_user_list_shows_the_better_auth_id_email_name_and_task_count(
    staff_page, app, user, unique
):
    app.add_task(user["token"], f"One {unique}")
    app.add_task(user["token"], f"Two {unique}")

    staff_page.goto(f"{app.url}/admin/authn/user/?q={user['id']}")

    row = staff_page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".field-id")).to_have_text(user["id"])
    expect(row.locator(".field-email")).to_have_text(user["email"])
    expect(row.locator(".field-name")).to_have_text(f"User {unique}")
    expect(row.locator(".field-date_joined")).not_to_be_empty()
    expect(row.locator(".field-task_count")).to_have_text("2")
