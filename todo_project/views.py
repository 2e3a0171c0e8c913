from django.db import Error, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import shared_cache

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
    },
)


class HealthView(APIView):
    """Liveness, and whether the database and the shared cache can be reached."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(auth=[], responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            body, status = {"status": "ok", "database": "ok"}, 200
        except Error:
            body, status = {"status": "unavailable", "database": "unavailable"}, 503
        if shared_cache.is_configured():
            body["cache"] = "ok" if shared_cache.is_reachable() else "unavailable"
        return Response(body, status=status)
