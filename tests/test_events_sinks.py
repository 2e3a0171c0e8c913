"""The sinks against real parts: a private Redis, and a receiver over real HTTP."""

import base64
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from events.sinks import RedisStreamSink, WebhookSink, configured_sinks, webhook_name

from .webhook_receiver import WebhookReceiver, new_secret


def message(subject: str) -> tuple[str, str]:
    event_id = str(uuid.uuid4())
    return event_id, json.dumps({"id": event_id, "subject": subject, "data": {"task": {}}})


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def webhook(receiver):
    sink = WebhookSink(receiver.url, receiver.secret, timeout=2)
    yield sink
    sink.close()


def test_the_stream_gets_one_entry_per_event_with_its_json_in_the_field_event(redis_server):
    sink = RedisStreamSink(redis_server.url, "todo.task-events")
    queues = [[message("1"), message("2")], [message("3")]]
    assert [outcome.delivered for outcome in sink.deliver(queues)] == [2, 1]
    entries = redis_server.client().xrange("todo.task-events")
    # And in "data", where Dapr's pub/sub component reads it.
    assert all(fields[b"data"] == fields[b"event"] for _, fields in entries)
    assert [fields.keys() for _, fields in entries] == [{b"event", b"data"}] * 3
    assert [json.loads(fields[b"event"])["subject"] for _, fields in entries] == ["1", "2", "3"]
    sink.close()


def test_a_stopped_redis_fails_every_queue_and_is_used_again_once_back(redis_server):
    sink = RedisStreamSink(redis_server.url, "events")
    assert sink.deliver([[message("1")]])[0].delivered == 1
    redis_server.shutdown()
    outcomes = sink.deliver([[message("2")], [message("3")]])
    assert [(o.delivered, o.unavailable) for o in outcomes] == [(0, True), (0, True)]
    assert "Connection" in outcomes[0].error
    redis_server.start()
    assert sink.deliver([[message("4")]])[0].delivered == 1
    assert redis_server.client().xlen("events") == 1
    sink.close()


def test_webhooks_are_signed_as_the_standard_webhooks_spec_says(webhook, receiver):
    event_id, body = message("7")
    assert webhook.deliver([[(event_id, body)]])[0].delivered == 1
    [(headers, event)] = receiver.taken
    assert receiver.refused_signatures == 0
    assert event == json.loads(body)
    assert headers["webhook-id"] == event_id
    assert headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert headers["webhook-signature"].startswith("v1,")


def test_a_receiver_with_another_secret_refuses_them(receiver):
    sink = WebhookSink(receiver.url, new_secret(), timeout=2)
    outcome = sink.deliver([[message("1")]])[0]
    sink.close()
    assert (outcome.delivered, outcome.error, outcome.unavailable) == (0, "HTTP 401", False)
    assert receiver.refused_signatures == 1


def test_a_refusal_stops_that_owners_queue_and_no_other(webhook, receiver):
    receiver.fail_when = lambda event: event["subject"] == "2"
    outcomes = webhook.deliver([[message("1"), message("2"), message("3")], [message("4")]])
    assert [(o.delivered, o.error) for o in outcomes] == [(1, "HTTP 500"), (1, "")]
    assert sorted(event["subject"] for event in receiver.events()) == ["1", "4"]


def test_any_2xx_is_delivered_and_a_redirect_is_not(webhook, receiver):
    receiver.fail_status, receiver.fail_next = 200, 1
    assert webhook.deliver([[message("1")]])[0].delivered == 1
    receiver.fail_status, receiver.fail_next = 308, 1
    assert webhook.deliver([[message("2")]])[0].error == "HTTP 308"


def test_a_receiver_slower_than_the_timeout_is_down_for_the_round(receiver):
    sink = WebhookSink(receiver.url, receiver.secret, timeout=0.3)
    receiver.delay = 1
    started = time.monotonic()
    outcomes = sink.deliver([[message(str(n)), message("x")] for n in range(20)])
    elapsed = time.monotonic() - started
    sink.close()
    assert any(o.unavailable and "timed out" in o.error for o in outcomes)
    assert all(o.delivered == 0 for o in outcomes)
    # One timeout per thread at most, not one per owner.
    assert elapsed < 3


def test_an_unreachable_receiver_is_down():
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as server:
        port = server.server_port
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", new_secret(), timeout=2)
    outcome = sink.deliver([[message("1")]])[0]
    sink.close()
    assert outcome.unavailable and outcome.delivered == 0


def test_deliveries_reuse_their_connections(webhook, receiver):
    for _ in range(3):
        webhook.deliver([[message(f"{n}-{m}") for m in range(5)] for n in range(8)])
    assert len(receiver.events()) == 120
    assert len(receiver.connections) <= 8


def test_a_receiver_that_closes_kept_alive_connections_costs_no_delivery(webhook, receiver):
    receiver.hang_up = True
    for round_ in range(3):
        outcomes = webhook.deliver([[message(f"{round_}-{n}")] for n in range(8)])
        assert [(o.delivered, o.error) for o in outcomes] == [(1, "")] * 8
        time.sleep(0.05)
    assert len(receiver.events()) == 24


def test_credentials_and_query_of_the_url_reach_the_receiver(receiver):
    url = receiver.url.replace("http://", "http://hooks:p%40ss@") + "?token=abc"
    sink = WebhookSink(url, receiver.secret, timeout=2)
    assert sink.deliver([[message("1")]])[0].delivered == 1
    sink.close()
    [(headers, _)] = receiver.taken
    assert headers["authorization"] == "Basic " + base64.b64encode(b"hooks:p@ss").decode()
    assert receiver.paths == ["/api/webhooks/tasks?token=abc"]


def test_several_webhooks_are_several_sinks_named_without_their_secrets(settings):
    settings.EVENTS_REDIS_URL = ""
    settings.WEBHOOK_SECRET = new_secret()
    settings.WEBHOOK_URLS = [
        "https://user:pw@app.example.com/api/hook?token=abc",
        "https://app.example.com/api/hook?token=def",
    ]
    sinks = configured_sinks()
    names = [sink.name for sink in sinks]
    for sink in sinks:
        sink.close()
    assert len(set(names)) == 2
    assert all(name.startswith("webhook:https://app.example.com/api/hook ") for name in names)
    assert not any(secret in "".join(names) for secret in ("pw", "abc", "def", "user"))
    assert webhook_name("http://127.0.0.1:8080/x").startswith("webhook:http://127.0.0.1:8080/x ")


@pytest.mark.parametrize(
    "urls, secret, check",
    [
        (["https://app.example.com/hook"], "", "events.E002"),
        (["https://app.example.com/hook"], "whsec_not base64!", "events.E002"),
        (["app.example.com/hook"], new_secret(), "events.E001"),
    ],
)
def test_a_webhook_configuration_that_cannot_work_stops_the_worker(settings, urls, secret, check):
    settings.WEBHOOK_URLS, settings.WEBHOOK_SECRET = urls, secret
    with pytest.raises(SystemCheckError, match=check):
        call_command("relay_events", "--once", skip_checks=False)


def test_the_worker_needs_a_sink():
    with pytest.raises(CommandError, match="No sink is configured"):
        call_command("relay_events", "--once")
