"""
Take the README's pictures: the admin's task list and Swagger UI after "Try it out"
on GET /api/tasks, from the API under the production server with DEBUG off and a few sample tasks.

    .venv/bin/python scripts/screenshots.py

Needs what the browser tests need: playwright and Debian's /usr/bin/chromium.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import VIEWPORT, expect, launch, unavailable_reason  # noqa: E402
from tests.browser.pages import (  # noqa: E402
    LIST_TASKS,
    authorize_swagger,
    sign_in_to_admin,
    try_it_out,
)
from tests.browser.server import running_app  # noqa: E402

OUTPUT = ROOT / "docs" / "screenshots"

SAMPLE_TASKS = {
    ("alice-id", "alice@example.com", "Alice"): [
        ("Buy milk", "2 litres, semi-skimmed", False),
        ("Book the dentist", None, True),
        ("Renew the passport", "Photos first", False),
    ],
    ("bob-id", "bob@example.com", "Bob"): [
        ("Water the plants", None, True),
        ("Write the quarterly report", "Due Friday", False),
    ],
    ("k3Jm9QzL0pXw", "", ""): [
        ("Try the API from Swagger UI", None, False),
    ],
}


def main():
    reason = unavailable_reason()
    if reason:
        sys.exit(f"cannot take screenshots: {reason}")
    # Imported here, so that without playwright the message above says what to install.
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with running_app() as app, sync_playwright() as playwright:
        alice_token = add_sample_tasks(app)
        browser = launch(playwright)
        try:
            admin_task_list(browser, app, OUTPUT / "admin-tasks.png")
            swagger_ui(browser, app, alice_token, OUTPUT / "swagger-ui.png")
        finally:
            browser.close()
    print(f"saved in {OUTPUT.relative_to(ROOT)}/")


def add_sample_tasks(app) -> str:
    """Create the sample tasks through the API; return Alice's token."""
    tokens = {}
    for (user_id, email, name), tasks in SAMPLE_TASKS.items():
        tokens[user_id] = app.token(user_id, email=email, name=name)
        for title, description, completed in tasks:
            app.add_task(tokens[user_id], title, description=description, completed=completed)
    return tokens["alice-id"]


def admin_task_list(browser, app, path):
    page = browser.new_page(viewport=VIEWPORT)
    sign_in_to_admin(page, app)
    page.goto(f"{app.url}/admin/tasks/task/")
    # Without the side navigation every column fits the width.
    page.click("#toggle-nav-sidebar")
    expect(page.locator("#result_list")).to_be_visible()
    page.screenshot(path=path)
    page.close()


def swagger_ui(browser, app, token, path):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{app.url}/docs")
    authorize_swagger(page, token)
    response = try_it_out(page, LIST_TASKS)
    expect(response.locator(".response-col_status")).to_have_text("200")
    # The request with its bearer token at the top, the 200 and the tasks below it.
    page.locator(f"{LIST_TASKS} .responses-inner").evaluate("element => element.scrollIntoView()")
    page.screenshot(path=path)
    page.close()


if __name__ == "__main__":
    main()
