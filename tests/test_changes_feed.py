"""The changes feed, GET /api/tasks/changes, for incremental sync."""

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from tasks.models import Tombstone
from tasks.sync import make_cursor

pytestmark = pytest.mark.django_db


def changes(client, cursor=None, path="/api/tasks/changes", **params):
    if cursor is not None:
        params["cursor"] = cursor
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["changed", "deleted", "cursor", "has_more"]
    return body


def create(client, title, **fields):
    response = client.post("/api/tasks", {"title": title, **fields}, format="json")
    assert response.status_code == 201
    return response.json()


def ids(tasks):
    return [task["id"] for task in tasks]


def test_the_first_call_gives_every_task_and_no_deletions(alice, bob):
    first, second = create(alice, "a"), create(alice, "b")
    create(bob, "bob's")
    alice.delete(f"/api/tasks/{create(alice, 'gone')['id']}")
    body = changes(alice)
    assert ids(body["changed"]) == [first["id"], second["id"]]
    assert body["changed"][0] == alice.get(f"/api/tasks/{first['id']}").json()
    assert body["deleted"] == []
    assert body["has_more"] is False


def test_an_empty_account_syncs_to_nothing(alice, db):
    body = changes(alice)
    assert (body["changed"], body["deleted"], body["has_more"]) == ([], [], False)
    assert changes(alice, body["cursor"])["changed"] == []


def test_a_cursor_gives_what_changed_since_each_once_in_its_current_state(alice):
    kept, edited, removed = create(alice, "kept"), create(alice, "edited"), create(alice, "removed")
    cursor = changes(alice)["cursor"]
    assert changes(alice, cursor)["changed"] == []
    alice.patch(f"/api/tasks/{edited['id']}", {"title": "one"}, format="json")
    alice.patch(f"/api/tasks/{edited['id']}", {"title": "two"}, format="json")
    new = create(alice, "new")
    alice.delete(f"/api/tasks/{removed['id']}")
    body = changes(alice, cursor)
    assert ids(body["changed"]) == [edited["id"], new["id"]]
    assert body["changed"][0]["title"] == "two"
    assert body["deleted"] == [removed["id"]]
    assert kept["id"] not in ids(body["changed"])
    assert changes(alice, body["cursor"])["changed"] == []


def test_a_task_made_and_deleted_between_two_calls_is_at_most_deleted(alice):
    cursor = changes(alice)["cursor"]
    short = create(alice, "short lived")
    alice.delete(f"/api/tasks/{short['id']}")
    body = changes(alice, cursor)
    assert body["changed"] == []
    assert body["deleted"] == [short["id"]]


def test_every_route_that_deletes_leaves_a_tombstone(alice):
    single, done = create(alice, "single"), create(alice, "done", completed=True)
    cursor = changes(alice)["cursor"]
    alice.delete(f"/api/tasks/{single['id']}")
    alice.delete("/api/tasks?status=completed")
    assert sorted(changes(alice, cursor)["deleted"]) == sorted([single["id"], done["id"]])


def test_a_completion_and_its_next_occurrence_are_changes(alice):
    body = {"due_at": "2026-12-04T17:00:00Z", "recurrence": {"frequency": "weekly"}}
    weekly = create(alice, "weekly", **body)
    cursor = changes(alice)["cursor"]
    done = alice.patch(f"/api/tasks/{weekly['id']}/complete").json()
    after = changes(alice, cursor)
    assert set(ids(after["changed"])) == {done["next_occurrence_id"], weekly["id"]}
    alice.delete(f"/api/tasks/{done['next_occurrence_id']}")
    unlinked = changes(alice, after["cursor"])
    assert unlinked["deleted"] == [done["next_occurrence_id"]]
    assert ids(unlinked["changed"]) == [weekly["id"]]
    assert unlinked["changed"][0]["next_occurrence_id"] is None


def test_no_id_is_in_both_lists(alice):
    task = create(alice, "x")
    cursor = changes(alice)["cursor"]
    alice.patch(f"/api/tasks/{task['id']}", {"title": "y"}, format="json")
    alice.delete(f"/api/tasks/{task['id']}")
    body = changes(alice, cursor)
    assert body["changed"] == []
    assert body["deleted"] == [task["id"]]


