"""The outbox in the admin: events with their delivery state, and retrying dead ones."""

import pytest

from events.models import Event, EventState, Lane

from .memory_sink import add_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead():
    return add_event(
        "alice-id",
        task_id=7,
        sequence=3,
        state=EventState.DEAD,
        attempts=20,
        last_error="HTTP 500",
        dead_sinks="webhook:https://app.example.com/hook 1a2b3c4d",
    )


def test_the_list_shows_state_attempts_and_last_error(admin_client, dead):
    add_event("bob-id", task_id=8, sequence=1, state=EventState.DELIVERED)
    page = admin_client.get("/admin/events/event/")
    assert page.status_code == 200
    for text in (b"todo.task.updated", b"dead", b"HTTP 500", b"delivered", b"alice-id"):
        assert text in page.content
    only_dead = admin_client.get("/admin/events/event/", {"state__exact": "dead"}).content
    assert b"alice-id" in only_dead and b"bob-id" not in only_dead


def test_retry_sends_dead_events_again_and_leaves_the_others(admin_client, dead):
    delivered = add_event("bob-id", task_id=8, sequence=1, state=EventState.DELIVERED)
    response = admin_client.post(
        "/admin/events/event/",
        {"action": "retry", "_selected_action": [dead.pk, delivered.pk]},
        follow=True,
    )
    assert b"1 dead event(s) will be sent again" in response.content
    dead.refresh_from_db()
    delivered.refresh_from_db()
    assert (dead.state, dead.attempts, dead.dead_sinks) == (
        "retry",
        0,
        "webhook:https://app.example.com/hook 1a2b3c4d",
    )
    assert delivered.state == EventState.DELIVERED


def test_an_event_shows_as_delivered_and_cannot_be_edited_or_added(admin_client, dead):
    page = admin_client.get(f"/admin/events/event/{dead.pk}/change/")
    assert page.status_code == 200
    assert b"&quot;specversion&quot;: &quot;1.0&quot;" in page.content
    assert str(dead.event_id).encode() in page.content
    edit = admin_client.post(f"/admin/events/event/{dead.pk}/change/", {"state": "delivered"})
    assert edit.status_code == 403
    assert Event.objects.get(pk=dead.pk).state == EventState.DEAD
    assert admin_client.get("/admin/events/event/add/").status_code == 403


def test_an_admin_may_delete_a_dead_event(admin_client, dead):
    admin_client.post(f"/admin/events/event/{dead.pk}/delete/", {"post": "yes"})
    assert not Event.objects.filter(pk=dead.pk).exists()


def test_lanes_show_where_each_sink_waits(admin_client):
    Lane.objects.create(
        sink="redis-stream:todo", owner_id="alice-id", failures=2, last_error="down"
    )
    page = admin_client.get("/admin/events/lane/")
    assert page.status_code == 200
    assert b"redis-stream:todo" in page.content and b"down" in page.content
