"""
TASK_EXTRA_FIELDS (Contract v3): the extra keys other frontends read, in
every task object of every answer, after the standard keys, in the
contract's order, with the same bytes from PostgreSQL and from Python.
"""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from tasks.models import Task
from tasks.query import sort_tasks
from tasks.rendering import task_list_json
from tasks.serializers import TaskSerializer

from .test_configuration import GOOD_SECRET, run_manage, start_server
from .test_tasks_crud import TASK_KEYS

pytestmark = pytest.mark.django_db

EXTRA_KEYS = ["user_id", "is_completed", "due_date", "status"]


@pytest.fixture
def every_extra_field(settings):
    # Any order in the setting; the contract's order in the answers.
    settings.TASK_EXTRA_FIELDS = ["status", "due_date", "user_id", "is_completed"]


@pytest.fixture
def tasks(alice):
    made = [
        alice.post("/api/tasks", body, format="json").json()
        for body in (
            {"title": "Buy milk"},
            {"title": "Pay rent", "due_at": "2026-12-05T17:00:00Z", "completed": True},
        )
    ]
    return made


def check_task(task, owner_id="alice-id"):
    assert list(task) == TASK_KEYS + EXTRA_KEYS
    assert task["user_id"] == owner_id
    assert task["is_completed"] is task["completed"]
    assert task["due_date"] == task["due_at"]
    assert task["status"] == ("completed" if task["completed"] else "pending")


def test_by_default_a_task_has_only_the_standard_keys(alice, tasks):
    assert [list(task) for task in alice.get("/api/tasks").json()] == [TASK_KEYS, TASK_KEYS]


