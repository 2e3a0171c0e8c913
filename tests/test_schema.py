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


def test_the_health_schema_has_the_cache_state_as_optional(schema):
    health = schema["components"]["schemas"]["Health"]
    assert set(health["properties"]) == {"status", "database", "cache"}
    assert sorted(health["required"]) == ["database", "status"]
    state = [{"$ref": "#/components/schemas/HealthStateEnum"}]
    assert health["properties"]["cache"]["allOf"] == state
    assert "REDIS_URL" in health["properties"]["cache"]["description"]


SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\ufeff"]


@pytest.mark.parametrize("space", SPACES, ids=[hex(ord(c)) for c in SPACES])
def test_the_title_pattern_agrees_with_the_api_about_white_space(schema, alice, space):
    """Judged as clients and fuzzers judge it: JSON Schema's ECMA dialect of regex."""
    title_schema = schema["components"]["schemas"]["TaskRequest"]["properties"]["title"]
    validator = jsonschema_rs.validator_for(title_schema)
    for title in (space * 3, f"{space}x{space}"):
        response = alice.post("/api/tasks", {"title": title}, format="json")
        assert validator.is_valid(title) == (response.status_code == 201), repr(title)
