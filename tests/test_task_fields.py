"""The fields a task gained for real frontends: priority, due date, tags, recurrence."""

from datetime import UTC, datetime

import pytest

from tasks.models import Task

from .test_validation import assert_invalid

pytestmark = pytest.mark.django_db


def create(client, **fields):
    return client.post("/api/tasks", {"title": "Buy milk", **fields}, format="json")


def test_a_new_task_has_the_defaults(alice):
    task = create(alice).json()
    assert task["priority"] == "medium"
    assert task["due_at"] is None
    assert task["tags"] == []
    assert task["recurrence"] is None
    assert task["completed_at"] is None
    assert task["next_occurrence_id"] is None


@pytest.mark.parametrize("priority", ["low", "medium", "high"])
def test_each_priority_is_kept(alice, priority):
    response = create(alice, priority=priority)
    assert response.status_code == 201
    assert response.json()["priority"] == priority
    assert Task.objects.get().priority == priority


@pytest.mark.parametrize("priority", [None, "HIGH", "High", 2, "", "urgent", ["high"], True])
def test_any_other_priority_is_a_422(alice, priority):
    assert_invalid(create(alice, priority=priority), "priority")
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("2026-12-05T17:00:00Z", "2026-12-05T17:00:00Z"),
        ("2026-12-05T18:00:00+01:00", "2026-12-05T17:00:00Z"),
        ("2026-12-05T12:30:00-04:30", "2026-12-05T17:00:00Z"),
        ("2026-12-05t17:00:00z", "2026-12-05T17:00:00Z"),
        ("2026-12-05T17:00:00.250000Z", "2026-12-05T17:00:00.250000Z"),
        ("2026-12-05T17:00:00.5+00:00", "2026-12-05T17:00:00.500000Z"),
        ("2027-01-01T00:30:00+01:00", "2026-12-31T23:30:00Z"),
    ],
)
def test_due_at_takes_an_offset_and_is_returned_in_utc(alice, sent, stored):
    response = create(alice, due_at=sent)
    assert response.status_code == 201
    assert response.json()["due_at"] == stored
    assert alice.get(f"/api/tasks/{response.json()['id']}").json()["due_at"] == stored


@pytest.mark.parametrize(
    "due_at",
    [
        "2026-12-05T17:00:00",
        "2026-12-05 17:00:00",
        "2026-12-05",
        "17:00:00Z",
        "tomorrow",
        "",
        "2026-13-05T17:00:00Z",
        "2026-02-30T17:00:00Z",
        "2026-12-05T24:00:00Z",
        "2026-12-05T17:00:00+25:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
        1764954000,
        True,
        {"date": "2026-12-05"},
    ],
)
def test_a_due_at_without_an_offset_or_not_a_date_time_is_a_422(alice, due_at):
    assert_invalid(create(alice, due_at=due_at), "due_at")
    assert not Task.objects.exists()


@pytest.mark.parametrize("due_at", ["2026-12-05T17:00:00", "2026-12-05"])
def test_the_message_says_an_offset_is_needed(alice, due_at):
    message = create(alice, due_at=due_at).json()["errors"]["due_at"][0]
    assert "offset" in message


def test_due_at_can_be_cleared(alice):
    task = create(alice, due_at="2026-12-05T17:00:00Z").json()
    response = alice.patch(f"/api/tasks/{task['id']}", {"due_at": None}, format="json")
    assert response.status_code == 200
    assert response.json()["due_at"] is None


@pytest.mark.parametrize(
    "sent, stored",
    [
        (["errands", "home"], ["errands", "home"]),
        (["  Home ", "ERRANDS"], ["home", "errands"]),
        (["home", "Home", "HOME ", "work", "home"], ["home", "work"]),
        (["zeta", "alpha", "mid"], ["zeta", "alpha", "mid"]),
        (["Straße", "ÉTÉ"], ["straße", "été"]),
        (["two words"], ["two words"]),
        ([], []),
        (["x" * 32], ["x" * 32]),
        ([f"  {'y' * 32}  "], ["y" * 32]),
        ([f"tag{n}" for n in range(20)], [f"tag{n}" for n in range(20)]),
        ([f"tag{n}" for n in range(20)] + ["TAG0", "tag1 "], [f"tag{n}" for n in range(20)]),
    ],
)
def test_tags_are_trimmed_lower_cased_and_deduplicated_in_order(alice, sent, stored):
    response = create(alice, tags=sent)
    assert response.status_code == 201
    assert response.json()["tags"] == stored
    assert Task.objects.get().tags == stored


