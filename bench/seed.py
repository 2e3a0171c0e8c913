"""
Seeds the benchmark's users through the API, as a frontend would.

Mints one HS256 token per user with PyJWT (as a Next.js route signs them),
creates each user's tasks with POST /api/tasks over keep-alive connections from
a pool of threads, completes every third with PATCH /api/tasks/{id}/complete,
and writes one line per user, "<token> <task id> ...", for the wrk scripts to
read. Only requests that the seed design's API answers too are used (its POST
takes a title and a description, nothing else), so both servers get the same
data the same way.

    python bench/seed.py --base-url http://127.0.0.1:8000 --secret S --out users.txt
"""

import argparse
import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import jwt


def mint_token(secret: str, user_id: str, lifetime: int) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "email": f"{user_id}@example.com",
        "name": f"Bench {user_id}",
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class Client:
    """One keep-alive connection per thread; reconnects if the server closed it."""

    local = threading.local()

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80

    def send(self, method: str, path: str, token: str, body: dict) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        for attempt in range(3):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.local.connection = connection
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def seed_user(client: Client, token: str, number: int, tasks: int) -> list[int]:
    ids = []
    for k in range(tasks):
        body = {"title": f"Task {k + 1} of user {number}", "description": "seeded"}
        status, raw = client.send("POST", "/api/tasks", token, body)
        if status != 201:
            raise RuntimeError(f"POST /api/tasks answered {status}: {raw[:200]!r}")
        task_id = json.loads(raw)["id"]
        if k % 3 == 0:
            path = f"/api/tasks/{task_id}/complete"
            status, raw = client.send("PATCH", path, token, {"completed": True})
            if status != 200:
                raise RuntimeError(f"PATCH {path} answered {status}: {raw[:200]!r}")
        ids.append(task_id)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--secret", required=True, help="the server's BETTER_AUTH_SECRET")
    parser.add_argument("--out", required=True, help="file to write the users to")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=20, help="tasks per user")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--token-lifetime", type=int, default=3 * 3600, help="seconds")
    args = parser.parse_args()

    client = Client(args.base_url)
    tokens = [
        mint_token(args.secret, f"bench-user-{n:04d}", args.token_lifetime)
        for n in range(args.users)
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        results = list(
            pool.map(lambda n: seed_user(client, tokens[n], n, args.tasks), range(args.users))
        )
    elapsed = time.monotonic() - started
    with open(args.out, "w") as out:
        for token, ids in zip(tokens, results, strict=True):
            out.write(" ".join([token, *map(str, ids)]) + "\n")
    made = args.users * args.tasks
    completed = args.users * len(range(0, args.tasks, 3))
    print(
        f"seeded {args.users} users x {args.tasks} tasks = {made} POSTs "
        f"and {completed} PATCHes in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
