"""ASGI entry point, for servers such as uvicorn or daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")

application = get_asgi_application()

# Refuse to start, rather than fail every request, when configuration is missing.
from todo_project.startup import refuse_to_serve_without_configuration  # noqa: E402

refuse_to_serve_without_configuration()
