"""What /api/health says about task events, and how long delivered ones are kept."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from events.models import Event, EventState

from .memory_sink import add_event

pytestmark = pytest.mark.django_db


def test_without_a_sink_health_says_nothing_of_events(anonymous):
    assert "events" not in anonymous.get("/api/health").json()


def test_with_a_sink_health_counts_pending_and_dead_events(anonymous, settings):
    settings.EVENTS_REDIS_URL = "redis://127.0.0.1:9/0"
    assert anonymous.get("/api/health").json()["events"] == {
        "pending": 0,
        "oldest_pending_seconds": None,
        "dead": 0,
    }
    now = datetime.now(UTC)
    add_event("alice-id", task_id=1, sequence=1, time=now - timedelta(seconds=30))
    add_event("alice-id", task_id=1, sequence=2, time=now - timedelta(seconds=2))
    add_event("bob-id", task_id=2, sequence=1, state=EventState.RETRY)
    add_event("bob-id", task_id=3, sequence=2, state=EventState.DEAD)
    add_event("bob-id", task_id=4, sequence=3, state=EventState.DELIVERED)
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    events = response.json()["events"]
    assert (events["pending"], events["dead"]) == (3, 1)
    assert 30 <= events["oldest_pending_seconds"] < 40


def test_purge_deletes_delivered_events_past_their_retention_only(settings):
    settings.EVENTS_RETENTION_DAYS = 7
    old = datetime.now(UTC) - timedelta(days=7, minutes=1)
    recent = datetime.now(UTC) - timedelta(days=6)
    add_event("alice-id", task_id=1, sequence=1, state=EventState.DELIVERED, time=old)
    kept = [
        add_event("alice-id", task_id=2, sequence=2, state=EventState.DELIVERED, time=recent),
        add_event("alice-id", task_id=3, sequence=3, state=EventState.DEAD, time=old),
        add_event("alice-id", task_id=4, sequence=4, state=EventState.PENDING, time=old),
        add_event("alice-id", task_id=5, sequence=5, state=EventState.RETRY, time=old),
    ]
    call_command("purge_expired")
    assert sorted(Event.objects.values_list("pk", flat=True)) == [event.pk for event in kept]
