"""ETags, If-Match and If-None-Match (RFC 9110) on tasks and on the list."""

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(alice):
    response = alice.post("/api/tasks", {"title": "Buy milk", "tags": ["home"]}, format="json")
    assert response.status_code == 201
    return response


def etag_of(client, task_id):
    return client.get(f"/api/tasks/{task_id}")["ETag"]


def test_every_single_task_answer_has_a_strong_etag(alice, task):
    task_id = task.json()["id"]
    answers = [
        task,
        alice.get(f"/api/tasks/{task_id}"),
        alice.put(f"/api/tasks/{task_id}", {"title": "a"}, format="json"),
        alice.patch(f"/api/tasks/{task_id}", {"title": "b"}, format="json"),
        alice.patch(f"/api/tasks/{task_id}/complete"),
    ]
    for answer in answers:
        assert answer["ETag"].startswith('"') and answer["ETag"].endswith('"')
    # The GET answers the unchanged task; each write changes it.
    assert answers[1]["ETag"] == answers[0]["ETag"]
    assert len({answer["ETag"] for answer in answers}) == len(answers) - 1


def test_the_etag_stays_while_the_task_is_unchanged(alice, task):
    task_id = task.json()["id"]
    assert etag_of(alice, task_id) == task["ETag"]
    assert etag_of(alice, task_id) == task["ETag"]
    same = alice.patch(f"/api/tasks/{task_id}", {"title": "Buy milk"}, format="json")
    assert same["ETag"] == task["ETag"]
    same = alice.patch(f"/api/tasks/{task_id}/complete", {"completed": False}, format="json")
    assert same["ETag"] == task["ETag"]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Buy bread"},
        {"description": "oat"},
        {"completed": True},
        {"priority": "high"},
        {"due_at": "2026-12-05T17:00:00Z"},
        {"tags": ["home", "errands"]},
    ],
)
def test_the_etag_changes_with_any_change(alice, task, change):
    task_id = task.json()["id"]
    changed = alice.patch(f"/api/tasks/{task_id}", change, format="json")
    assert changed["ETag"] != task["ETag"]
    assert etag_of(alice, task_id) == changed["ETag"]


def test_the_etag_changes_when_the_next_occurrence_is_deleted(alice):
    body = {
        "title": "Weekly",
        "due_at": "2026-12-04T17:00:00Z",
        "recurrence": {"frequency": "weekly"},
    }
    task_id = alice.post("/api/tasks", body, format="json").json()["id"]
    done = alice.patch(f"/api/tasks/{task_id}/complete")
    alice.delete(f"/api/tasks/{done.json()['next_occurrence_id']}")
    assert etag_of(alice, task_id) != done["ETag"]


