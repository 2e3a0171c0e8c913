"""
Schemathesis hooks for tests/test_fuzz.py: the rules of a valid request that
JSON Schema cannot state, applied to the requests the fuzzer generates as
valid. Every check stays on; requests generated as invalid are left alone.
"""

import uuid

import schemathesis


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None:
        return case
    headers = case.headers or {}
    if not meta.generation.mode.is_positive:
        # If-Match is checked before the body (412 first): an invalid body
        # must meet the body's check.
        headers.pop("If-Match", None)
        return case
    # Values only the server can give out: an ETag of the task as it is now,
    # a cursor of an earlier answer, a key not used with another body before.
    if "If-Match" in headers:
        headers["If-Match"] = "*"
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
    if case.method == "DELETE" and case.path.endswith("/tasks"):
        # The fuzzer's workers share one user: clearing all its completed
        # tasks would delete what another worker's sequence just made.
        case.query = {**(case.query or {}), "search": uuid.uuid4().hex}
    if not isinstance(case.body, dict):
        return case
    body = case.body
    # A recurring task needs a due date, sent or already stored: the stored
    # part is state that no schema of the request can see.
    if body.get("recurrence") is not None and body.get("due_at") is None:
        body["due_at"] = "2030-01-01T00:00:00Z"
    if "due_at" in body and body["due_at"] is None:
        body["recurrence"] = None
    # At most 20 tags remain after duplicates are dropped: not a count of
    # items. And the 32 characters are counted after lower-casing, where "İ"
    # becomes two, which a pattern cannot count.
    if isinstance(body.get("tags"), list):
        body["tags"] = [
            tag.replace("\u0130", "I") if isinstance(tag, str) else tag for tag in body["tags"][:20]
        ]
    return case


@schemathesis.hook
def filter_case(context, case):
    # Schemathesis 4.32's coverage phase adds an "errors" member to request
    # bodies, taken from the schema of the error answers, and then calls the
    # request invalid when that member lacks a title; no request schema here
    # has such a member, and the API ignores unknown members, as it should.
    return not (isinstance(case.body, dict) and "errors" in case.body)
