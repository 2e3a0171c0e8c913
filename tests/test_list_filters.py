"""The list's filters and sorts by priority, tag and due date, and the spellings of other frontends."""

from datetime import UTC, datetime

import pytest

from .test_list_query import links, titles

pytestmark = pytest.mark.django_db


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def planned(add_task):
    """Alice's tasks, created in this order (so 'f' is the newest)."""
    specs = [
        ("a", "low", utc(2026, 12, 5, 17), ["home"], False),
        ("b", "high", None, ["work", "urgent"], False),
        ("c", "medium", utc(2026, 12, 1, 9), ["home", "errands"], True),
        ("d", "high", utc(2026, 12, 5, 17), ["errands"], False),
        ("e", "medium", None, [], True),
        ("f", "low", utc(2027, 1, 10), ["home", "errands", "work"], False),
    ]
    return [
        add_task("alice-id", title, priority=priority, due_at=due, tags=tags, completed=done)
        for title, priority, due, tags, done in specs
    ]


@pytest.mark.parametrize(
    "priority, expected",
    [
        ("high", ["d", "b"]),
        ("low,high", ["f", "d", "b", "a"]),
        ("medium,low,medium", ["f", "e", "c", "a"]),
        ("", ["f", "e", "d", "c", "b", "a"]),
        ("low,", ["f", "a"]),
    ],
)
def test_it_filters_by_any_of_the_priorities(alice, planned, priority, expected):
    assert titles(alice.get("/api/tasks", {"priority": priority})) == expected


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("home", ["f", "c", "a"]),
        ("home,errands", ["f", "c"]),
        ("errands,home,work", ["f"]),
        (" HOME , Errands ", ["f", "c"]),
        ("home,nothing", []),
        ("nothing", []),
        ("", ["f", "e", "d", "c", "b", "a"]),
        ("x" * 40, []),
    ],
)
def test_it_filters_by_all_of_the_tags(alice, planned, tag, expected):
    assert titles(alice.get("/api/tasks", {"tag": tag})) == expected


def test_a_tag_no_task_can_carry_finds_nothing_rather_than_failing(alice, planned):
    for tag in ["nul\x00", "tab\there", "\x7f"]:
        assert titles(alice.get("/api/tasks", {"tag": tag})) == []


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"due_after": "2026-12-05T17:00:00Z"}, ["f", "d", "a"]),
        ({"due_after": "2026-12-05T18:00:01+01:00"}, ["f"]),
        ({"due_before": "2026-12-05T17:00:00Z"}, ["c"]),
        ({"due_before": "2026-12-05T17:00:00.000001Z"}, ["d", "c", "a"]),
        ({"due_after": "2026-12-01T09:00:00Z", "due_before": "2026-12-05T18:00:00+01:00"}, ["c"]),
        ({"due_after": "2027-02-01T00:00:00Z", "due_before": "2026-01-01T00:00:00Z"}, []),
        ({"due_after": ""}, ["f", "e", "d", "c", "b", "a"]),
    ],
)
def test_it_filters_by_due_date_leaving_out_undated_tasks(alice, planned, params, expected):
    assert titles(alice.get("/api/tasks", params)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"due_after": "2026-12-05"},
        {"due_after": "2026-12-05T17:00:00"},
        {"due_before": "soon"},
        {"due_before": "2026-12-05 17:00:00Z"},
        {"priority": "urgent"},
        {"priority": "HIGH"},
        {"priority": "low, high"},
        {"completed": "yes"},
        {"completed": ""},
        {"task_status": "done"},
    ],
)
def test_a_bad_value_is_a_422_naming_the_parameter(alice, planned, params):
    response = alice.get("/api/tasks", params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_a_bad_date_time_says_an_offset_is_needed(alice, planned):
    response = alice.get("/api/tasks", {"due_before": "2026-12-05T17:00:00"})
    assert "offset" in response.json()["errors"]["due_before"][0]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("due_at", ["c", "a", "d", "f", "b", "e"]),
        ("-due_at", ["f", "d", "a", "c", "e", "b"]),
        ("priority", ["a", "f", "c", "e", "b", "d"]),
        ("-priority", ["d", "b", "e", "c", "f", "a"]),
    ],
)
def test_the_new_sorts_break_ties_by_id_in_their_direction_with_undated_tasks_last(
    alice, planned, sort, expected
):
    assert titles(alice.get("/api/tasks", {"sort": sort})) == expected


def test_filters_combine_with_status_and_each_other(alice, planned):
    params = {"status": "pending", "tag": "home", "priority": "low", "sort": "due_at"}
    assert titles(alice.get("/api/tasks", params)) == ["a", "f"]
    params = {"status": "completed", "tag": "errands", "due_before": "2027-01-01T00:00:00Z"}
    assert titles(alice.get("/api/tasks", params)) == ["c"]
    params = {"status": "pending", "priority": "high", "search": "B"}
    assert titles(alice.get("/api/tasks", params)) == ["b"]


def test_the_new_filters_page_with_the_total_and_links(alice, planned):
    params = {"tag": "home", "sort": "due_at", "limit": 2}
    first = alice.get("/api/tasks", params)
    assert titles(first) == ["c", "a"]
    assert first["X-Total-Count"] == "3"
    assert links(first)["next"] == {
        "tag": ["home"],
        "sort": ["due_at"],
        "limit": ["2"],
        "offset": ["2"],
    }
    second = alice.get("/api/tasks", {**params, "offset": 2})
    assert titles(second) == ["f"]
    assert set(links(second)) == {"prev"}
    undated_last = alice.get("/api/tasks", {"sort": "-due_at", "limit": 2, "offset": 4})
    assert titles(undated_last) == ["e", "b"]
    assert undated_last["X-Total-Count"] == "6"


def test_filters_see_only_the_callers_tasks(bob, planned):
    assert titles(bob.get("/api/tasks", {"tag": "home"})) == []
    assert titles(bob.get("/api/tasks", {"priority": "high", "sort": "priority"})) == []


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ({"task_status": "pending"}, {"status": "pending"}),
        ({"task_status": "completed"}, {"status": "completed"}),
        ({"completed": "true"}, {"status": "completed"}),
        ({"completed": "false"}, {"status": "pending"}),
        ({"sort": "created"}, {"sort": "-created_at"}),
        ({"sort": "updated"}, {"sort": "-updated_at"}),
        ({"sort": "due_date"}, {"sort": "due_at"}),
        ({"status": "completed", "completed": "true"}, {"status": "completed"}),
        ({"task_status": "pending", "completed": "false"}, {"status": "pending"}),
    ],
)
def test_the_spellings_of_other_frontends_mean_the_same(alice, planned, alias, canonical):
    assert titles(alice.get("/api/tasks", alias)) == titles(alice.get("/api/tasks", canonical))


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending", "completed": "true"},
        {"status": "all", "completed": "false"},
        {"status": "completed", "task_status": "pending"},
        {"task_status": "completed", "completed": "false"},
    ],
)
def test_an_alias_and_its_parameter_with_different_values_are_a_422(alice, planned, params):
    response = alice.get("/api/tasks", params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_an_empty_status_filters_nothing(alice, planned):
    assert len(titles(alice.get("/api/tasks", {"status": ""}))) == 6
