"""
A sink that keeps what it takes in memory, to test the relay without a
Redis or a receiver, and fails on purpose when told to.
"""

import json
import threading
from datetime import UTC, datetime

from events.models import Event, EventType
from events.sinks import Outcome


class MemorySink:
    def __init__(self, name: str):
        self.name = name
        self.taken: list[dict] = []
        self.lock = threading.Lock()
        # "down": every delivery fails as an unreachable sink's would.
        self.down = False
        # A function of the event: a reason to refuse it, or "" to take it.
        self.refuse = lambda event: ""

    def deliver(self, queues):
        return [self.deliver_queue(queue) for queue in queues]

    def deliver_queue(self, queue) -> Outcome:
        for taken, (event_id, body) in enumerate(queue):
            event = json.loads(body)
            assert event["id"] == event_id
            if self.down:
                return Outcome(taken, "connection refused", unavailable=True)
            reason = self.refuse(event)
            if reason:
                return Outcome(taken, reason)
            with self.lock:
                self.taken.append(event)
        return Outcome(len(queue))

    def close(self):
        pass

    def ids(self) -> list[str]:
        return [event["id"] for event in self.taken]

    def subjects(self, owner_id: str) -> list[str]:
        return [event["subject"] for event in self.taken if event["data"]["user_id"] == owner_id]


def add_event(owner_id: str, task_id: int, sequence: int, **fields) -> Event:
    """An outbox row as a write would leave it."""
    data = json.dumps({"user_id": owner_id, "task": {"id": task_id}})
    return Event.objects.create(
        owner_id=owner_id,
        type=fields.pop("type", EventType.UPDATED),
        task_id=task_id,
        sequence=sequence,
        time=fields.pop("time", datetime.now(UTC)),
        data=data,
        **fields,
    )
