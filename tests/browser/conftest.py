"""
Fixtures for the browser tests: one API server under the Procfile's web line
(DEBUG off), stand-in frontend pages on another origin, and one Chromium for
the session; a fresh browser context per test. A failed test leaves a
screenshot and the page's HTML under test-artifacts/browser/, and its report
says where.
"""

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.live import ROOT

from .chromium import VIEWPORT, launch, unavailable_reason
from .frontend import serving_frontend
from .pages import sign_in_to_admin
from .server import running_app

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CONTEXTS = pytest.StashKey[list]()
# Long enough for a slow CI machine, short enough that a broken page fails soon.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    reason = unavailable_reason()
    if not browser_items or reason is None:
        return
    if os.environ.get("BROWSER_REQUIRED") == "1":
        # CI sets this: there a skipped browser test would hide a broken install.
        raise pytest.UsageError(f"browser tests cannot run: {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def frontend():
    with serving_frontend() as page_server:
        yield page_server


@pytest.fixture(scope="session")
def app(frontend):
    with running_app(cors_allowed_origins=frontend.origin) as running:
        yield running


@pytest.fixture(scope="session")
def staff_session(browser, app):
    """The cookies of the staff account, signed in once through the admin's form."""
    context = browser.new_context()
    page = context.new_page()
    sign_in_to_admin(page, app)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def new_context(browser, request):
    """Make browser contexts for this test; they are closed, and on failure kept in pictures."""
    contexts = request.node.stash.setdefault(CONTEXTS, [])

    def make(**options):
        context = browser.new_context(viewport=VIEWPORT, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh context: no cookies, no storage."""
    return new_context().new_page()


@pytest.fixture
def staff_page(new_context, staff_session):
    """A page whose context is signed in as the staff account."""
    return new_context(storage_state=staff_session).new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when == "call":
        saved = save_pages(item)
        if saved:
            report.sections.append(("browser artifacts", "\n".join(map(str, saved))))
    return report


def save_pages(item) -> list:
    pages = [page for context in item.stash.get(CONTEXTS, []) for page in context.pages]
    if not pages:
        return []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.name)
    saved = []
    for number, page in enumerate(pages, start=1):
        stem = ARTIFACTS / (name if number == 1 else f"{name}-{number}")
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content())
        except Exception as error:  # a crashed page must not hide the test's own failure
            saved.append(f"{stem}: not saved ({error})")
            continue
        saved += [f"{stem}.png", f"{stem}.html"]
    return saved


@pytest.fixture
def unique():
    """A short random word, so that a test finds its own rows in the shared database."""
    return secrets.token_hex(4)
