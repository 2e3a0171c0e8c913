"""
Where events go. Each sink has a ``name`` (its lanes are kept under it) and
the same two methods:

- ``deliver(queues)``: each queue is one owner's messages, ``(event id, JSON)``
  in order; answers one Outcome per queue, in the same order. A queue stops
  at its first failure, so nothing is delivered ahead of an event that was not.
- ``close()``: lets go of connections and threads.

The relay (events/relay.py) decides what to send and keeps the state; sinks
keep none.
"""

import base64
import hashlib
import http.client
import select
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry
from standardwebhooks import Webhook

# Longest wait for Redis to connect or answer a round's MULTI/EXEC.
REDIS_TIMEOUT_SECONDS = 5.0
# Webhook requests in flight at once, each for another owner.
WEBHOOK_THREADS = 8

Message = tuple[str, str]


@dataclass(frozen=True)
class Outcome:
    # The first ``delivered`` messages of the queue were taken.
    delivered: int
    # Why the next one was not ("" if it was not tried).
    error: str = ""
    # The sink itself failed (down, unreachable, timed out), not one event:
    # the relay leaves it alone for a while rather than try every owner.
    unavailable: bool = False


def describe(error: Exception) -> str:
    """A short reason for the log and the admin. Neither client puts a password or a query in it."""
    return f"{type(error).__name__}: {error}"[:300]


class RedisStreamSink:
    """One XADD a event to one stream, all of a round's in one MULTI/EXEC."""

    def __init__(self, url: str, stream: str):
        self.name = f"redis-stream:{stream}"
        self.stream = stream
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            # The relay retries with backoff; a quiet retry here would only delay that.
            retry=Retry(NoBackoff(), 0),
        )

    def deliver(self, queues: list[list[Message]]) -> list[Outcome]:
        # MULTI/EXEC: all entries or none (an error while queuing aborts the
        # whole transaction), so no owner's events are appended out of order.
        try:
            with self.client.pipeline(transaction=True) as pipeline:
                for queue in queues:
                    for _, body in queue:
                        # "event" is the contract's field; Dapr's Redis
                        # Streams pub/sub reads the same JSON from "data".
                        pipeline.xadd(self.stream, {"event": body, "data": body})
                pipeline.execute()
        except redis.RedisError as error:
            return [Outcome(0, describe(error), unavailable=True) for _ in queues]
        return [Outcome(len(queue)) for queue in queues]

    def close(self) -> None:
        self.client.close()


def webhook_name(url: str) -> str:
    """
    The URL without credentials or query (they may be secrets, and the name
    is shown in the admin), and a digest of all of it that tells apart URLs
    which differ only there.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"webhook:{parts.scheme}://{host}{parts.path}"[:180] + f" {digest}"


class WebhookSink:
    """
    A POST of each event to one URL, signed as Standard Webhooks say. An
    owner's events go one after another; several owners' at once, each
    thread on a keep-alive connection of its own.
    """

    def __init__(self, url: str, secret: str, timeout: float):
        self.name = webhook_name(url)
        self.signer = Webhook(secret)
        self.timeout = timeout
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.authorization = basic_authorization(parts.username, parts.password)
        self.threads = ThreadPoolExecutor(WEBHOOK_THREADS, thread_name_prefix="webhook")
        self.local = threading.local()
        self.connections: list[http.client.HTTPConnection] = []

    def deliver(self, queues: list[list[Message]]) -> list[Outcome]:
        down = threading.Event()
        return list(self.threads.map(lambda queue: self.deliver_queue(queue, down), queues))

    def deliver_queue(self, queue: list[Message], down: threading.Event) -> Outcome:
        for sent, (event_id, body) in enumerate(queue):
            if down.is_set():
                # Another owner's request found the receiver down: one
                # timeout a round is enough to learn that.
                return Outcome(sent)
            try:
                status = self.post(event_id, body)
            except (OSError, http.client.HTTPException) as error:
                down.set()
                return Outcome(sent, describe(error), unavailable=True)
            # A redirect is not followed: like anything but a 2xx, it is retried.
            if not 200 <= status < 300:
                return Outcome(sent, f"HTTP {status}")
        return Outcome(len(queue))

    def post(self, event_id: str, body: str) -> int:
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(event_id, now, body),
            "User-Agent": "todo-api-events",
        }
        if self.authorization:
            headers["Authorization"] = self.authorization
        connection = self.connection()
        reused = connection.sock is not None
        try:
            return exchange(connection, self.target, body.encode(), headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            # The receiver closed the kept-alive connection as the request
            # went out: once more, on a new one (a receiver that did take it
            # sees it twice, with the same webhook-id).
            return exchange(connection, self.target, body.encode(), headers)

    def connection(self) -> http.client.HTTPConnection:
        """
        This thread's connection. The standard library's client, which
        reconnects by itself once closed: urllib3 spent 2.6 times its CPU a
        request.
        """
        connection = getattr(self.local, "connection", None)
        if connection is None:
            if self.https:
                connection = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.local.connection = connection
            self.connections.append(connection)
        elif connection.sock is not None and not is_idle(connection.sock):
            # Readable while idle: the receiver closed it.
            connection.close()
        return connection

    def close(self) -> None:
        self.threads.shutdown(wait=True)
        for connection in self.connections:
            connection.close()


def exchange(connection: http.client.HTTPConnection, target: str, body: bytes, headers) -> int:
    """One request and its whole answer; the status."""
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except BaseException:
        connection.close()
        raise
    if response.will_close:
        connection.close()
    return response.status


def is_idle(sock) -> bool:
    """Nothing to read: a kept-alive connection between answers has nothing to say."""
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable


def basic_authorization(username: str | None, password: str | None) -> str:
    """Credentials in the URL (https://user:password@...) sent as Basic authorization."""
    if not username:
        return ""
    credentials = f"{unquote(username)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(credentials).decode()


def configured_sinks() -> list:
    """The sinks the settings name: the Redis Stream, then each webhook URL."""
    sinks = []
    if settings.EVENTS_REDIS_URL:
        sinks.append(RedisStreamSink(settings.EVENTS_REDIS_URL, settings.EVENTS_STREAM))
    for url in settings.WEBHOOK_URLS:
        sinks.append(WebhookSink(url, settings.WEBHOOK_SECRET, settings.WEBHOOK_TIMEOUT_SECONDS))
    return sinks
