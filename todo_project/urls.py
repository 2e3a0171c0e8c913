from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from assistant.views import mcp_endpoint, protected_resource_metadata
from tasks.routers import TaskRouter
from tasks.views import TagsView, TaskViewSet, UserPathTagsView, UserPathTaskViewSet

from . import errors
from .views import HealthView

admin.site.site_header = "Todo API administration"
admin.site.site_title = "Todo API"
# The site itself is an API: "View site" leads to its documentation.
admin.site.site_url = "/docs"

# Both /api/tasks and /api/tasks/ answer, with no redirect: a redirect would
# drop a POST body and the Authorization header in some clients.
router = TaskRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register(r"(?P<user_id>[^/]+)/tasks", UserPathTaskViewSet, basename="user-task")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    re_path(r"^api/health/?$", HealthView.as_view(), name="health"),
    re_path(r"^mcp/?$", mcp_endpoint, name="mcp"),
    re_path(
        r"^\.well-known/oauth-protected-resource/mcp/?$",
        protected_resource_metadata,
        name="mcp-metadata",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^api/tags/?$", TagsView.as_view(), name="tags"),
    re_path(r"^api/(?P<user_id>[^/]+)/tags/?$", UserPathTagsView.as_view(), name="user-tags"),
    re_path(r"^api/", include(router.urls)),
    # Whatever else is under /api/ is a JSON 404, never Django's HTML page.
    re_path(r"^api(?:/.*)?$", errors.api_not_found),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
