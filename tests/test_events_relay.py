"""
The relay (events/relay.py) against sinks in memory: order per owner and
sink, retries with backoff, dead events, sinks independent of each other,
and two relays at once. tests/test_events_delivery.py runs the same through
the real worker, API, Redis and webhooks.
"""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from events.models import Event, EventState, Lane
from events.relay import Relay, backoff

from .memory_sink import MemorySink, add_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream():
    return MemorySink("stream")


@pytest.fixture
def hook():
    return MemorySink("hook")


@pytest.fixture
def relay(stream, hook):
    relay = Relay([stream, hook])
    yield relay
    relay.close()


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_it_delivers_every_owners_events_to_every_sink_in_order(relay, stream, hook):
    for sequence in range(1, 6):
        add_event("alice-id", task_id=sequence, sequence=sequence)
        add_event("bob-id", task_id=100 + sequence, sequence=sequence)
    relay.run_once()
    for sink in (stream, hook):
        assert sink.subjects("alice-id") == ["1", "2", "3", "4", "5"]
        assert sink.subjects("bob-id") == ["101", "102", "103", "104", "105"]
    assert set(Event.objects.values_list("state", flat=True)) == {EventState.DELIVERED}
    assert Event.objects.filter(delivered_at__isnull=True).count() == 0
    # Nothing is sent twice.
    relay.run_once()
    assert len(stream.taken) == len(hook.taken) == 10


def test_a_reminder_after_a_change_with_the_same_sequence_comes_after_it(relay, stream):
    add_event("alice-id", task_id=1, sequence=1)
    add_event("alice-id", task_id=1, sequence=1, type="todo.task.reminder")
    relay.run_once()
    assert [event["type"] for event in stream.taken] == ["todo.task.updated", "todo.task.reminder"]


def test_a_refused_event_holds_back_that_owners_later_events_at_that_sink_only(relay, stream, hook):
    hook.refuse = lambda event: "HTTP 500" if event["subject"] == "2" else ""
    for sequence in (1, 2, 3):
        add_event("alice-id", task_id=sequence, sequence=sequence)
        add_event("bob-id", task_id=100 + sequence, sequence=sequence)
    relay.run_once()
    assert stream.subjects("alice-id") == ["1", "2", "3"]
    assert hook.subjects("alice-id") == ["1"]
    assert hook.subjects("bob-id") == ["101", "102", "103"]
    failed = Event.objects.get(task_id=2)
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 1, "HTTP 500")
    lane = Lane.objects.get(sink="hook", owner_id="alice-id")
    assert lane.failures == 1
    # Not before its backoff, then in order.
    relay.run_once()
    assert hook.subjects("alice-id") == ["1"]
    hook.refuse = lambda event: ""
    relay.run_once(now=later(1.5))
    assert hook.subjects("alice-id") == ["1", "2", "3"]
    assert not Event.objects.exclude(state=EventState.DELIVERED).exists()


def test_backoff_starts_near_a_second_and_doubles_up_to_five_minutes():
    waits = [backoff(failures).total_seconds() for failures in range(1, 13)]
    assert waits[0] == 1
    assert all(b >= 2 * a or b == 300 for a, b in zip(waits, waits[1:], strict=False))
    assert max(waits) == 300


def test_a_lane_waits_longer_after_each_failure(relay, hook):
    hook.refuse = lambda event: "HTTP 503"
    add_event("alice-id", task_id=1, sequence=1)
    now = datetime.now(UTC)
    waits = []
    for _ in range(4):
        relay.run_once(now=now)
        lane = Lane.objects.get(sink="hook", owner_id="alice-id")
        waits.append((lane.retry_at - now).total_seconds())
        now = lane.retry_at
    assert waits == [1, 2, 4, 8]
    assert Event.objects.get().attempts == 4