def test_limit_pages_with_has_more_until_everything_came(alice):
    made = [create(alice, f"task {n}")["id"] for n in range(7)]
    cursor = changes(alice)["cursor"]
    for task_id in made[:3]:
        alice.delete(f"/api/tasks/{task_id}")
    alice.patch(f"/api/tasks/{made[5]}", {"title": "edited"}, format="json")
    seen_changed, seen_deleted, pages = [], [], 0
    while True:
        body = changes(alice, cursor, limit=2)
        assert len(body["changed"]) + len(body["deleted"]) <= 2
        seen_changed += ids(body["changed"])
        seen_deleted += body["deleted"]
        cursor = body["cursor"]
        pages += 1
        if not body["has_more"]:
            break
    assert seen_deleted == made[:3]
    assert seen_changed == [made[5]]
    assert pages == 2


def test_the_first_call_pages_too(alice):
    made = [create(alice, f"task {n}")["id"] for n in range(5)]
    body = changes(alice, limit=2)
    assert (ids(body["changed"]), body["has_more"]) == (made[:2], True)
    rest = changes(alice, body["cursor"], limit=10)
    assert (ids(rest["changed"]), rest["has_more"]) == (made[2:], False)


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "", "1.5"])
def test_a_bad_limit_is_a_422(alice, limit):
    response = alice.get("/api/tasks/changes", {"limit": limit})
    assert response.status_code == 422
    assert "limit" in response.json()["errors"]


def test_limits_1_and_1000_are_fine(alice, db):
    assert alice.get("/api/tasks/changes", {"limit": "1"}).status_code == 200
    assert alice.get("/api/tasks/changes", {"limit": "1000"}).status_code == 200


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJ1IjoiYWxpY2UtaWQiLCJzIjowfQ:forged:sig", "a" * 300]
)
def test_a_cursor_this_server_did_not_issue_is_a_422(alice, cursor):
    response = alice.get("/api/tasks/changes", {"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["errors"] == {"cursor": [response.json()["errors"]["cursor"][0]]}


def test_a_cursor_cannot_be_altered(alice):
    create(alice, "x")
    cursor = changes(alice)["cursor"]
    tampered = cursor[:-3] + ("aaa" if not cursor.endswith("aaa") else "bbb")
    assert alice.get("/api/tasks/changes", {"cursor": tampered}).status_code == 422


def test_another_users_cursor_is_a_422_and_shows_nothing_of_theirs(alice, bob):
    create(alice, "secret")
    alices = changes(alice)["cursor"]
    response = bob.get("/api/tasks/changes", {"cursor": alices})
    assert response.status_code == 422
    assert b"secret" not in response.content


def test_answers_hold_only_the_callers_tasks(alice, bob):
    create(alice, "alice's")
    cursor = changes(bob)["cursor"]
    alice.delete(f"/api/tasks/{create(alice, 'alice gone')['id']}")
    create(alice, "more of alice's")
    assert changes(bob)["changed"] == []
    since = changes(bob, cursor)
    assert (since["changed"], since["deleted"]) == ([], [])


def test_a_cursor_older_than_the_tombstones_kept_is_a_410(alice, settings, monkeypatch):
    settings.TASKS_TOMBSTONE_DAYS = 30
    cursor = changes(alice)["cursor"]
    later = time.time() + 30 * 24 * 3600 + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = alice.get("/api/tasks/changes", {"cursor": cursor})
    assert response.status_code == 410
    assert response.json()["code"] == "cursor_expired"


def test_a_cursor_from_before_a_purged_deletion_is_a_410(alice):
    task = create(alice, "x")
    cursor = changes(alice)["cursor"]
    alice.delete(f"/api/tasks/{task['id']}")
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=31))
    call_command("purge_expired")
    assert not Tombstone.objects.exists()
    assert alice.get("/api/tasks/changes", {"cursor": cursor}).status_code == 410
    fresh = changes(alice)
    assert changes(alice, fresh["cursor"])["deleted"] == []


def test_purge_keeps_recent_tombstones(alice):
    task = create(alice, "x")
    cursor = changes(alice)["cursor"]
    alice.delete(f"/api/tasks/{task['id']}")
    call_command("purge_expired")
    assert changes(alice, cursor)["deleted"] == [task["id"]]


def test_a_cursor_for_a_future_number_finds_nothing(alice):
    create(alice, "x")
    assert changes(alice, make_cursor("alice-id", 10**6))["changed"] == []


def test_the_feed_answers_under_the_user_path(alice, bob):
    task = create(alice, "x")
    body = changes(alice, path="/api/alice-id/tasks/changes")
    assert ids(body["changed"]) == [task["id"]]
    assert bob.get("/api/alice-id/tasks/changes").status_code == 403


def test_the_feed_needs_a_token(anonymous):
    assert anonymous.get("/api/tasks/changes").status_code == 401
