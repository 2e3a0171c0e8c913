from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "task events"

    def ready(self):
        from . import checks  # noqa: F401
