"""``GET /api/tags``: each of the caller's tags with the number of tasks that carry it."""

from django.db import connection

from .models import Task

# A task's tags are distinct, so the rows per tag are its tasks.
COUNT_SQL = {
    "postgresql": (
        "SELECT tag, COUNT(*) FROM {table}, jsonb_array_elements_text({table}.tags) AS tag "
        "WHERE {table}.user_id = %s GROUP BY tag"
    ),
    "sqlite": (
        "SELECT tag.value, COUNT(*) FROM {table}, json_each({table}.tags) AS tag "
        "WHERE {table}.user_id = %s GROUP BY tag.value"
    ),
}


def tag_counts(user) -> list[dict]:
    sql = COUNT_SQL[connection.vendor].format(table=Task._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    # Sorted here, by code point, so that both databases give the same order
    # whatever their collation.
    return [{"name": name, "count": count} for name, count in sorted(rows)]


POPULAR_SQL = {
    "postgresql": (
        "SELECT tag FROM {table}, jsonb_array_elements_text({table}.tags) AS tag "
        "GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT %s"
    ),
    "sqlite": (
        "SELECT tag.value FROM {table}, json_each({table}.tags) AS tag "
        "GROUP BY tag.value ORDER BY COUNT(*) DESC, tag.value LIMIT %s"
    ),
}


def popular_tags(limit: int) -> list[str]:
    """The tags on most tasks, of all users, for the admin's filter."""
    sql = POPULAR_SQL[connection.vendor].format(table=Task._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return sorted(tag for (tag,) in cursor.fetchall())
