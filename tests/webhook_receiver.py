"""
A webhook receiver over real HTTP on 127.0.0.1, as a Next.js route handler
would be: it checks every delivery's Standard Webhooks signature with the
``standardwebhooks`` package (a bad one is a 401, and a test failure), keeps
what it took, and fails on purpose when told to.
"""

import base64
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookReceiver:
    def __init__(self, secret: str | None = None):
        self.secret = secret or new_secret()
        self.verifier = Webhook(self.secret)
        self.lock = threading.Lock()
        # Every delivery it answered 2xx, in the order taken: (headers, event).
        self.taken: list[tuple[dict, dict]] = []
        self.refused_signatures = 0
        self.connections: set[int] = set()
        # Set by tests: the status of the next answers, an answer's delay, or
        # a function of the event that says whether to fail it.
        self.fail_next = 0
        self.fail_status = 500
        self.delay = 0.0
        self.fail_when = None
        # Close each connection after answering, without saying so first.
        self.hang_up = False
        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/webhooks/tasks"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def events(self) -> list[dict]:
        with self.lock:
            return [event for _, event in self.taken]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, headers: dict, body: bytes, connection_id: int) -> int:
        """The status for one delivery."""
        try:
            event = self.verifier.verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.refused_signatures += 1
            return 401
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.connections.add(connection_id)
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_status
            if self.fail_when is not None and self.fail_when(event):
                return self.fail_status
            self.taken.append((headers, event))
        return 204

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.paths.append(self.path)
                status = receiver.answer(headers, body, id(self.connection))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if receiver.hang_up:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        return Handler
