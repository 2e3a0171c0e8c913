"""
A get-session endpoint over real HTTP on 127.0.0.1, shaped like Better Auth's
``/api/auth/get-session``, for the answers the real one is hard to make give:
errors, rate limits, garbage, a stall. It records what it was asked.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def session_answer(token, user_id="alice-id", expires_in=3600, **user):
    expires = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + expires_in))
    return {
        "session": {"token": token, "userId": user_id, "expiresAt": expires, "id": "s1"},
        "user": {"id": user_id, "email": "alice@example.com", "name": "Alice", **user},
    }


class SessionServer:
    def __init__(self):
        self.sessions: dict[str, dict] = {}
        self.status = 200
        self.body: bytes | None = None  # sent instead of a session when set
        self.delay = 0.0
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                authorization = self.headers.get("Authorization")
                server.requests.append((self.path, authorization))
                time.sleep(server.delay)
                if server.body is not None:
                    body = server.body
                else:
                    token = (authorization or "").partition(" ")[2].partition(".")[0]
                    body = json.dumps(server.sessions.get(token)).encode()
                self.send_response(server.status)
                if 300 <= server.status < 400:
                    self.send_header("Location", f"{server.origin}/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self._server.shutdown()
        self._server.server_close()
