"""
Property-based isolation: whatever sequence of operations three users make,
nobody ever sees or changes another user's task. Hypothesis drives the API
and compares every answer with a plain model of who owns what.
"""

import time

import jwt
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from tasks.models import Task

from .conftest import TEST_SECRET

USERS = ["ana-id", "ben-id", "cho-id"]
TITLES = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
).filter(str.strip)


def client_for(user_id):
    now = int(time.time())
    token = jwt.encode({"sub": user_id, "iat": now, "exp": now + 3600}, TEST_SECRET)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


class ThreeUsers(RuleBasedStateMachine):
    task_ids = Bundle("task_ids")

    def __init__(self):
        super().__init__()
        Task.objects.all().delete()
        self.clients = {user: client_for(user) for user in USERS}
        # The model: task id -> (owner, title, completed).
        self.tasks: dict[int, tuple[str, str, bool]] = {}

    @rule(target=task_ids, user=st.sampled_from(USERS), title=TITLES)
    def create(self, user, title):
        response = self.clients[user].post("/api/tasks", {"title": title}, format="json")
        assert response.status_code == 201
        task = response.json()
        self.tasks[task["id"]] = (user, task["title"], False)
        return task["id"]

    @rule(user=st.sampled_from(USERS))
    def list_own(self, user):
        response = self.clients[user].get("/api/tasks")
        assert response.status_code == 200
        seen = {task["id"]: (user, task["title"], task["completed"]) for task in response.json()}
        expected = {id_: task for id_, task in self.tasks.items() if task[0] == user}
        assert seen == expected

    @rule(user=st.sampled_from(USERS), task_id=task_ids)
    def read(self, user, task_id):
        response = self.clients[user].get(f"/api/tasks/{task_id}")
        assert response.status_code == self.expected_status(user, task_id, 200)

    @rule(user=st.sampled_from(USERS), task_id=task_ids, title=TITLES)
    def rename(self, user, task_id, title):
        response = self.clients[user].patch(
            f"/api/tasks/{task_id}", {"title": title}, format="json"
        )
        assert response.status_code == self.expected_status(user, task_id, 200)
        if response.status_code == 200:
            owner, _, completed = self.tasks[task_id]
            self.tasks[task_id] = (owner, response.json()["title"], completed)

    @rule(user=st.sampled_from(USERS), task_id=task_ids)
    def toggle(self, user, task_id):
        response = self.clients[user].patch(f"/api/tasks/{task_id}/complete")
        assert response.status_code == self.expected_status(user, task_id, 200)
        if response.status_code == 200:
            owner, title, completed = self.tasks[task_id]
            self.tasks[task_id] = (owner, title, not completed)

    @rule(user=st.sampled_from(USERS), task_id=task_ids)
    def delete(self, user, task_id):
        response = self.clients[user].delete(f"/api/tasks/{task_id}")
        assert response.status_code == self.expected_status(user, task_id, 204)
        if response.status_code == 204:
            del self.tasks[task_id]

    def expected_status(self, user, task_id, success):
        if task_id not in self.tasks:
            return 404
        return success if self.tasks[task_id][0] == user else 403

    @invariant()
    def database_matches_the_model(self):
        stored = {
            task.pk: (task.owner_id, task.title, task.completed) for task in Task.objects.all()
        }
        assert stored == self.tasks


@pytest.mark.django_db
def test_no_sequence_of_operations_crosses_users():
    run_state_machine_as_test(
        ThreeUsers,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
