"""Keeps the API's migrations and writes off Better Auth's own database."""

from django.core.management.base import CommandError
from django.db.models.signals import pre_migrate

DATABASE_ALIAS = "better_auth"


class BetterAuthRouter:
    """
    Better Auth's tables are its own: the API reads them with plain SQL
    (authn/sessions.py) and has no model there, so every model stays on the
    default database and no migration ever runs on this one.
    """

    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == DATABASE_ALIAS:
            return False
        return None


def refuse_to_migrate_better_auth(sender, using, **kwargs):
    # The router makes every operation a no-op there, but migrate would still
    # create and fill its own django_migrations table in Better Auth's database.
    if using == DATABASE_ALIAS:
        raise CommandError(
            "Better Auth's database belongs to Better Auth: this API never migrates it."
        )


pre_migrate.connect(refuse_to_migrate_better_auth, dispatch_uid="authn.refuse_to_migrate")
