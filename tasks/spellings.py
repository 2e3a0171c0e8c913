"""
The extra keys of a task object that TASK_EXTRA_FIELDS names, for frontends
of this plan that read other names than the contract's (Contract v3):
``user_id`` (the owner), ``is_completed``, ``due_date`` and ``status``. The
task is represented in two places, Python (represent_task_row) and the SQL
that renders the list (tasks/rendering.py); both take the keys from here, so
every answer has the same ones in the same order. The input spellings
(``due_date``, ``is_completed``) live with the fields in tasks/serializers.py.
"""

from django.conf import settings

# The contract's order, whatever the order of the setting.
EXTRA_FIELDS = ("user_id", "is_completed", "due_date", "status")

# Each key's value from the task's standard keys and its owner's id.
VALUES = {
    "user_id": lambda task, owner_id: owner_id,
    "is_completed": lambda task, owner_id: task["completed"],
    "due_date": lambda task, owner_id: task["due_at"],
    "status": lambda task, owner_id: "completed" if task["completed"] else "pending",
}


def extra_fields() -> list[str]:
    """The extra keys of the running configuration, in the contract's order."""
    configured = settings.TASK_EXTRA_FIELDS
    if not configured:
        return []
    return [name for name in EXTRA_FIELDS if name in configured]


def add_extra_keys(task: dict, owner_id: str) -> dict:
    for name in extra_fields():
        task[name] = VALUES[name](task, owner_id)
    return task
