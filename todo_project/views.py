from django.db import Error, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["ok", "unavailable"]),
        "database": serializers.ChoiceField(["ok", "unavailable"]),
    },
)


class HealthView(APIView):
    """Liveness and database reachability, for load balancers and uptime checks."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(auth=[], responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Error:
            return Response({"status": "unavailable", "database": "unavailable"}, status=503)
        return Response({"status": "ok", "database": "ok"})
