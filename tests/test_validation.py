import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


def assert_invalid(response, field):
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]
    assert all(isinstance(message, str) for message in response.json()["errors"][field])


def test_a_title_is_required(alice):
    assert_invalid(alice.post("/api/tasks", {"description": "no title"}, format="json"), "title")


@pytest.mark.parametrize("title", ["", "   ", "\n\t "])
def test_a_blank_title_is_refused(alice, title):
    assert_invalid(alice.post("/api/tasks", {"title": title}, format="json"), "title")


def test_a_title_of_201_characters_is_refused(alice):
    assert_invalid(alice.post("/api/tasks", {"title": "x" * 201}, format="json"), "title")


def test_a_title_of_200_characters_is_fine_even_with_spaces_around(alice):
    response = alice.post("/api/tasks", {"title": f"  {'x' * 200}  "}, format="json")
    assert response.status_code == 201
    assert response.json()["title"] == "x" * 200


def test_a_description_of_1001_characters_is_refused(alice):
    body = {"title": "ok", "description": "d" * 1001}
    assert_invalid(alice.post("/api/tasks", body, format="json"), "description")


def test_a_description_of_1000_characters_is_fine(alice):
    response = alice.post("/api/tasks", {"title": "ok", "description": "d" * 1000}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", 5),
        ("title", True),
        ("title", ["Buy milk"]),
        ("title", {"text": "Buy milk"}),
        ("title", None),
        ("description", 5),
        ("description", False),
        ("completed", "yes"),
        ("completed", "true"),
        ("completed", 1),
        ("completed", 0),
        ("completed", None),
    ],
)
def test_values_of_the_wrong_json_type_are_refused(alice, field, value):
    body = {"title": "Buy milk", field: value}
    assert_invalid(alice.post("/api/tasks", body, format="json"), field)
    assert Task.objects.count() == 0


def test_a_title_with_a_nul_character_is_refused(alice):
    assert_invalid(alice.post("/api/tasks", {"title": "a\x00b"}, format="json"), "title")


def test_a_lone_surrogate_is_refused_not_a_500(alice):
    body = b'{"title": "a\\ud800b"}'
    response = alice.post("/api/tasks", body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert "code" in response.json()


@pytest.mark.parametrize("body", [b"[]", b'"Buy milk"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_refused(alice, body):
    response = alice.post("/api/tasks", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("body", [b"{", b'{"title": "x",}', b"{'title': 'x'}", b'{"title": NaN}'])
def test_malformed_json_is_a_400(alice, body):
    response = alice.post("/api/tasks", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/yaml"])
def test_an_unsupported_content_type_is_a_415(alice, content_type):
    response = alice.post("/api/tasks", b"title=x", content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_failed_update_changes_nothing(alice, add_task):
    task = add_task("alice-id", "Buy milk", description="2 litres")
    before = Task.objects.get(pk=task.pk)
    body = {"title": "Buy bread", "completed": "yes"}
    assert_invalid(alice.patch(f"/api/tasks/{task.pk}", body, format="json"), "completed")
    after = Task.objects.get(pk=task.pk)
    assert (after.title, after.completed, after.updated_at) == (
        before.title,
        before.completed,
        before.updated_at,
    )


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "x" * 201}, {"completed": None}])
def test_put_validates_like_patch(alice, add_task, body):
    task = add_task("alice-id")
    response = alice.put(f"/api/tasks/{task.pk}", body, format="json")
    assert response.status_code == 422
    task.refresh_from_db()
    assert task.title == "Buy milk"