@pytest.mark.parametrize(
    "tags",
    [
        "home",
        "home,work",
        {"home": True},
        None,
        5,
        [5],
        ["home", None],
        [["home"]],
        [""],
        ["   "],
        ["x" * 33],
        ["a,b"],
        ["tab\there"],
        ["new\nline"],
        ["nul\x00"],
        ["del\x7f"],
        ["c1\x85control"],
        [f"tag{n}" for n in range(21)],
    ],
)
def test_a_bad_tag_list_is_a_422_naming_tags(alice, tags):
    assert_invalid(create(alice, tags=tags), "tags")
    assert not Task.objects.exists()


def test_tags_are_replaced_as_a_whole(alice):
    task = create(alice, tags=["home", "errands"]).json()
    response = alice.patch(f"/api/tasks/{task['id']}", {"tags": ["Work"]}, format="json")
    assert response.json()["tags"] == ["work"]
    response = alice.patch(f"/api/tasks/{task['id']}", {"tags": []}, format="json")
    assert response.json()["tags"] == []


@pytest.mark.parametrize(
    "sent, returned",
    [
        ({"frequency": "daily", "interval": 3}, {"frequency": "daily", "interval": 3}),
        ({"frequency": "weekly"}, {"frequency": "weekly", "interval": 1}),
        ({"frequency": "monthly", "interval": 365}, {"frequency": "monthly", "interval": 365}),
        ({"frequency": "yearly", "interval": 1}, {"frequency": "yearly", "interval": 1}),
        (None, None),
    ],
)
def test_a_recurrence_spells_both_keys(alice, sent, returned):
    response = create(alice, due_at="2026-12-05T17:00:00Z", recurrence=sent)
    assert response.status_code == 201
    assert response.json()["recurrence"] == returned
    assert alice.get(f"/api/tasks/{response.json()['id']}").json()["recurrence"] == returned


@pytest.mark.parametrize(
    "recurrence",
    [
        "weekly",
        ["weekly"],
        5,
        True,
        {},
        {"interval": 2},
        {"frequency": "hourly"},
        {"frequency": "WEEKLY"},
        {"frequency": None},
        {"frequency": 7},
        {"frequency": "daily", "interval": 0},
        {"frequency": "daily", "interval": 366},
        {"frequency": "daily", "interval": -1},
        {"frequency": "daily", "interval": "2"},
        {"frequency": "daily", "interval": 2.0},
        {"frequency": "daily", "interval": 1.5},
        {"frequency": "daily", "interval": True},
        {"frequency": "daily", "interval": None},
    ],
)
def test_a_bad_recurrence_is_a_422_naming_recurrence(alice, recurrence):
    body = {"due_at": "2026-12-05T17:00:00Z", "recurrence": recurrence}
    assert_invalid(create(alice, **body), "recurrence")
    assert not Task.objects.exists()


def test_a_recurrence_needs_a_due_date_on_create(alice):
    assert_invalid(create(alice, recurrence={"frequency": "daily"}), "recurrence")
    body = {"recurrence": {"frequency": "daily"}, "due_at": None}
    assert_invalid(create(alice, **body), "recurrence")
    assert not Task.objects.exists()


def test_setting_a_recurrence_on_an_undated_task_is_a_422(alice):
    task = create(alice).json()
    response = alice.patch(
        f"/api/tasks/{task['id']}", {"recurrence": {"frequency": "weekly"}}, format="json"
    )
    assert_invalid(response, "recurrence")
    assert Task.objects.get().recurrence_frequency is None


def test_clearing_the_due_date_of_a_recurring_task_is_a_422(alice):
    body = {"due_at": "2026-12-05T17:00:00Z", "recurrence": {"frequency": "weekly"}}
    task = create(alice, **body).json()
    assert_invalid(
        alice.patch(f"/api/tasks/{task['id']}", {"due_at": None}, format="json"), "due_at"
    )
    assert Task.objects.get().due_at is not None


def test_a_recurrence_and_its_due_date_can_be_set_and_cleared_together(alice):
    task = create(alice).json()
    body = {"due_at": "2026-12-05T17:00:00Z", "recurrence": {"frequency": "daily"}}
    response = alice.patch(f"/api/tasks/{task['id']}", body, format="json")
    assert response.status_code == 200
    assert response.json()["recurrence"] == {"frequency": "daily", "interval": 1}
    body = {"due_at": None, "recurrence": None}
    response = alice.put(f"/api/tasks/{task['id']}", body, format="json")
    assert response.status_code == 200
    assert (response.json()["due_at"], response.json()["recurrence"]) == (None, None)


