"""
gunicorn settings, read from the working directory: ``gunicorn`` alone starts the API.

Workers and threads follow the CPU count. WEB_CONCURRENCY (workers),
GUNICORN_THREADS and PORT override them, as on most platforms; these are
server settings, so they are read here rather than in Django's settings.
"""

import multiprocessing
import os

wsgi_app = "todo_project.wsgi:application"
bind = [f"0.0.0.0:{os.environ['PORT']}"] if os.environ.get("PORT") else ["127.0.0.1:8000"]

# Threads, not sync workers: a sync worker is faster under load (p99 latency
# 2-2.5 times lower in bench/README.md) but a browser's idle pre-opened
# connection holds one for the whole timeout, so it needs a buffering proxy in
# front. Of the gthread sizes measured on 2 cores, this one served the most.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
worker_class = "gthread" if threads > 1 else "sync"

# Room for a header up to 64 KiB, so an oversized token reaches the app and
# gets its 401 rather than the server's bare 431.
limit_request_field_size = 65536

timeout = 30
graceful_timeout = 20
keepalive = 5
# The app logs one line per request (todo.requests); gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
