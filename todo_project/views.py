from django.db import Error, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from events import outbox
from events.models import Event

from . import shared_cache

EVENTS = inline_serializer(
    "EventBacklog",
    {
        "pending": serializers.IntegerField(help_text="Events not yet delivered to every sink."),
        "oldest_pending_seconds": serializers.FloatField(
            allow_null=True, help_text="Age of the oldest of them; null when none is pending."
        ),
        "dead": serializers.IntegerField(help_text="Events a sink gave up on (see the admin)."),
    },
    required=False,
    help_text=(
        "Only where an events sink is configured (EVENTS_REDIS_URL, WEBHOOK_URLS). Delivery "
        "that lags leaves the status 200."
    ),
)

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["ok", "unavailable"]),
        "database": serializers.ChoiceField(["ok", "unavailable"]),
        "cache": serializers.ChoiceField(
            ["ok", "unavailable"],
            required=False,
            help_text=(
                "Only where a shared cache is configured (REDIS_URL). A cache that is down "
                "leaves the status 200: the rate limits then fail open."
            ),
        ),
        "events": EVENTS,
    },
)


class HealthView(APIView):
    """Liveness, whether the database and the shared cache can be reached, and the events' lag."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(auth=[], responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        events = None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if outbox.is_enabled():
                events = Event.objects.backlog()
            body, status = {"status": "ok", "database": "ok"}, 200
        except Error:
            body, status = {"status": "unavailable", "database": "unavailable"}, 503
        if shared_cache.is_configured():
            body["cache"] = "ok" if shared_cache.is_reachable() else "unavailable"
        if events is not None:
            # Delivery may lag; the API serves all the same, so the status stays 200.
            body["events"] = events
        return Response(body, status=status)