def test_completed_at_follows_completion(alice):
    task = create(alice).json()
    done = alice.patch(f"/api/tasks/{task['id']}/complete").json()
    assert done["completed_at"] == done["updated_at"]
    renamed = alice.patch(f"/api/tasks/{task['id']}", {"title": "Buy oat milk"}, format="json")
    assert renamed.json()["completed_at"] == done["completed_at"]
    again = alice.put(f"/api/tasks/{task['id']}", {"completed": True}, format="json")
    assert again.json()["completed_at"] == done["completed_at"]
    reopened = alice.patch(f"/api/tasks/{task['id']}", {"completed": False}, format="json")
    assert reopened.json()["completed_at"] is None


def test_a_task_created_completed_is_completed_at_its_creation(alice):
    task = create(alice, completed=True).json()
    assert task["completed_at"] == task["created_at"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("completed_at", "2001-01-01T00:00:00Z"),
        ("next_occurrence_id", 1),
        ("priority_rank", 0),
        ("recurrence_frequency", "daily"),
    ],
)
def test_it_ignores_the_read_only_fields(alice, field, value):
    response = create(alice, **{field: value})
    assert response.status_code == 201
    task = Task.objects.get()
    assert task.completed_at is None
    assert task.next_occurrence_id is None
    assert task.recurrence_frequency is None


def test_a_failed_update_changes_nothing(alice):
    task = create(alice, tags=["home"], priority="high").json()
    body = {"title": "Changed", "tags": ["work"], "priority": "low", "due_at": "2026-12-05"}
    assert_invalid(alice.patch(f"/api/tasks/{task['id']}", body, format="json"), "due_at")
    assert alice.get(f"/api/tasks/{task['id']}").json() == task


def test_every_task_response_has_exactly_the_contracts_keys(alice):
    from .test_tasks_crud import TASK_KEYS

    body = {"due_at": "2026-12-05T17:00:00Z", "recurrence": {"frequency": "weekly"}, "tags": ["a"]}
    task = create(alice, **body).json()
    answers = [
        task,
        alice.get(f"/api/tasks/{task['id']}").json(),
        *alice.get("/api/tasks").json(),
        alice.patch(f"/api/tasks/{task['id']}", {"priority": "low"}, format="json").json(),
        alice.put(f"/api/tasks/{task['id']}", {"priority": "high"}, format="json").json(),
        alice.patch(f"/api/tasks/{task['id']}/complete").json(),
    ]
    assert all(list(answer) == TASK_KEYS for answer in answers)


def test_the_list_writes_each_new_field_exactly_as_the_detail_does(alice, add_task):
    add_task("alice-id", "dated", due_at=datetime(2026, 12, 5, 17, tzinfo=UTC), tags=["a", "ü"])
    add_task(
        "alice-id",
        "micro",
        due_at=datetime(2026, 12, 5, 17, 0, 0, 123, tzinfo=UTC),
        recurrence_frequency="monthly",
        recurrence_interval=2,
        priority="high",
        completed=True,
    )
    listed = alice.get("/api/tasks").json()
    assert len(listed) == 2
    for task in listed:
        assert task == alice.get(f"/api/tasks/{task['id']}").json()


def test_the_browsable_apis_form_takes_the_new_fields(admin_client):
    page = admin_client.get("/api/tasks", HTTP_ACCEPT="text/html").content.decode()
    for name in ("priority", "due_at", "tags", "recurrence"):
        assert f'name="{name}"' in page
    form = {
        "title": "From the form",
        "priority": "high",
        "due_at": "2026-12-05T18:00:00+01:00",
        "tags": "Home, errands",
        "recurrence": '{"frequency": "weekly", "interval": 2}',
        "description": "",
    }
    response = admin_client.post("/api/tasks", form, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    task = response.json()
    assert task["priority"] == "high"
    assert task["due_at"] == "2026-12-05T17:00:00Z"
    assert task["tags"] == ["home", "errands"]
    assert task["recurrence"] == {"frequency": "weekly", "interval": 2}


def test_the_form_leaves_the_optional_fields_empty(admin_client):
    form = {"title": "Plain", "due_at": "", "tags": "", "recurrence": "", "priority": "low"}
    response = admin_client.post("/api/tasks", form, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["due_at"], response.json()["tags"]) == (None, [])
    assert response.json()["recurrence"] is None
