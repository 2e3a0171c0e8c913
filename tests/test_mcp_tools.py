"""
The tools act for the token's user only, through the same services as the
REST API: the same validation, recurrence and changes feed, and never
another user's data, whatever the arguments say.
"""

import pytest

from tasks.models import Task

from .mcp_calls import call_tool, error_text

pytestmark = pytest.mark.django_db

MCP_URL = "https://api.example.com/mcp"


@pytest.fixture(autouse=True)
def mcp_on(settings):
    settings.MCP_RESOURCE_URL = MCP_URL
    settings.MCP_AUTHORIZATION_SERVER = ""
    settings.MCP_REQUIRED_SCOPES = []


@pytest.fixture
def call(anonymous, make_token):
    """call(name, arguments, user="alice-id") -> the tool's result."""

    def run(name, arguments=None, user="alice-id"):
        return call_tool(anonymous, make_token(user, aud=MCP_URL), name, arguments)

    return run


def test_add_task_makes_the_callers_task_as_the_rest_api_shows_it(call, alice):
    result = call("add_task", {"title": " Buy milk ", "tags": ["Home"], "priority": "high"})
    assert result["isError"] is False
    task = result["structuredContent"]["task"]
    assert task == alice.get(f"/api/tasks/{task['id']}").json()
    assert (task["title"], task["tags"], task["priority"]) == ("Buy milk", ["home"], "high")


def test_an_argument_naming_a_user_is_ignored(call, bob):
    result = call("add_task", {"title": "Mine", "user_id": "bob-id", "owner": "bob-id"})
    assert result["isError"] is False
    assert Task.objects.get().owner_id == "alice-id"
    assert bob.get("/api/tasks").json() == []
    listed = call("list_tasks", {"user_id": "bob-id"}, user="bob-id")["structuredContent"]
    assert listed == {"tasks": [], "total": 0}


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "t", "priority": "urgent"}, "priority"),
        ({"title": "t", "due_at": "2026-12-05"}, "due_at"),
        ({"title": "t", "tags": "home"}, "tags"),
        ({"title": "t", "recurrence": {"frequency": "weekly"}}, "recurrence"),
        ({"title": "t", "remind_at": "tomorrow"}, "remind_at"),
        ({"title": 5}, "title"),
    ],
)
def test_a_rule_broken_is_an_error_result_naming_the_field(call, arguments, field):
    message = error_text(call("add_task", arguments))
    assert message.startswith(f"{field}: ")
    assert Task.objects.count() == 0


def test_another_users_task_is_no_such_task_for_every_tool(call, add_task):
    task = add_task("bob-id", "Bob's secret", description="do not show")
    for name, extra in [
        ("get_task", {}),
        ("update_task", {"title": "Stolen"}),
        ("complete_task", {}),
        ("delete_task", {}),
    ]:
        result = call(name, {"task_id": task.pk, **extra})
        assert error_text(result) == "No such task."
        assert "Bob" not in str(result)
    task.refresh_from_db()
    assert (task.title, task.completed) == ("Bob's secret", False)


@pytest.mark.parametrize("task_id", [999, 0, -1, 2**63])
def test_a_missing_task_is_no_such_task(call, task_id):
    assert error_text(call("get_task", {"task_id": task_id})) == "No such task."


@pytest.mark.parametrize("task_id", ["1", 1.0, True, None])
def test_a_task_id_that_is_not_an_integer_is_named(call, add_task, task_id):
    add_task("alice-id")
    assert error_text(call("get_task", {"task_id": task_id})).startswith("task_id: ")


def test_get_task_answers_the_rest_apis_task(call, add_task, alice):
    task = add_task("alice-id", "Read")
    result = call("get_task", {"task_id": task.pk})
    assert result["structuredContent"] == {"task": alice.get(f"/api/tasks/{task.pk}").json()}


def test_update_task_changes_only_the_fields_given(call, add_task):
    task = add_task("alice-id", "Old", description="kept", priority="low")
    result = call("update_task", {"task_id": task.pk, "title": "New", "completed": True})
    changed = result["structuredContent"]["task"]
    assert (changed["title"], changed["description"], changed["priority"]) == ("New", "kept", "low")
    assert changed["completed"] is True and changed["completed_at"] is not None
    assert error_text(call("update_task", {"task_id": task.pk, "completed": "yes"})).startswith(
        "completed: "
    )


def test_complete_task_sets_never_flips(call, add_task):
    task = add_task("alice-id")
    for _ in range(2):
        assert call("complete_task", {"task_id": task.pk})["structuredContent"]["task"]["completed"]
    reopened = call("complete_task", {"task_id": task.pk, "completed": False})
    assert reopened["structuredContent"]["task"]["completed"] is False
    assert error_text(call("complete_task", {"task_id": task.pk, "completed": None})).startswith(
        "completed: "
    )


def test_completing_a_recurring_task_makes_its_next_occurrence(call):
    added = call(
        "add_task",
        {
            "title": "Water the plants",
            "due_at": "2026-12-04T18:00:00+01:00",
            "recurrence": {"frequency": "weekly"},
        },
    )["structuredContent"]["task"]
    done = call("complete_task", {"task_id": added["id"]})["structuredContent"]["task"]
    following = call("get_task", {"task_id": done["next_occurrence_id"]})["structuredContent"]
    assert following["task"]["due_at"] == "2026-12-11T17:00:00Z"
    assert following["task"]["completed"] is False


