"""
A frontend page on another origin calls the API with fetch and a bearer token,
as a Next.js app with Better Auth does; the browser enforces CORS.
"""

import json
from urllib.parse import urlencode

import pytest

from .chromium import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def token(app, unique):
    """A token for a user of this test alone."""
    return app.token(f"cors-{unique}")


def open_frontend(page, origin, **params):
    """Load the page, let its script call the API, and return what it found."""
    page.goto(f"{origin}/#{urlencode(params)}")
    outcome = page.locator("#outcome")
    expect(outcome).not_to_have_text("pending")
    return json.loads(outcome.inner_text())


def test_a_page_on_the_allowed_origin_reads_the_callers_tasks(page, app, frontend, token, unique):
    app.add_task(token, f"Cross-origin {unique}")

    outcome = open_frontend(page, frontend.origin, api=app.url, token=token)

    # An Authorization header is not CORS-safelisted, so the browser sent a preflight first.
    assert outcome == {
        "ok": True,
        "status": 200,
        "total": "1",
        "titles": [f"Cross-origin {unique}"],
    }


def test_a_page_on_the_allowed_origin_posts_json(page, app, frontend, token, unique):
    outcome = open_frontend(
        page, frontend.origin, api=app.url, token=token, title=f"Posted {unique}"
    )

    assert outcome["titles"] == [f"Posted {unique}"]


def test_a_page_on_another_origin_is_blocked_by_the_browser(page, app, frontend, token, unique):
    app.add_task(token, f"Private {unique}")

    outcome = open_frontend(
        page, frontend.other_origin, api=app.url, token=token, title=f"Forged {unique}"
    )

    assert outcome == {"ok": False, "error": "TypeError: Failed to fetch"}
    # The preflight failed, so the POST never reached the API.
    assert [task["title"] for task in app.tasks(token)] == [f"Private {unique}"]


def test_a_page_on_the_allowed_origin_sends_and_reads_the_safe_write_headers(
    page, app, frontend, token, unique
):
    outcome = open_frontend(
        page, frontend.origin, api=app.url, token=token, safe=f"Safe {unique}", key=unique
    )

    assert outcome == {
        "ok": True,
        "statuses": [201, 201, 412, 200],
        "replayed": "true",
        "same_etag": True,
        "stale_etag_is_current": True,
    }
    assert [task["title"] for task in app.tasks(token)] == [f"Safe {unique} renamed"]
