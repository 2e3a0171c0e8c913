"""
Schemathesis hooks for tests/test_fuzz.py: the rules of a valid request that
JSON Schema cannot state, applied to the requests the fuzzer generates as
valid. Every check stays on; requests generated as invalid are left alone.
"""

import schemathesis


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    body = case.body
    # A recurring task needs a due date, sent or already stored: the stored
    # part is state that no schema of the request can see.
    if body.get("recurrence") is not None and body.get("due_at") is None:
        body["due_at"] = "2030-01-01T00:00:00Z"
    if "due_at" in body and body["due_at"] is None:
        body["recurrence"] = None
    # At most 20 tags remain after duplicates are dropped: not a count of items.
    if isinstance(body.get("tags"), list):
        body["tags"] = body["tags"][:20]
    return case


@schemathesis.hook
def filter_case(context, case):
    # Schemathesis 4.32's coverage phase adds an "errors" member to request
    # bodies, taken from the schema of the error answers, and then calls the
    # request invalid when that member lacks a title; no request schema here
    # has such a member, and the API ignores unknown members, as it should.
    return not (isinstance(case.body, dict) and "errors" in case.body)
