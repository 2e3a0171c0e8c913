from django.contrib.staticfiles.management.commands import runserver

from todo_project.startup import refuse_to_serve_without_configuration


class Command(runserver.Command):
    """runserver that refuses to start without the configuration it needs to serve."""

    def handle(self, *args, **options):
        # Here, before the autoreloader starts: after it, an error only waits
        # for a code change instead of stopping the command.
        refuse_to_serve_without_configuration()
        super().handle(*args, **options)