def test_every_single_task_answer_has_the_extra_keys(alice, every_extra_field):
    created = alice.post("/api/tasks", {"title": "Buy milk"}, format="json")
    task_id = created.json()["id"]
    answers = [
        created,
        alice.get(f"/api/tasks/{task_id}"),
        alice.put(f"/api/tasks/{task_id}", {"due_date": "2026-12-05"}, format="json"),
        alice.patch(f"/api/tasks/{task_id}", {"title": "Buy oat milk"}, format="json"),
        alice.patch(f"/api/tasks/{task_id}/complete"),
        alice.get(f"/api/{'alice-id'}/tasks/{task_id}"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201)
        check_task(answer.json())
    assert answers[2].json()["due_date"] == "2026-12-05T00:00:00Z"
    assert answers[4].json()["status"] == "completed"


def test_the_list_has_them_with_and_without_paging(alice, tasks, every_extra_field):
    for params in ({}, {"limit": 1}, {"limit": 1, "offset": 1}, {"status": "completed"}):
        body = alice.get("/api/tasks", params).json()
        assert body
        for task in body:
            check_task(task)


def test_the_bulk_update_the_changes_feed_and_a_replay_have_them(alice, tasks, every_extra_field):
    ids = [task["id"] for task in tasks]
    for task in alice.patch("/api/tasks", {"ids": ids, "completed": True}, format="json").json():
        check_task(task)
    feed = alice.get("/api/tasks/changes").json()
    assert len(feed["changed"]) == 2
    for task in feed["changed"]:
        check_task(task)
    alice.patch(f"/api/tasks/{ids[0]}", {"title": "Renamed"}, format="json")
    since = alice.get("/api/tasks/changes", {"cursor": feed["cursor"]}).json()
    assert [task["title"] for task in since["changed"]] == ["Renamed"]
    check_task(since["changed"][0])
    key = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    first = alice.post("/api/tasks", {"title": "Once"}, format="json", **key)
    replay = alice.post("/api/tasks", {"title": "Once"}, format="json", **key)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    check_task(replay.json())


def test_user_id_is_the_callers_own_on_every_path(alice, bob, every_extra_field):
    bob.post("/api/tasks", {"title": "Bob's"}, format="json")
    alice.post("/api/tasks", {"title": "Alice's"}, format="json")
    assert [task["user_id"] for task in bob.get("/api/bob-id/tasks").json()] == ["bob-id"]
    assert [task["user_id"] for task in alice.get("/api/tasks").json()] == ["alice-id"]


def test_a_task_read_with_the_extra_keys_can_be_sent_back_whole(alice, every_extra_field):
    """A frontend that PUTs the object it read: the extra keys agree or are ignored."""
    task = alice.post("/api/tasks", {"title": "Buy milk", "due_date": "2026-12-05"}, format="json")
    body = {**task.json(), "title": "Buy oat milk", "user_id": "bob-id"}
    response = alice.put(f"/api/tasks/{body['id']}", body, format="json")
    assert response.status_code == 200
    check_task(response.json())
    assert response.json()["title"] == "Buy oat milk"


def test_a_whole_task_with_only_is_completed_changed_is_a_422(alice, every_extra_field):
    """Its completed still says the old value, so the two spellings differ."""
    task = alice.post("/api/tasks", {"title": "Buy milk"}, format="json").json()
    body = {**task, "is_completed": True}
    response = alice.put(f"/api/tasks/{task['id']}", body, format="json")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["is_completed"]


def test_status_in_a_body_is_ignored_like_any_unknown_field(alice, every_extra_field):
    task = alice.post("/api/tasks", {"title": "Buy milk"}, format="json").json()
    response = alice.patch(f"/api/tasks/{task['id']}", {"status": "completed"}, format="json")
    assert response.status_code == 200
    assert response.json() == task


def test_only_the_keys_named_are_added(alice, tasks, settings):
    settings.TASK_EXTRA_FIELDS = ["status"]
    task = alice.get(f"/api/tasks/{tasks[1]['id']}").json()
    assert list(task) == [*TASK_KEYS, "status"]
    assert [list(task) for task in alice.get("/api/tasks").json()] == [[*TASK_KEYS, "status"]] * 2


def test_the_list_body_is_the_serializers_to_the_byte(alice, tasks, every_extra_field):
    """On PostgreSQL the database writes it; the bytes are Python's all the same."""
    ordered = sort_tasks(Task.objects.filter(owner_id="alice-id"), "-created_at")
    body, _ = task_list_json(ordered)
    assert body == JSONRenderer().render(TaskSerializer(ordered, many=True).data)
    assert alice.get("/api/tasks").content == body


def test_the_list_etag_moves_with_the_setting(alice, tasks, settings):
    before = alice.get("/api/tasks")["ETag"]
    settings.TASK_EXTRA_FIELDS = ["user_id"]
    assert alice.get("/api/tasks")["ETag"] != before


def test_the_schema_describes_the_running_configuration():
    def task_schema(extra_fields):
        result = run_manage(
            "spectacular", "--format", "openapi-json", TASK_EXTRA_FIELDS=extra_fields
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["components"]["schemas"]

    assert list(task_schema("")["Task"]["properties"]) == TASK_KEYS
    components = task_schema("status,is_completed,due_date,user_id")
    properties = components["Task"]["properties"]
    assert list(properties) == TASK_KEYS + EXTRA_KEYS
    assert all(properties[name]["readOnly"] for name in EXTRA_KEYS)
    status_enum = properties["status"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert components[status_enum]["enum"] == ["completed", "pending"]
    # Output only: a request body does not offer them.
    assert set(components["TaskRequest"]["properties"]).isdisjoint(EXTRA_KEYS)


def test_an_unknown_name_stops_the_server_with_the_allowed_names():
    result = start_server(
        SECRET_KEY="x" * 50, BETTER_AUTH_SECRET=GOOD_SECRET, TASK_EXTRA_FIELDS="user_id,owner"
    )
    assert result.returncode != 0
    assert "TASK_EXTRA_FIELDS" in result.stderr and "'owner'" in result.stderr
    assert "allowed are user_id, is_completed, due_date, status" in result.stderr


def test_the_allowed_names_are_the_ones_the_tasks_know():
    from tasks.spellings import EXTRA_FIELDS

    result = start_server(
        SECRET_KEY="x" * 50,
        BETTER_AUTH_SECRET=GOOD_SECRET,
        TASK_EXTRA_FIELDS=",".join(reversed(EXTRA_FIELDS)),
    )
    assert result.returncode == 0, result.stderr
