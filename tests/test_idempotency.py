"""Idempotent creates: POST /api/tasks with an Idempotency-Key."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.models import IdempotencyKey, Task

pytestmark = pytest.mark.django_db


def post(client, body, key="key-1", **extra):
    return client.post("/api/tasks", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_a_retry_answers_the_first_answer_and_creates_nothing(alice):
    first = post(alice, {"title": "Buy milk", "tags": ["Home"]})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    retry = post(alice, {"title": "Buy milk", "tags": ["Home"]})
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry["ETag"] == first["ETag"]
    assert Task.objects.count() == 1


def test_the_replay_is_the_first_answer_even_after_the_task_changed(alice):
    first = post(alice, {"title": "Buy milk"})
    alice.patch(f"/api/tasks/{first.json()['id']}", {"title": "Changed"}, format="json")
    retry = post(alice, {"title": "Buy milk"})
    assert retry.json() == first.json()
    assert Task.objects.count() == 1


def test_bodies_are_compared_as_parsed_json(alice):
    assert post(alice, {"title": "Buy milk", "priority": "high"}).status_code == 201
    raw = b'{ "priority" : "high",\n  "title": "Buy milk" }'
    retry = alice.post(
        "/api/tasks", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert retry["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [{"title": "Buy bread"}, {"title": "Buy milk", "priority": "low"}, {"title": "Buy milk "}],
)
def test_the_same_key_with_another_body_is_a_422_that_creates_nothing(alice, other):
    post(alice, {"title": "Buy milk"})
    response = post(alice, other)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Task.objects.count() == 1


def test_keys_belong_to_one_user(alice, bob):
    post(alice, {"title": "Buy milk"})
    response = post(bob, {"title": "Buy milk"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Task.objects.filter(owner_id="bob-id").count() == 1
    assert bob.get("/api/tasks").json() == [response.json()]


def test_a_request_that_failed_is_not_remembered(alice):
    assert post(alice, {"title": ""}).status_code == 422
    response = post(alice, {"title": "Fixed"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert post(alice, {"title": "Fixed"})["Idempotent-Replayed"] == "true"


def test_malformed_json_with_a_key_is_not_remembered(alice):
    bad = alice.post(
        "/api/tasks", b"{", content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert bad.status_code == 400
    assert post(alice, {"title": "Fine"}).status_code == 201
    assert not IdempotencyKey.objects.filter(status=None).exists()


def test_different_keys_make_different_tasks(alice):
    post(alice, {"title": "Buy milk"}, key="a")
    post(alice, {"title": "Buy milk"}, key="b")
    assert Task.objects.count() == 2


def test_without_a_key_every_post_creates(alice):
    alice.post("/api/tasks", {"title": "Buy milk"}, format="json")
    alice.post("/api/tasks", {"title": "Buy milk"}, format="json")
    assert Task.objects.count() == 2


@pytest.mark.parametrize(
    "key",
    ["", " ", "has space", "tab\tkey", "x" * 256, "ünïcode", "key\x7f", "key\x01"],
)
def test_a_bad_key_is_a_422_naming_the_header(alice, key):
    response = post(alice, {"title": "Buy milk"}, key=key)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "Idempotency-Key" in response.json()["errors"]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("key", ["!", "~", "x" * 255, "0b4f6e1c-7f3a-4d1e-9c0d-2f6b8a1e5d44"])
def test_visible_ascii_keys_of_1_to_255_characters_are_fine(alice, key):
    assert post(alice, {"title": "Buy milk"}, key=key).status_code == 201


def test_a_key_is_forgotten_after_24_hours(alice):
    first = post(alice, {"title": "Buy milk"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    again = post(alice, {"title": "Buy milk"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1


def test_a_key_is_still_replayed_just_before_24_hours(alice):
    post(alice, {"title": "Buy milk"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    assert post(alice, {"title": "Buy milk"})["Idempotent-Replayed"] == "true"


def test_purge_expired_forgets_old_keys(alice, bob):
    post(alice, {"title": "old"}, key="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    post(bob, {"title": "new"}, key="new")
    call_command("purge_expired")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_replay_also_answers_under_the_user_path(alice):
    first = alice.post(
        "/api/alice-id/tasks", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    retry = post(alice, {"title": "x"}, key="k")
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
