"""The tags column, and the lookup behind the list's ``tag=a,b`` filter."""

import json

from django.db import models
from django.db.models import Lookup


class TagListField(models.JSONField):
    """A JSON array of tag strings (tasks/tags.py says which)."""


@TagListField.register_lookup
class HasAllTags(Lookup):
    """
    ``tags__has_all_tags=["a", "b"]``: the array holds every one of them. On
    PostgreSQL it is jsonb containment (``@>``), which the GIN index on the
    column serves; elsewhere (SQLite) one ``json_each`` test per tag.
    """

    lookup_name = "has_all_tags"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        test = f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)"
        params = []
        for tag in self.rhs:
            params += [*lhs_params, tag]
        return " AND ".join([test] * len(self.rhs)), params

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps(self.rhs)]