def test_after_max_attempts_an_event_is_dead_and_the_owners_later_events_go_on(
    relay, stream, hook, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    hook.refuse = lambda event: "HTTP 410" if event["subject"] == "1" else ""
    add_event("alice-id", task_id=1, sequence=1)
    add_event("alice-id", task_id=2, sequence=2)
    now = datetime.now(UTC)
    for _ in range(3):
        relay.run_once(now=now)
        now += timedelta(minutes=5)
    relay.run_once(now=now)
    assert hook.subjects("alice-id") == ["2"]
    assert stream.subjects("alice-id") == ["1", "2"]
    dead = Event.objects.get(task_id=1)
    assert (dead.state, dead.attempts, dead.last_error, dead.dead_sinks) == (
        "dead",
        3,
        "HTTP 410",
        "hook",
    )
    assert Event.objects.get(task_id=2).state == EventState.DELIVERED
    assert Event.objects.backlog() == {"pending": 0, "oldest_pending_seconds": None, "dead": 1}


def test_two_sinks_giving_up_on_one_event_are_both_remembered(relay, stream, hook, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    stream.refuse = hook.refuse = lambda event: "HTTP 500"
    add_event("alice-id", task_id=1, sequence=1)
    relay.run_once()
    dead = Event.objects.get()
    assert dead.state == EventState.DEAD
    assert sorted(dead.dead_sink_names()) == ["hook", "stream"]


def test_a_retried_dead_event_goes_again_to_the_sinks_that_gave_up_only(
    relay, stream, hook, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 1
    hook.refuse = lambda event: "HTTP 500"
    event = add_event("alice-id", task_id=1, sequence=1)
    relay.run_once()
    assert Event.objects.get().state == EventState.DEAD
    Event.objects.filter(pk=event.pk).update(state=EventState.RETRY, attempts=0)
    hook.refuse = lambda event: ""
    relay.run_once()
    assert len(stream.taken) == 1
    assert hook.ids() == [str(event.event_id)]
    event.refresh_from_db()
    assert (event.state, event.dead_sinks) == ("delivered", "")


def test_a_down_sink_holds_back_nothing_of_the_others(relay, stream, hook):
    stream.down = True
    add_event("alice-id", task_id=1, sequence=1)
    add_event("bob-id", task_id=2, sequence=1)
    relay.run_once()
    assert stream.taken == []
    assert len(hook.taken) == 2
    assert Event.objects.backlog()["pending"] == 2
    # Left alone for its backoff, then everything, in order.
    add_event("alice-id", task_id=3, sequence=2)
    relay.run_once()
    assert hook.subjects("alice-id") == ["1", "3"]
    assert stream.taken == []
    stream.down = False
    relay.run_once(now=later(2))
    assert stream.subjects("alice-id") == ["1", "3"]
    assert stream.subjects("bob-id") == ["2"]
    assert Event.objects.backlog()["pending"] == 0


def test_a_sink_down_for_many_owners_is_tried_again_after_about_a_second(relay, stream):
    stream.down = True
    for n in range(10):
        add_event(f"owner-{n}", task_id=n, sequence=1)
    relay.run_once()
    stream.down = False
    relay.run_once(now=later(0.5))
    assert stream.taken == []
    relay.run_once(now=later(1.5))
    assert len(stream.taken) == 10


def test_a_round_with_more_to_do_says_so_unless_every_lane_waits(relay, stream, hook, monkeypatch):
    from events import relay as relay_module

    monkeypatch.setattr(relay_module, "OWNERS_PER_ROUND", 2)
    for n in range(5):
        add_event(f"owner-{n}", task_id=n, sequence=1)
    assert relay.run_once().full
    stream.down = hook.down = True
    add_event("owner-0", task_id=9, sequence=2)
    add_event("owner-1", task_id=9, sequence=2)
    for _ in range(3):
        relay.run_once()
    # Both sinks are paused: a round finds nothing it may send, and rests.
    assert not relay.run_once().full


def test_a_sink_added_later_gets_what_is_pending_not_what_was_delivered(stream, hook):
    first = Relay([stream])
    add_event("alice-id", task_id=1, sequence=1)
    first.run_once()
    first.close()
    add_event("alice-id", task_id=2, sequence=2)
    both = Relay([stream, hook])
    both.run_once()
    both.close()
    assert hook.subjects("alice-id") == ["2"]
    assert stream.subjects("alice-id") == ["1", "2"]


def test_events_only_a_removed_sink_still_had_to_take_are_let_go(stream, hook):
    stream.down = True
    both = Relay([stream, hook])
    add_event("alice-id", task_id=1, sequence=1)
    both.run_once()
    both.close()
    assert Event.objects.get().state == EventState.PENDING
    only_hook = Relay([hook])
    only_hook.run_once()
    only_hook.close()
    assert Event.objects.get().state == EventState.DELIVERED
    assert len(hook.taken) == 1


def test_an_event_as_delivered_is_cloudevents_json(relay, stream, settings):
    settings.EVENTS_SOURCE = "https://api.example.com"
    time_ = datetime(2026, 12, 3, 7, 24, 5, 123456, tzinfo=UTC)
    event = add_event("alice-id", task_id=42, sequence=7, type="todo.task.created", time=time_)
    relay.run_once()
    assert stream.taken == [
        {
            "specversion": "1.0",
            "id": str(event.event_id),
            "source": "https://api.example.com",
            "type": "todo.task.created",
            "subject": "42",
            "time": "2026-12-03T07:24:05.123456Z",
            "datacontenttype": "application/json",
            "sequence": "7",
            "data": {"user_id": "alice-id", "task": {"id": 42}},
        }
    ]
    assert json.loads(event.to_cloudevent()) == stream.taken[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one worker")
def test_two_relays_at_once_share_the_owners_and_keep_each_owners_order():
    """Both run while events keep coming: each event once, each owner's in order."""
    sink = MemorySink("hook")
    owners = [f"owner-{n}" for n in range(6)]
    per_owner = 40
    done = threading.Event()
    took = {}

    def slow_refuse(event):
        # Slow enough that both relays have owners in hand at once.
        time.sleep(0.002)
        return ""

    sink.refuse = slow_refuse

    def write():
        try:
            for sequence in range(1, per_owner + 1):
                for owner in owners:
                    add_event(owner, task_id=sequence, sequence=sequence)
        finally:
            connections.close_all()

    def run(name):
        relay = Relay([sink])
        try:
            while not done.is_set():
                took[name] = took.get(name, 0) + sum(relay.run_once().delivered.values())
        finally:
            relay.close()
            connections.close_all()

    writer = threading.Thread(target=write)
    relays = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    writer.start()
    for thread in relays:
        thread.start()
    writer.join()
    deadline = time.monotonic() + 30
    while len(sink.taken) < len(owners) * per_owner and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    for thread in relays:
        thread.join()
    assert len(sink.ids()) == len(set(sink.ids())) == len(owners) * per_owner
    for owner in owners:
        assert sink.subjects(owner) == [str(n) for n in range(1, per_owner + 1)]
    assert took["first"] > 0 and took["second"] > 0
