"""A staff account browses /api/tasks in DRF's browsable API, signed in with a session."""

import pytest

from .chromium import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def staff_token(app):
    """A bearer token for the staff account itself, to give it tasks through the API."""
    return app.token(app.staff.id, email=app.staff.email)


def test_staff_signs_in_through_the_api_auth_login_page(page, app):
    page.goto(f"{app.url}/api-auth/login/?next=/api/tasks")
    page.fill("#id_username", app.staff.username)
    page.fill("#id_password", app.staff.password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{app.url}/api/tasks")
    expect(page.locator("h1")).to_have_text("Task List")
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")


def test_browsable_api_lists_only_the_signed_in_users_own_tasks(
    staff_page, app, staff_token, unique
):
    app.add_task(staff_token, f"Staff's own {unique}")
    app.add_task(app.token(f"someone-{unique}"), f"Someone else's {unique}")

    staff_page.goto(f"{app.url}/api/tasks?search={unique}")

    response = staff_page.locator(".response-info")
    expect(response).to_contain_text(f"Staff's own {unique}")
    expect(response).not_to_contain_text(f"Someone else's {unique}")


def test_browsable_api_html_form_creates_a_task(staff_page, app, staff_token, unique):
    staff_page.goto(f"{app.url}/api/tasks")
    form = staff_page.locator("#post-object-form")
    # DRF's form labels carry no "for", so the inputs are found by name.
    form.locator("input[name=title]").fill(f"From the form {unique}")
    form.locator("input[name=description]").fill("typed in a browser")
    form.get_by_role("button", name="POST").click()

    expect(staff_page.locator(".response-info")).to_contain_text("HTTP 201 Created")
    titles = [task["title"] for task in app.tasks(staff_token)]
    assert f"From the form {unique}" in titles


def test_a_session_request_without_the_csrf_token_is_refused(staff_page, app):
    staff_page.goto(f"{app.url}/api/tasks")

    status = staff_page.evaluate(POST_TASK, {"headers": {}})

    assert status == 403


def test_a_bearer_request_needs_no_csrf_token_even_beside_a_session(staff_page, app, staff_token):
    staff_page.goto(f"{app.url}/api/tasks")

    status = staff_page.evaluate(POST_TASK, {"headers": {"Authorization": f"Bearer {staff_token}"}})

    assert status == 201


# A same-origin fetch sends the session cookie; only the headers differ.
POST_TASK = """async ({headers}) => {
    const response = await fetch("/api/tasks", {
        method: "POST",
        headers: {...headers, "Content-Type": "application/json"},
        body: JSON.stringify({title: "Sent with fetch"}),
    });
    return response.status;
}"""
