"""
Model instances by plain SQL, for the lookups every request makes (its user,
the task it writes): composing and compiling a queryset, or a raw queryset's
column mapping, cost more there than the query itself (bench/README.md).
The values go through the converters the ORM applies, so an instance is the
one get() would give.
"""

from functools import cache

from django.db import connections


@cache
def row_reader(model, alias: str, vendor: str):
    """The fields of ``model``'s rows and each one's converters on ``alias``."""
    connection = connections[alias]
    readers = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(expression)
        readers.append((field, expression, converters + expression.get_db_converters(connection)))
    return readers


@cache
def select_list(model, alias: str = "default", table: str | None = None) -> str:
    # Cached: a write names every column several times in its statement, and
    # quoting them again on each request took 5-7% of a write's CPU.
    connection = connections[alias]
    prefix = f"{table}." if table else ""
    return ", ".join(
        prefix + connection.ops.quote_name(field.column) for field in model._meta.concrete_fields
    )


def instance_from_row(model, row, alias: str = "default"):
    """The instance of a row read with select_list(model)."""
    connection = connections[alias]
    values = []
    readers = row_reader(model, alias, connection.vendor)
    for value, (_, expression, converters) in zip(row, readers, strict=True):
        for converter in converters:
            value = converter(value, expression, connection)
        values.append(value)
    return model.from_db(alias, [field.attname for field, _, _ in readers], values)


def fetch_instance(model, where: str, params, alias: str = "default"):
    """The instance of the one row ``WHERE {where}``, or None."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select_list(model, alias)} FROM {model._meta.db_table} WHERE {where}", params
        )
        row = cursor.fetchone()
    return None if row is None else instance_from_row(model, row, alias)
