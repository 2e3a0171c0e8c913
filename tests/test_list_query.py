from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_tasks(add_task):
    """Alice's tasks with distinct, known times: 'a' oldest ... 'e' newest."""
    start = timezone.now() - timedelta(days=1)
    tasks = []
    for n, title in enumerate(["c", "a", "e", "b", "d"]):
        task = add_task("alice-id", title, completed=title in ("a", "d"))
        Task.objects.filter(pk=task.pk).update(
            created_at=start + timedelta(minutes=n),
            updated_at=start + timedelta(minutes=10 - n),
        )
        tasks.append(task)
    return tasks


def titles(response):
    assert response.status_code == 200
    return [task["title"] for task in response.json()]


def links(response):
    """The Link header as {rel: query parameters}."""
    result = {}
    for part in response["Link"].split(", "):
        url, rel = part.split("; ")
        result[rel.removeprefix('rel="').removesuffix('"')] = parse_qs(urlsplit(url[1:-1]).query)
    return result


def test_the_default_is_every_task_newest_first(alice, five_tasks):
    assert titles(alice.get("/api/tasks")) == ["d", "b", "e", "a", "c"]


@pytest.mark.parametrize("status, expected", [("all", 5), ("pending", 3), ("completed", 2)])
def test_it_filters_by_status(alice, five_tasks, status, expected):
    response = alice.get("/api/tasks", {"status": status})
    assert len(titles(response)) == expected
    done = {"all": {True, False}, "pending": {False}, "completed": {True}}[status]
    assert {task["completed"] for task in response.json()} == done


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("created_at", ["c", "a", "e", "b", "d"]),
        ("-created_at", ["d", "b", "e", "a", "c"]),
        ("updated_at", ["d", "b", "e", "a", "c"]),
        ("-updated_at", ["c", "a", "e", "b", "d"]),
        ("title", ["a", "b", "c", "d", "e"]),
        ("-title", ["e", "d", "c", "b", "a"]),
    ],
)
def test_it_sorts_by_one_field(alice, five_tasks, sort, expected):
    assert titles(alice.get("/api/tasks", {"sort": sort})) == expected


@pytest.mark.parametrize("sort, descending", [("title", False), ("-title", True)])
def test_ties_break_by_id_in_the_same_direction(alice, add_task, sort, descending):
    ids = [add_task("alice-id", "same").pk for _ in range(3)]
    response = alice.get("/api/tasks", {"sort": sort})
    assert [task["id"] for task in response.json()] == sorted(ids, reverse=descending)


def test_search_is_a_case_insensitive_substring_of_title_or_description(alice, add_task):
    add_task("alice-id", "Buy MILK")
    add_task("alice-id", "Shopping", description="oat milk and bread")
    add_task("alice-id", "Call mum")
    assert sorted(titles(alice.get("/api/tasks", {"search": "milk"}))) == ["Buy MILK", "Shopping"]
    assert titles(alice.get("/api/tasks", {"search": "MUM"})) == ["Call mum"]
    assert titles(alice.get("/api/tasks", {"search": "nothing"})) == []


def test_search_treats_wildcards_literally(alice, add_task):
    add_task("alice-id", "100% done")
    add_task("alice-id", "1000 done")
    assert titles(alice.get("/api/tasks", {"search": "0%"})) == ["100% done"]
    assert titles(alice.get("/api/tasks", {"search": "_"})) == []


def test_filters_combine(alice, five_tasks):
    response = alice.get("/api/tasks", {"status": "completed", "sort": "title", "search": "D"})
    assert titles(response) == ["d"]


def test_every_list_carries_the_total(alice, five_tasks):
    assert alice.get("/api/tasks")["X-Total-Count"] == "5"
    assert alice.get("/api/tasks", {"status": "pending"})["X-Total-Count"] == "3"


def test_limit_and_offset_page_through_the_list(alice, five_tasks):
    response = alice.get("/api/tasks", {"limit": 2, "offset": 1})
    assert titles(response) == ["b", "e"]
    assert response["X-Total-Count"] == "5"
    assert links(response) == {
        "next": {"limit": ["2"], "offset": ["3"]},
        "prev": {"limit": ["2"], "offset": ["0"]},
    }


def test_the_first_page_has_no_prev_and_the_last_no_next(alice, five_tasks):
    first = alice.get("/api/tasks", {"limit": 2})
    assert set(links(first)) == {"next"}
    last = alice.get("/api/tasks", {"limit": 2, "offset": 4})
    assert titles(last) == ["c"]
    assert set(links(last)) == {"prev"}


def test_a_single_page_has_no_link_header(alice, five_tasks):
    response = alice.get("/api/tasks", {"limit": 5})
    assert len(response.json()) == 5
    assert "Link" not in response


def test_links_keep_the_other_parameters_and_are_absolute(alice, five_tasks):
    response = alice.get("/api/tasks", {"limit": 1, "status": "pending", "sort": "title"})
    next_url = response["Link"].split(";")[0][1:-1]
    assert next_url.startswith("http://testserver/api/tasks?")
    assert links(response)["next"] == {
        "limit": ["1"],
        "offset": ["1"],
        "status": ["pending"],
        "sort": ["title"],
    }


def test_offset_alone_skips_that_many(alice, five_tasks):
    response = alice.get("/api/tasks", {"offset": 3})
    assert titles(response) == ["a", "c"]
    assert response["X-Total-Count"] == "5"
    assert links(response) == {"prev": {"offset": ["0"], "limit": ["3"]}}


def test_an_offset_past_the_end_is_an_empty_page(alice, five_tasks):
    response = alice.get("/api/tasks", {"offset": 10**30})
    assert titles(response) == []
    assert response["X-Total-Count"] == "5"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"status": "ALL"},
        {"sort": "priority,title"},
        {"sort": "Priority"},
        {"sort": "title,-created_at"},
        {"sort": "--title"},
        {"sort": "id"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"limit": ""},
        {"offset": "-1"},
        {"offset": "x"},
        {"sort": ["title", "-title"]},
        {"status": ["pending", "completed"]},
    ],
)
def test_a_bad_parameter_is_a_422(alice, five_tasks, params):
    response = alice.get("/api/tasks", params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["errors"]) == set(params)


def test_limit_100_is_the_largest_page(alice, five_tasks):
    assert alice.get("/api/tasks", {"limit": 100}).status_code == 200
