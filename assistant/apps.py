from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = "AI assistants (MCP)"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