WRITES = {
    "PUT": lambda c, i, h: c.put(f"/api/tasks/{i}", {"title": "x"}, format="json", **h),
    "PATCH": lambda c, i, h: c.patch(f"/api/tasks/{i}", {"title": "x"}, format="json", **h),
    "complete": lambda c, i, h: c.patch(f"/api/tasks/{i}/complete", **h),
    "DELETE": lambda c, i, h: c.delete(f"/api/tasks/{i}", **h),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_stale_if_match_is_a_412_with_the_current_etag_and_changes_nothing(alice, task, write):
    task_id = task.json()["id"]
    renamed = alice.patch(f"/api/tasks/{task_id}", {"title": "Renamed"}, format="json")
    response = WRITES[write](alice, task_id, {"HTTP_IF_MATCH": task["ETag"]})
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response["ETag"] == renamed["ETag"]
    assert alice.get(f"/api/tasks/{task_id}").json() == renamed.json()


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("header", ["{etag}", "*", '"nope", {etag}', 'W/"x", {etag}, "y"'])
def test_a_current_if_match_lets_the_write_through(alice, task, write, header):
    task_id = task.json()["id"]
    response = WRITES[write](alice, task_id, {"HTTP_IF_MATCH": header.format(etag=task["ETag"])})
    assert response.status_code in (200, 204)


@pytest.mark.parametrize("header", ["W/{etag}", "{bare}", "", '"other"'])
def test_a_weak_or_malformed_if_match_never_matches(alice, task, header):
    etag = task["ETag"]
    value = header.format(etag=etag, bare=etag.strip('"'))
    response = WRITES["PATCH"](alice, task.json()["id"], {"HTTP_IF_MATCH": value})
    assert response.status_code == 412
    assert Task.objects.get().title == "Buy milk"


def test_without_if_match_a_write_is_unconditional(alice, task):
    task_id = task.json()["id"]
    alice.patch(f"/api/tasks/{task_id}", {"title": "One"}, format="json")
    assert alice.patch(f"/api/tasks/{task_id}", {"title": "Two"}, format="json").status_code == 200


def test_the_checks_come_in_order_401_then_403_404_then_412_then_the_body(
    alice, bob, anonymous, task
):
    task_id = task.json()["id"]
    stale = {"HTTP_IF_MATCH": '"stale"'}
    bad_body = {"title": ""}
    assert (
        anonymous.patch(f"/api/tasks/{task_id}", bad_body, format="json", **stale).status_code
        == 401
    )
    assert bob.patch(f"/api/tasks/{task_id}", bad_body, format="json", **stale).status_code == 403
    assert alice.patch("/api/tasks/999999", bad_body, format="json", **stale).status_code == 404
    assert alice.patch(f"/api/tasks/{task_id}", bad_body, format="json", **stale).status_code == 412
    malformed = alice.patch(f"/api/tasks/{task_id}", b"{", content_type="application/json", **stale)
    assert malformed.status_code == 412
    unsupported = alice.patch(f"/api/tasks/{task_id}", b"x", content_type="text/plain", **stale)
    assert unsupported.status_code == 412
    current = {"HTTP_IF_MATCH": task["ETag"]}
    assert (
        alice.patch(f"/api/tasks/{task_id}", bad_body, format="json", **current).status_code == 422
    )
    assert (
        alice.patch(f"/api/tasks/{task_id}", b"{", content_type="application/json", **current)
    ).status_code == 400
    body = {"completed": "yes"}
    complete = alice.patch(f"/api/tasks/{task_id}/complete", body, format="json", **stale)
    assert complete.status_code == 412
    assert bob.delete(f"/api/tasks/{task_id}", **stale).status_code == 403


@pytest.mark.parametrize("header", ["{etag}", "*", "W/{etag}", '"other", {etag}'])
def test_if_none_match_naming_the_current_etag_is_a_304(alice, task, header):
    response = alice.get(
        f"/api/tasks/{task.json()['id']}", HTTP_IF_NONE_MATCH=header.format(etag=task["ETag"])
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == task["ETag"]


def test_if_none_match_with_a_stale_etag_is_the_task(alice, task):
    task_id = task.json()["id"]
    alice.patch(f"/api/tasks/{task_id}", {"title": "Renamed"}, format="json")
    response = alice.get(f"/api/tasks/{task_id}", HTTP_IF_NONE_MATCH=task["ETag"])
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


def test_if_none_match_does_not_reveal_another_users_task(bob, task):
    response = bob.get(f"/api/tasks/{task.json()['id']}", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 403


def list_etag(client, **params):
    response = client.get("/api/tasks", params)
    assert response.status_code == 200
    return response["ETag"]


def test_the_list_etag_stays_while_the_answer_is_unchanged(alice, bob, task):
    before = list_etag(alice)
    assert list_etag(alice) == before
    bob.post("/api/tasks", {"title": "Bob's"}, format="json")
    assert list_etag(alice) == before
    task_id = task.json()["id"]
    alice.patch(f"/api/tasks/{task_id}", {"title": "Buy milk"}, format="json")
    assert list_etag(alice) == before


def test_a_filtered_list_keeps_its_etag_when_other_tasks_change(alice, task):
    before = list_etag(alice, status="completed")
    alice.post("/api/tasks", {"title": "Another pending one"}, format="json")
    assert list_etag(alice, status="completed") == before


@pytest.mark.parametrize(
    "change",
    [
        lambda c, i: c.post("/api/tasks", {"title": "new"}, format="json"),
        lambda c, i: c.patch(f"/api/tasks/{i}", {"title": "renamed"}, format="json"),
        lambda c, i: c.patch(f"/api/tasks/{i}/complete"),
        lambda c, i: c.patch(f"/api/tasks/{i}", {"tags": []}, format="json"),
        lambda c, i: c.delete(f"/api/tasks/{i}"),
        lambda c, i: c.patch("/api/tasks", {"ids": [i], "completed": True}, format="json"),
    ],
    ids=["create", "update", "complete", "tags", "delete", "bulk"],
)
def test_the_list_etag_changes_with_every_kind_of_change(alice, task, change):
    before = list_etag(alice)
    assert change(alice, task.json()["id"]).status_code in (200, 201, 204)
    assert list_etag(alice) != before


def test_the_list_etag_follows_the_total_and_links_of_a_page(alice, add_task):
    for n in range(3):
        add_task("alice-id", f"task {n}")
    first = list_etag(alice, limit=1)
    assert list_etag(alice, limit=1, offset=1) != first
    add_task("alice-id", "task 3")
    # The first page's body may be another task now; its total moved anyway.
    assert list_etag(alice, limit=1) != first


def test_two_users_lists_never_share_an_etag(alice, bob, db):
    assert alice.get("/api/tasks").json() == bob.get("/api/tasks").json() == []
    assert list_etag(alice) != list_etag(bob)


def test_the_list_answers_304_to_its_current_etag(alice, task):
    etag = list_etag(alice)
    assert etag.startswith('W/"')
    response = alice.get("/api/tasks", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    alice.post("/api/tasks", {"title": "new"}, format="json")
    assert alice.get("/api/tasks", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_another_users_list_etag_does_not_make_a_304(alice, bob, db):
    assert bob.get("/api/tasks", HTTP_IF_NONE_MATCH=list_etag(alice)).status_code == 200
