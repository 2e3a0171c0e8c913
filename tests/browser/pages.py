"""Steps through the admin and Swagger UI, shared by the tests and the screenshot script."""

import json

from .chromium import expect

# Swagger UI's ids for the operations of /api/tasks: tag, then operationId.
LIST_TASKS = "#operations-tasks-tasks_list"
CREATE_TASK = "#operations-tasks-tasks_create"


def sign_in_to_admin(page, app):
    page.goto(f"{app.url}/admin/login/?next=/admin/")
    page.fill("#id_username", app.staff.username)
    page.fill("#id_password", app.staff.password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{app.url}/admin/")


def authorize_swagger(page, token):
    """Give Swagger UI a bearer token through its "Authorize" dialog."""
    page.get_by_role("button", name="Authorize").first.click()
    scheme = page.locator(".auth-container", has_text="BetterAuthJWT")
    scheme.locator("input").fill(token)
    scheme.get_by_role("button", name="Apply credentials").click()
    expect(scheme.get_by_role("button", name="Remove authorization")).to_be_visible()
    page.get_by_role("button", name="Close").first.click()


def try_it_out(page, operation, body=None):
    """Open an operation, send it with "Try it out", and return its live response."""
    block = page.locator(operation)
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.get_by_role("button", name="Execute").click()
    return block.locator(".live-responses-table .response")
