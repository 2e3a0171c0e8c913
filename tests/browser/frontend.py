"""
A stand-in for the browser frontend: one static page, served on a loopback
port, that calls the API from its own origin.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = (Path(__file__).parent / "frontend.html").read_bytes()


class PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

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
