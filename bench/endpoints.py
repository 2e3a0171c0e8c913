"""
The endpoints bench/roundtrips.py and bench/latency.py measure one request at
a time, each as a function that makes the request from what earlier answers
left (an ETag, a cursor, the id of a task to delete), for the APIs that have
it: the seed design has no PATCH of a task, no Idempotency-Key, no If-Match,
no changes feed and no bulk routes.

Each endpoint writes to its own user's tasks, so that the list stays at the
seeded 20 tasks whatever the writes do, and a `prepare` step, not measured,
makes what a request consumes (a task to delete, completed tasks to clear).
"""

import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

BOTH = ("ours", "seed")
OURS = ("ours",)

# Which seeded user each group of endpoints works on (bench/sidebyside.py seeds them).
READER, EDITOR, CREATOR, BULK, CLEARER = 0, 1, 2, 3, 4
USERS_NEEDED = 5


@dataclass
class Request:
    method: str
    path: str
    user: int
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    expect: int = 200


@dataclass
class Answer:
    status: int
    headers: dict  # names in lower case
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


class Client:
    """One keep-alive HTTP/1.1 connection to one server, as a browser keeps one."""

    def __init__(self, base_url: str, tokens: list[str]):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.tokens = tokens
        self.connection = None

    def send(self, request: Request) -> Answer:
        payload = None if request.body is None else json.dumps(request.body).encode()
        headers = {"Authorization": f"Bearer {self.tokens[request.user]}", **request.headers}
        headers["Accept"] = "application/json"
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.connection.connect()
            started = time.perf_counter()
            try:
                self.connection.request(request.method, request.path, payload, headers)
                response = self.connection.getresponse()
                body = response.read()
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: once more on a new one.
                self.close()
                if attempt:
                    raise
                continue
            seconds = time.perf_counter() - started
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, headers, body, seconds)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class State:
    """What one API's earlier answers left for the next requests."""

    def __init__(self, api: str, task_ids: list[list[int]]):
        self.api = api
        self.task_ids = task_ids
        self.etags: dict[int, str] = {}
        self.cursor: str | None = None
        self.to_delete: list[int] = []
        self.counter = 0
        self.last_key: tuple[str, dict] | None = None
        self.bulk_completed = False

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def seeded(self, user: int, index: int) -> int:
        return self.task_ids[user][index]


def remember_etag(state: State, task_id: int, answer: Answer) -> None:
    etag = answer.headers.get("etag")
    if etag:
        state.etags[task_id] = etag


def created(state: State, answer: Answer) -> None:
    state.to_delete.append(answer.json()["id"])


def new_task_body(state: State) -> dict:
    return {"title": f"Timed task {state.next_number()}", "description": "made one at a time"}


# --- the endpoints: make(state) -> Request; after(state, request, answer) ---


def make_list(state):
    return Request("GET", "/api/tasks", READER)


def make_get(state):
    return Request("GET", f"/api/tasks/{state.seeded(READER, 0)}", READER)


def make_create(state):
    return Request("POST", "/api/tasks", CREATOR, new_task_body(state), expect=201)


def make_create_with_key(state):
    body = new_task_body(state)
    key = f"timed-{time.time_ns()}-{state.counter}"
    state.last_key = (key, body)
    return Request("POST", "/api/tasks", CREATOR, body, {"Idempotency-Key": key}, expect=201)


def make_replay(state):
    key, body = state.last_key
    return Request("POST", "/api/tasks", CREATOR, body, {"Idempotency-Key": key}, expect=201)


def check_replayed(state, request, answer):
    if answer.headers.get("idempotent-replayed") != "true":
        raise RuntimeError("the replay of a create with a key was not a replay")


def prepare_replay(state, send):
    if state.last_key is None:
        answer = send(make_create_with_key(state))
        created(state, answer)


def make_update(method, conditional):
    def make(state):
        task_id = state.seeded(EDITOR, 1 if conditional else 0)
        body = {"title": f"Renamed {state.next_number()}"}
        headers = {}
        if conditional:
            headers["If-Match"] = state.etags[task_id]
        return Request(method, f"/api/tasks/{task_id}", EDITOR, body, headers)

    return make


def prepare_conditional(state, send):
    """An ETag to send: from the last answer about the task, else read now."""
    task_id = state.seeded(EDITOR, 1)
    if task_id not in state.etags:
        answer = send(Request("GET", f"/api/tasks/{task_id}", EDITOR))
        remember_etag(state, task_id, answer)


def after_update(state, request, answer):
    remember_etag(state, int(request.path.rsplit("/", 1)[1]), answer)


def make_toggle(state):
    return Request("PATCH", f"/api/tasks/{state.seeded(EDITOR, 2)}/complete", EDITOR)


