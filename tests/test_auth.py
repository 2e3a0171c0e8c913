import time

import jwt
import pytest

from authn.models import User

pytestmark = pytest.mark.django_db


def assert_unauthorized(response, code):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == code
    assert set(response.json()) == {"detail", "code"}


def get_tasks(anonymous, token):
    return anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_requires_a_token(anonymous):
    assert_unauthorized(anonymous.get("/api/tasks"), "not_authenticated")


def test_it_treats_another_scheme_as_no_token(anonymous):
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")
    assert_unauthorized(response, "not_authenticated")


def test_it_accepts_a_valid_token(anonymous, make_token):
    response = get_tasks(anonymous, make_token("alice-id"))
    assert response.status_code == 200


def test_it_accepts_the_scheme_in_any_case(anonymous, make_token):
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=f"bearer {make_token('alice-id')}")
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer not-a-jwt"])
def test_it_rejects_a_malformed_bearer_header(anonymous, header):
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION=header)
    assert_unauthorized(response, "invalid_token")


def test_it_rejects_an_expired_token(anonymous, make_token):
    token = make_token("alice-id", iat=int(time.time()) - 600, exp=int(time.time()) - 60)
    response = get_tasks(anonymous, token)
    assert_unauthorized(response, "token_expired")
    assert response.json()["detail"] == "token expired"


def test_it_allows_a_little_clock_skew_on_exp(anonymous, make_token):
    token = make_token("alice-id", exp=int(time.time()) - 10)
    assert get_tasks(anonymous, token).status_code == 200


def test_it_honours_the_configured_leeway(anonymous, make_token, settings):
    settings.JWT_LEEWAY_SECONDS = 0
    token = make_token("alice-id", exp=int(time.time()) - 10)
    assert_unauthorized(get_tasks(anonymous, token), "token_expired")


def test_it_rejects_a_token_not_valid_yet(anonymous, make_token):
    token = make_token("alice-id", nbf=int(time.time()) + 600)
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_a_token_issued_in_the_future(anonymous, make_token):
    token = make_token("alice-id", iat=int(time.time()) + 600, exp=int(time.time()) + 900)
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_a_token_without_exp(anonymous, make_token):
    assert_unauthorized(get_tasks(anonymous, make_token("alice-id", exp=None)), "invalid_token")


@pytest.mark.parametrize("sub", [None, "", "   ", 42, ["alice-id"], "x" * 256, "a\x00b"])
def test_it_rejects_a_token_without_a_usable_sub(anonymous, make_token, sub):
    token = make_token(sub)
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_a_token_signed_with_another_secret(anonymous, make_token):
    token = make_token("alice-id", secret="another-secret-that-is-long-enough-000")
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_an_unsigned_token(anonymous):
    token = jwt.encode({"sub": "alice-id", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_an_hmac_algorithm_it_was_not_told_to_accept(anonymous, make_token, settings):
    settings.BETTER_AUTH_SECRET = "s" * 64
    token = make_token("alice-id", algorithm="HS512", secret=settings.BETTER_AUTH_SECRET)
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_hs256_when_no_secret_is_configured(anonymous, make_token, settings):
    token = make_token("alice-id")
    settings.BETTER_AUTH_SECRET = ""
    settings.BETTER_AUTH_JWKS_URL = "http://127.0.0.1:9/jwks"
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "crit"])
def test_it_rejects_a_token_that_points_at_its_own_key(anonymous, make_token, name):
    value = ["exp"] if name == "crit" else "http://127.0.0.1:9/keys"
    token = make_token("alice-id", headers={name: value})
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_rejects_an_oversized_token(anonymous, make_token):
    token = make_token("alice-id", padding="x" * 10_000)
    assert_unauthorized(get_tasks(anonymous, token), "invalid_token")


def test_it_checks_the_issuer_when_one_is_configured(anonymous, make_token, settings):
    settings.BETTER_AUTH_ISSUER = "https://app.example.com"
    assert_unauthorized(get_tasks(anonymous, make_token("alice-id")), "invalid_token")
    wrong = make_token("alice-id", iss="https://evil.example.com")
    assert_unauthorized(get_tasks(anonymous, wrong), "invalid_token")
    right = make_token("alice-id", iss="https://app.example.com")
    assert get_tasks(anonymous, right).status_code == 200


def test_it_checks_the_audience_when_one_is_configured(anonymous, make_token, settings):
    settings.BETTER_AUTH_AUDIENCE = "https://api.example.com"
    assert_unauthorized(get_tasks(anonymous, make_token("alice-id")), "invalid_token")
    wrong = make_token("alice-id", aud="https://other.example.com")
    assert_unauthorized(get_tasks(anonymous, wrong), "invalid_token")
    right = make_token("alice-id", aud="https://api.example.com")
    assert get_tasks(anonymous, right).status_code == 200


def test_it_ignores_iss_and_aud_when_none_is_configured(anonymous, make_token):
    token = make_token("alice-id", iss="http://localhost:3000", aud="http://localhost:3000")
    assert get_tasks(anonymous, token).status_code == 200


def test_the_error_never_echoes_the_token(anonymous, make_token):
    token = make_token("alice-id", exp=int(time.time()) - 600)
    response = get_tasks(anonymous, token)
    assert token.encode() not in response.content
    assert token.split(".")[1].encode() not in response.content


def test_the_first_request_of_a_new_user_creates_the_row(anonymous, make_token):
    token = make_token("new-user-id", email="new@example.com", name="New User")
    assert get_tasks(anonymous, token).status_code == 200
    user = User.objects.get(pk="new-user-id")
    assert (user.email, user.name) == ("new@example.com", "New User")
    assert not user.is_staff


def test_email_and_name_follow_the_token(anonymous, make_token):
    get_tasks(anonymous, make_token("alice-id", email="old@example.com", name="Old"))
    get_tasks(anonymous, make_token("alice-id", email="new@example.com", name="New"))
    user = User.objects.get(pk="alice-id")
    assert (user.email, user.name) == ("new@example.com", "New")


def test_the_same_email_under_a_new_id_is_fine(anonymous, make_token):
    get_tasks(anonymous, make_token("old-id", email="alice@example.com"))
    response = get_tasks(anonymous, make_token("new-id", email="alice@example.com"))
    assert response.status_code == 200
    assert User.objects.filter(email="alice@example.com").count() == 2


def test_an_unusable_email_claim_is_left_out(anonymous, make_token):
    token = make_token("alice-id", email="a" * 300 + "@example.com", name=["not", "a", "name"])
    assert get_tasks(anonymous, token).status_code == 200
    assert User.objects.get(pk="alice-id").email == ""


def test_a_known_user_is_authenticated_by_reading_one_row(
    anonymous, make_token, django_assert_num_queries
):
    token = make_token("alice-id", email="alice@example.com")
    get_tasks(anonymous, token)
    # One read for the user, one for the list; no write.
    with django_assert_num_queries(2) as captured:
        assert get_tasks(anonymous, token).status_code == 200
    assert not any(
        query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for query in captured.captured_queries
    )


def test_an_inactive_user_is_refused(anonymous, make_token):
    User.objects.create(pk="alice-id", is_active=False)
    assert_unauthorized(get_tasks(anonymous, make_token("alice-id")), "invalid_token")


def test_a_bad_token_is_refused_even_with_a_valid_session(anonymous, admin_user):
    anonymous.force_login(admin_user)
    response = anonymous.get("/api/tasks", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_unauthorized(response, "invalid_token")
