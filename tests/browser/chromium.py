"""
Debian's Chromium, driven by Playwright. Playwright never downloads a browser
here: it is pointed at the system one with ``executable_path``.
"""

import importlib.util
import os
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # unavailable_reason() says so; the tests are skipped, or fail in CI
    expect = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium waits on update and sync servers it cannot reach
    # on a closed network, and hangs.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