def prepare_delete(state, send):
    if not state.to_delete:
        created(state, send(make_create(state)))


def make_delete(state):
    return Request("DELETE", f"/api/tasks/{state.to_delete.pop(0)}", CREATOR, expect=204)


def make_changes(state):
    return Request("GET", "/api/tasks/changes", CREATOR)


def make_changes_with_cursor(state):
    return Request("GET", f"/api/tasks/changes?cursor={quote(state.cursor)}", CREATOR)


def prepare_cursor(state, send):
    if state.cursor is None:
        state.cursor = send(make_changes(state)).json()["cursor"]


def after_changes(state, request, answer):
    state.cursor = answer.json()["cursor"]


def make_bulk(state):
    state.bulk_completed = not state.bulk_completed
    ids = [state.seeded(BULK, k) for k in range(5)]
    return Request("PATCH", "/api/tasks", BULK, {"ids": ids, "completed": state.bulk_completed})


def prepare_clear(state, send):
    """Two completed tasks to clear, so that every clear deletes something."""
    for _ in range(2):
        body = {**new_task_body(state), "completed": True}
        send(Request("POST", "/api/tasks", CLEARER, body, expect=201))


def make_clear(state):
    return Request("DELETE", "/api/tasks?status=completed", CLEARER)


def check_cleared(state, request, answer):
    # The first clear also takes the seeded completed tasks; the later ones the two made.
    if answer.json().get("deleted", 0) < 2:
        raise RuntimeError(f"clear completed deleted {answer.json()}, not the 2 prepared")


@dataclass
class Endpoint:
    name: str
    apis: tuple
    user: int  # whose tasks it reads or writes
    make: object
    prepare: object = None
    after: object = None


def remember_created(state, request, answer):
    created(state, answer)


ENDPOINTS = [
    Endpoint("list (20 tasks)", BOTH, READER, make_list),
    Endpoint("get", BOTH, READER, make_get),
    Endpoint("create", BOTH, CREATOR, make_create, after=remember_created),
    Endpoint(
        "create, Idempotency-Key", OURS, CREATOR, make_create_with_key, after=remember_created
    ),
    Endpoint("create, key replayed", OURS, CREATOR, make_replay, prepare_replay, check_replayed),
    Endpoint("PUT", BOTH, EDITOR, make_update("PUT", False), after=after_update),
    Endpoint(
        "PUT, If-Match", OURS, EDITOR, make_update("PUT", True), prepare_conditional, after_update
    ),
    Endpoint("PATCH", OURS, EDITOR, make_update("PATCH", False), after=after_update),
    Endpoint(
        "PATCH, If-Match",
        OURS,
        EDITOR,
        make_update("PATCH", True),
        prepare_conditional,
        after_update,
    ),
    Endpoint("toggle (/complete)", BOTH, EDITOR, make_toggle),
    Endpoint("delete", BOTH, CREATOR, make_delete, prepare_delete),
    Endpoint("changes, no cursor", OURS, CREATOR, make_changes, after=after_changes),
    Endpoint(
        "changes, cursor", OURS, CREATOR, make_changes_with_cursor, prepare_cursor, after_changes
    ),
    Endpoint("bulk PATCH, 5 ids", OURS, BULK, make_bulk),
    Endpoint("clear completed (2)", OURS, CLEARER, make_clear, prepare_clear, check_cleared),
]


def choose(names: str) -> list[Endpoint]:
    """Endpoints whose name starts with one of the comma-separated words; all for ''."""
    if not names:
        return ENDPOINTS
    wanted = [w.strip().lower() for w in names.split(",") if w.strip()]
    chosen = [e for e in ENDPOINTS if any(e.name.lower().startswith(w) for w in wanted)]
    if not chosen:
        raise SystemExit(f"no endpoint matches {names!r}: {[e.name for e in ENDPOINTS]}")
    return chosen


def call(client: Client, state: State, endpoint: Endpoint) -> tuple[Request, Answer]:
    """One measured request (its prepare step already done); checks the status."""
    request = endpoint.make(state)
    answer = client.send(request)
    if answer.status != request.expect:
        raise RuntimeError(
            f"{state.api}: {endpoint.name}: {request.method} {request.path} answered "
            f"{answer.status}, not {request.expect}: {answer.body[:300]!r}"
        )
    if endpoint.after:
        endpoint.after(state, request, answer)
    return request, answer


def prepare(client: Client, state: State, endpoint: Endpoint) -> None:
    if endpoint.prepare is None:
        return

    def send(request: Request) -> Answer:
        answer = client.send(request)
        if answer.status != request.expect:
            raise RuntimeError(
                f"{state.api}: preparing {endpoint.name}: {request.method} {request.path} "
                f"answered {answer.status}: {answer.body[:300]!r}"
            )
        return answer

    endpoint.prepare(state, send)
