"""The project's URLs plus views that fail, to see what a client gets from a bug."""

from django.urls import path
from rest_framework.views import APIView

from todo_project.urls import urlpatterns as project_urlpatterns


class BrokenView(APIView):
    permission_classes = []

    def get(self, request):
        raise RuntimeError("secret-detail-that-must-not-leak")


def broken_django_view(request):
    raise RuntimeError("secret-detail-that-must-not-leak")


urlpatterns = [
    path("api/broken-drf", BrokenView.as_view()),
    path("api/broken-django", broken_django_view),
    *project_urlpatterns,
]

handler500 = "todo_project.errors.server_error"
