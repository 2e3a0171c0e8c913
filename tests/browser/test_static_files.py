"""With DEBUG off under the production server, every page has its CSS and JavaScript (WhiteNoise)."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "kinds"),
    [
        ("/admin/tasks/task/", {"css", "js"}),
        ("/api/tasks", {"css", "js"}),
        ("/docs", {"css", "js"}),
        # ReDoc's bundle carries its styles.
        ("/redoc", {"js"}),
    ],
)
def test_every_page_gets_its_css_and_javascript_with_debug_off(staff_page, app, path, kinds):
    requests = []
    staff_page.on("requestfinished", lambda request: requests.append(request))
    staff_page.on("requestfailed", lambda request: requests.append(request))

    staff_page.goto(f"{app.url}{path}", wait_until="networkidle")

    static = {
        request.url.removeprefix(app.url): status_of(request)
        for request in requests
        if request.url.startswith(f"{app.url}/static/")
    }
    assert {url.rsplit(".", 1)[-1] for url in static} >= kinds, static
    assert set(static.values()) == {200}, static


def status_of(request):
    response = request.response()
    return response.status if response else request.failure
