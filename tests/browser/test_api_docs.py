"""Swagger UI at /docs and ReDoc at /redoc, as a developer uses them."""

import pytest

from .chromium import expect
from .pages import CREATE_TASK, LIST_TASKS, authorize_swagger, try_it_out

pytestmark = pytest.mark.browser


@pytest.fixture
def token(app, unique):
    """A token for a user of this test alone."""
    return app.token(f"docs-{unique}")


def test_swagger_ui_lists_the_callers_tasks_with_an_authorized_token(page, app, token, unique):
    app.add_task(token, f"Seen in Swagger {unique}")
    page.goto(f"{app.url}/docs")

    authorize_swagger(page, token)
    response = try_it_out(page, LIST_TASKS)

    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response.locator(".response-col_description")).to_contain_text(
        f"Seen in Swagger {unique}"
    )


def test_swagger_ui_keeps_the_authorization_across_a_reload(page, app, token, unique):
    app.add_task(token, f"After reload {unique}")
    page.goto(f"{app.url}/docs")
    authorize_swagger(page, token)

    page.reload()
    response = try_it_out(page, LIST_TASKS)

    expect(page.locator(".btn.authorize.locked")).to_be_visible()
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response.locator(".response-col_description")).to_contain_text(f"After reload {unique}")


def test_swagger_ui_try_it_out_creates_a_task(page, app, token, unique):
    page.goto(f"{app.url}/docs")
    authorize_swagger(page, token)

    response = try_it_out(page, CREATE_TASK, body={"title": f"Posted from Swagger {unique}"})

    expect(response.locator(".response-col_status")).to_have_text("201")
    assert [task["title"] for task in app.tasks(token)] == [f"Posted from Swagger {unique}"]


def test_swagger_ui_without_a_token_gets_a_401(page, app):
    page.goto(f"{app.url}/docs")

    response = try_it_out(page, LIST_TASKS)

    expect(response.locator(".response-col_status")).to_have_text("401")


def test_redoc_renders_the_api_reference(page, app):
    page.goto(f"{app.url}/redoc")

    expect(page.get_by_role("heading", name="Todo API (1.0.0)")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a task").first).to_be_visible()
