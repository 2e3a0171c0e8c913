"""WSGI entry point, served by granian (the Procfile's web line): ``todo_project.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")

application = get_wsgi_application()

# Refuse to start, rather than fail every request, when configuration is missing.
from todo_project.startup import refuse_to_serve_without_configuration  # noqa: E402

refuse_to_serve_without_configuration()