def test_delete_task_says_what_it_deleted_and_the_changes_feed_sees_it(call, add_task, alice):
    task = add_task("alice-id", "Old milk")
    cursor = alice.get("/api/tasks/changes").json()["cursor"]
    result = call("delete_task", {"task_id": task.pk})
    assert result["structuredContent"] == {
        "task_id": task.pk,
        "status": "deleted",
        "title": "Old milk",
    }
    assert not Task.objects.filter(pk=task.pk).exists()
    changes = alice.get(f"/api/tasks/changes?cursor={cursor}").json()
    assert changes["deleted"] == [task.pk]
    assert error_text(call("delete_task", {"task_id": task.pk})) == "No such task."


def test_list_tasks_filters_as_the_list_endpoint_does(call, add_task, alice):
    add_task("alice-id", "Groceries", priority="high", tags=["home", "errands"])
    add_task("alice-id", "Report", priority="low", tags=["work"], completed=True)
    add_task("bob-id", "Bob's groceries", priority="high", tags=["home"])
    for arguments, query in [
        ({}, ""),
        ({"status": "pending"}, "status=pending"),
        ({"priority": ["high", "medium"]}, "priority=high,medium"),
        ({"priority": "low"}, "priority=low"),
        ({"tag": ["HOME", "errands"]}, "tag=home,errands"),
        ({"search": "groc", "sort": "title"}, "search=groc&sort=title"),
        ({"limit": 1}, "limit=1"),
    ]:
        result = call("list_tasks", arguments)["structuredContent"]
        rest = alice.get(f"/api/tasks?{query}")
        assert result["tasks"] == rest.json()
        assert result["total"] == int(rest["X-Total-Count"])


def test_list_tasks_gives_at_most_fifty_unless_told(call, add_task):
    for number in range(55):
        add_task("alice-id", f"Task {number}")
    result = call("list_tasks")["structuredContent"]
    assert (len(result["tasks"]), result["total"]) == (50, 55)


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"status": "done"}, "status"),
        ({"sort": "owner"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"due_after": "yesterday"}, "due_after"),
        ({"priority": 3}, "priority"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_a_bad_list_argument_is_named(call, arguments, field):
    assert error_text(call("list_tasks", arguments)).startswith(f"{field}: ")


def test_list_tags_counts_the_callers_tags_only(call, add_task):
    add_task("alice-id", "a", tags=["home"])
    add_task("alice-id", "b", tags=["home", "work"])
    add_task("bob-id", "c", tags=["secret"])
    result = call("list_tags")["structuredContent"]
    assert result == {"tags": [{"name": "home", "count": 2}, {"name": "work", "count": 1}]}


def test_the_schemas_state_the_field_rules_and_allow_other_properties(anonymous, make_token):
    from .mcp_calls import rpc

    response = rpc(anonymous, "tools/list", token=make_token("alice-id", aud=MCP_URL))
    tools = {tool["name"]: tool for tool in response.json()["result"]["tools"]}
    add = tools["add_task"]["inputSchema"]
    assert add["required"] == ["title"] and add["additionalProperties"] is True
    assert add["properties"]["priority"]["enum"] == ["low", "medium", "high"]
    assert add["properties"]["due_at"]["format"] == "date-time"
    assert add["properties"]["recurrence"]["properties"]["interval"]["maximum"] == 365
    listing = tools["list_tasks"]["inputSchema"]["properties"]
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, 100)
    assert listing["limit"]["default"] == 50
    for tool in tools.values():
        assert "user_id" not in tool["inputSchema"]["properties"]
    assert tools["delete_task"]["annotations"] == {"destructiveHint": True}


def test_tool_writes_are_events_like_rest_writes(call, settings):
    from events.models import Event

    settings.WEBHOOK_URLS = ["http://127.0.0.1:9/hook"]
    task = call("add_task", {"title": "Evented"})["structuredContent"]["task"]
    call("complete_task", {"task_id": task["id"]})
    call("delete_task", {"task_id": task["id"]})
    events = Event.objects.filter(task_id=task["id"]).order_by("sequence")
    assert [event.type for event in events] == [
        "todo.task.created",
        "todo.task.completed",
        "todo.task.deleted",
    ]
    assert {event.owner_id for event in events} == {"alice-id"}


def test_a_tool_write_moves_the_etag_a_browser_tab_holds(call, add_task, alice):
    task = add_task("alice-id", "Shared")
    etag = alice.get(f"/api/tasks/{task.pk}")["ETag"]
    call("update_task", {"task_id": task.pk, "title": "Shared"})  # changes nothing
    assert alice.get(f"/api/tasks/{task.pk}")["ETag"] == etag
    call("update_task", {"task_id": task.pk, "title": "Changed by the assistant"})
    stale = alice.patch(
        f"/api/tasks/{task.pk}", {"title": "Tab"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412


def test_tool_results_carry_the_extra_keys_the_deployment_names(call, alice, settings):
    settings.TASK_EXTRA_FIELDS = ["status", "user_id"]
    task = call("add_task", {"title": "Extra"})["structuredContent"]["task"]
    assert (task["user_id"], task["status"]) == ("alice-id", "pending")
    assert list(task)[-2:] == ["user_id", "status"]
    assert call("get_task", {"task_id": task["id"]})["structuredContent"]["task"] == task
    listed = call("list_tasks")["structuredContent"]["tasks"]
    assert listed == alice.get("/api/tasks").json() == [task]
