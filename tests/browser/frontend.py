"""
Stand-ins for the browser frontend: static pages, served on a loopback port,
that call the API from their own origin. ``/`` checks what the browser lets
through (CORS, headers); ``/todo`` is a small todo app written the way public
Next.js + Better Auth frontends of this plan are.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).parent
PAGES = {
    "/": (HERE / "frontend.html").read_bytes(),
    "/todo": (HERE / "todo_app.html").read_bytes(),
}


class PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        page = PAGES.get(self.path.partition("?")[0])
        if page is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format, *args):
        pass


@dataclass(frozen=True)
class Frontend:
    port: int

    @property
    def origin(self) -> str:
        """The origin the API allows."""
        return f"http://localhost:{self.port}"

    @property
    def other_origin(self) -> str:
        """The same page on an origin the API does not allow (another host name)."""
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving_frontend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Frontend(port=server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
