import jsonschema_rs
import pytest

from .test_tasks_crud import TASK_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_and_public(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/tasks" in schema["paths"]


def test_the_schema_ignores_a_bad_token(anonymous):
    response = anonymous.get("/api/schema/", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 200


def test_the_schema_offers_bearer_authorization(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BetterAuthJWT"].items()
    assert {"BetterAuthJWT": []} in schema["paths"]["/api/tasks"]["get"]["security"]


def test_the_schema_lists_every_task_path(schema):
    assert {
        "/api/tasks",
        "/api/tasks/{id}",
        "/api/tasks/{id}/complete",
        "/api/health",
        "/api/{user_id}/tasks",
        "/api/{user_id}/tasks/{id}",
        "/api/{user_id}/tasks/{id}/complete",
    } <= set(schema["paths"])


def test_the_schema_documents_the_error_statuses(schema):
    detail = schema["paths"]["/api/tasks/{id}"]
    assert {"200", "401", "403", "404", "422"} <= set(detail["patch"]["responses"])
    assert {"204", "401", "403", "404"} <= set(detail["delete"]["responses"])
    create = schema["paths"]["/api/tasks"]["post"]["responses"]
    assert {"201", "400", "401", "415", "422"} <= set(create)


def test_the_schema_documents_the_list_parameters_and_headers(schema):
    listing = schema["paths"]["/api/tasks"]["get"]
    parameters = {parameter["name"]: parameter for parameter in listing["parameters"]}
    assert {"status", "sort", "search", "limit", "offset"} <= set(parameters)
    assert set(parameters["status"]["schema"]["enum"]) == {"all", "pending", "completed", ""}
    assert {"X-Total-Count", "Link"} <= set(listing["responses"]["200"]["headers"])


def test_the_task_schema_has_no_owner(schema):
    task = schema["components"]["schemas"]["Task"]["properties"]
    assert set(task) == set(TASK_KEYS)


@pytest.mark.parametrize("path", ["/docs", "/docs/", "/redoc", "/redoc/"])
def test_the_documentation_pages_render(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 200
    assert b"/api/schema/" in response.content


def test_the_schema_documents_the_response_headers(schema):
    responses = schema["paths"]["/api/tasks"]["get"]["responses"]
    assert "X-Request-ID" in responses["200"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert "Retry-After" in responses["429"]["headers"]
    assert "X-Request-ID" in schema["paths"]["/api/health"]["get"]["responses"]["503"]["headers"]


def test_the_health_schema_has_the_cache_state_and_events_as_optional(schema):
    health = schema["components"]["schemas"]["Health"]
    assert set(health["properties"]) == {"status", "database", "cache", "events"}
    assert sorted(health["required"]) == ["database", "status"]
    state = [{"$ref": "#/components/schemas/HealthStateEnum"}]
    assert health["properties"]["cache"]["allOf"] == state
    assert "REDIS_URL" in health["properties"]["cache"]["description"]
    events = schema["components"]["schemas"]["EventBacklog"]
    assert set(events["properties"]) == {"pending", "oldest_pending_seconds", "dead"}
    assert events["properties"]["oldest_pending_seconds"]["nullable"] is True


SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\ufeff"]


@pytest.mark.parametrize("space", SPACES, ids=[hex(ord(c)) for c in SPACES])
def test_the_title_pattern_agrees_with_the_api_about_white_space(schema, alice, space):
    """Judged as clients and fuzzers judge it: JSON Schema's ECMA dialect of regex."""
    title_schema = schema["components"]["schemas"]["TaskRequest"]["properties"]["title"]
    validator = jsonschema_rs.validator_for(title_schema)
    for title in (space * 3, f"{space}x{space}"):
        response = alice.post("/api/tasks", {"title": title}, format="json")
        assert validator.is_valid(title) == (response.status_code == 201), repr(title)


def test_the_schema_documents_the_safe_write_routes_and_headers(schema):
    paths = schema["paths"]
    assert {"/api/tasks/changes", "/api/{user_id}/tasks/changes", "/api/tags"} <= set(paths)
    assert {"get", "post", "patch", "delete"} <= set(paths["/api/tasks"])
    detail = paths["/api/tasks/{id}"]

    def header_names(operation):
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    for method in ("put", "patch", "delete"):
        assert "If-Match" in header_names(detail[method])
        assert "412" in detail[method]["responses"]
    assert "If-Match" in header_names(paths["/api/tasks/{id}/complete"]["patch"])
    assert "If-None-Match" in header_names(detail["get"])
    assert "304" in detail["get"]["responses"]
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    assert "ETag" in detail["patch"]["responses"]["412"]["headers"]
    listing = paths["/api/tasks"]["get"]
    assert "304" in listing["responses"] and "ETag" in listing["responses"]["200"]["headers"]
    create = paths["/api/tasks"]["post"]
    assert "Idempotency-Key" in header_names(create)
    assert {"409", "422"} <= set(create["responses"])
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert "410" in paths["/api/tasks/changes"]["get"]["responses"]
    assert {"403", "404", "422"} <= set(paths["/api/tasks"]["patch"]["responses"])
    clear = {p["name"]: p for p in paths["/api/tasks"]["delete"]["parameters"]}
    assert clear["status"]["required"] is True
    assert clear["status"]["schema"]["enum"] == ["completed"]


def test_the_schema_lists_every_enum(schema):
    task = schema["components"]["schemas"]["TaskRequest"]["properties"]
    assert set(task["priority"].get("enum") or schema_enum(schema, task["priority"])) == {
        "low",
        "medium",
        "high",
    }
    assert task["recurrence"]["properties"]["frequency"]["enum"] == [
        "daily",
        "weekly",
        "monthly",
        "yearly",
    ]
    listing = {p["name"]: p for p in schema["paths"]["/api/tasks"]["get"]["parameters"]}
    assert "priority" in listing and "due_at" in listing["sort"]["schema"]["enum"]


def schema_enum(schema, node):
    ref = node.get("$ref") or node["allOf"][0]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]
