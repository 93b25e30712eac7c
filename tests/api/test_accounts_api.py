"""The Users section of the spec, plus sign-up, log-out and token rules, through HTTP."""

import re

import pytest
from calls import Api
from sqlalchemy import func, select

from writeas import create_app
from writeas.core.db import db
from writeas.core.models import AccessToken, Collection, User
from writeas.core.passwords import hash_password
from writeas.settings import Settings

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_signup_returns_token_user_and_first_collection(api):
    response = api.call(
        "POST", "/api/auth/signup", json={"alias": "matt", "pass": "12345678", "email": "m@x.io"}
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["code"] == 201
    data = body["data"]
    assert UUID.match(data["access_token"])
    assert data["user"]["username"] == "matt"
    assert data["user"]["email"] == "m@x.io"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["user"]["created"])
    assert [c["alias"] for c in data["collections"]] == ["matt"]
    assert data["collections"][0]["url"] == "http://localhost/matt/"


def test_signup_stores_hashes_not_secrets(api, app):
    token = api.signup("hashy", password="my secret password")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "hashy"))
        assert user.password_hash.startswith("$argon2id$")
        assert "my secret password" not in user.password_hash
        stored = db.session.scalars(select(AccessToken.token_hash)).all()
        assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
        assert (
            db.session.scalar(select(Collection).where(Collection.alias == "hashy")).owner_id
            == user.id
        )


def _stored_hash(app, alias: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.username == alias))


def test_passwords_hash_at_argon2s_default_cost_unless_the_operator_sets_another(tmp_path):
    create_app(Settings.from_environment({"INSTANCE_PATH": str(tmp_path)}))
    assert hash_password("x").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    create_app(
        Settings.from_environment(
            {"INSTANCE_PATH": str(tmp_path), "ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME_COST": "2"}
        )
    )
    assert hash_password("x").startswith("$argon2id$v=19$m=19456,t=2,p=4$")


def test_a_changed_cost_applies_to_new_hashes_and_old_ones_still_log_in(make_app):
    before = make_app(ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=2)
    Api(before.test_client()).signup("early", password="early password")
    assert "$m=1024,t=2," in _stored_hash(before, "early")

    after = make_app(ARGON2_MEMORY_KIB=2048, ARGON2_TIME_COST=1)
    api = Api(after.test_client())
    login = {"alias": "early", "pass": "early password"}
    assert api.call("POST", "/api/auth/login", json=login).status_code == 200
    api.signup("late", password="late password")
    assert "$m=2048,t=1," in _stored_hash(after, "late")
    assert "$m=1024,t=2," in _stored_hash(after, "early")


def test_signup_accepts_form_bodies(api):
    response = api.call("POST", "/api/auth/signup", data={"alias": "formy", "pass": "password1"})
    assert response.status_code == 201
    assert response.json["data"]["user"]["username"] == "formy"


def test_signup_taken_alias_is_409(api):
    api.signup("taken")
    response = api.call("POST", "/api/auth/signup", json={"alias": "taken", "pass": "password1"})
    assert response.status_code == 409
    assert response.json == {"code": 409, "error_msg": "Username is already taken."}


@pytest.mark.parametrize(
    "alias",
    [
        "Upper",
        "has space",
        "under_score",
        "-leading",
        "trailing-",
        "émile",
        "a" * 41,
        "api",
        "admin",
        "login",
        "new",
        "me",
        "../etc",
        "a.b",
    ],
)
def test_signup_invalid_or_reserved_alias_is_400(api, alias, app):
    response = api.call("POST", "/api/auth/signup", json={"alias": alias, "pass": "password1"})
    assert response.status_code == 400
    assert response.json["code"] == 400 and response.json["error_msg"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Collection)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pass": "password1"}, "alias"),
        ({"alias": "ok"}, "pass"),
        ({"alias": 5, "pass": "password1"}, "alias"),
        ({"alias": "ok", "pass": ["x"]}, "pass"),
        ({"alias": "ok", "pass": "password1", "email": "not-an-email"}, "email"),
        ({"alias": "ok", "pass": "short"}, "Password"),
    ],
)
def test_signup_bad_fields_name_the_parameter(api, body, field):
    response = api.call("POST", "/api/auth/signup", json=body)
    assert response.status_code == 400
    assert field in response.json["error_msg"]


def test_login_returns_a_new_token_and_user(api):
    api.signup("matt", password="12345678", email="matt@example.com")
    response = api.call("POST", "/api/auth/login", json={"alias": "matt", "pass": "12345678"})
    assert response.status_code == 200
    data = response.json["data"]
    assert UUID.match(data["access_token"])
    assert data["user"] == {
        "username": "matt",
        "email": "matt@example.com",
        "created": data["user"]["created"],
    }


def test_login_errors(api):
    api.signup("matt", password="12345678")
    wrong = api.call("POST", "/api/auth/login", json={"alias": "matt", "pass": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.json == {"code": 401, "error_msg": "Incorrect password."}
    unknown = api.call("POST", "/api/auth/login", json={"alias": "nobody", "pass": "x"})
    assert unknown.status_code == 404
    missing = api.call("POST", "/api/auth/login", json={"alias": "matt"})
    assert missing.status_code == 400 and "pass" in missing.json["error_msg"]


def test_login_is_case_insensitive_and_accepts_forms(api):
    api.signup("matt", password="12345678")
    response = api.call("POST", "/api/auth/login", data={"alias": "Matt", "pass": "12345678"})
    assert response.status_code == 200


def test_repeated_failed_logins_get_429_with_retry_after(make_app):
    client = make_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    client.post("/api/auth/signup", json={"alias": "target", "pass": "password1"})
    # a correct password doesn't count against the limit
    for _ in range(5):
        assert (
            client.post(
                "/api/auth/login", json={"alias": "target", "pass": "password1"}
            ).status_code
            == 200
        )
    codes = [
        client.post("/api/auth/login", json={"alias": "target", "pass": "guess"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    blocked = client.post("/api/auth/login", json={"alias": "target", "pass": "password1"})
    assert blocked.status_code == 429
    assert blocked.json["code"] == 429 and blocked.json["error_msg"]
    assert int(blocked.headers["Retry-After"]) > 0


def test_login_answers_json_at_auth_login_too(api):
    api.signup("matt", password="12345678")
    response = api.call("POST", "/auth/login", json={"alias": "matt", "pass": "12345678"})
    assert response.status_code == 200
    assert UUID.match(response.json["data"]["access_token"])
    wrong = api.call("POST", "/auth/login", json={"alias": "matt", "pass": "bad-password"})
    assert wrong.status_code == 401 and wrong.json["error_msg"] == "Incorrect password."


def test_logout_revokes_only_that_token(api):
    first = api.signup("matt", password="12345678")
    second = api.call("POST", "/api/auth/login", json={"alias": "matt", "pass": "12345678"}).json[
        "data"
    ]["access_token"]
    response = api.call("DELETE", "/api/auth/me", token=first)
    assert response.status_code == 204 and response.data == b""
    assert api.call("GET", "/api/me", token=first).status_code == 401
    assert api.call("GET", "/api/me", token=second).status_code == 200
    assert api.call("DELETE", "/api/auth/me").status_code == 401


def test_me_returns_the_user(api):
    token = api.signup("matt", password="12345678", email="m@example.com")
    response = api.call("GET", "/api/me", token=token)
    assert response.status_code == 200
    assert response.json["data"]["username"] == "matt"
    assert api.call("GET", "/api/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Token 00000000-0000-0000-0000-000000000000",
        "not-a-token",
        "Token ",
        "Bearer 11111111-1111-1111-1111-111111111111",
    ],
)
def test_unknown_tokens_are_401_but_empty_is_anonymous(api, header):
    response = api.call("POST", "/api/posts", json={"body": "x"}, headers={"Authorization": header})
    if header.strip() in ("Token", ""):
        assert response.status_code == 201  # "Token " with nothing after it is anonymous
    else:
        assert response.status_code == 401
        assert response.json == {"code": 401, "error_msg": "Invalid access token."}


def test_token_works_with_bearer_and_bare_forms(api):
    token = api.signup("matt", password="12345678")
    for header in (f"Token {token}", f"Bearer {token}", token, f"token {token}"):
        response = api.call("GET", "/api/me", headers={"Authorization": header})
        assert response.status_code == 200, header


def test_empty_authorization_header_is_anonymous(api):
    response = api.call("POST", "/api/posts", json={"body": "hi"}, headers={"Authorization": ""})
    assert response.status_code == 201


def test_my_posts_lists_owned_posts_and_filters_anonymous(api, app):
    token = api.signup("matt", password="12345678")
    other = api.signup("other")
    first = api.publish(token, body="first")
    second = api.publish(token, body="second")
    api.publish(other, body="not mine")
    api.publish(None, body="nobody's")
    with app.app_context():
        from writeas.core.models import Post

        post = db.session.get(Post, second["id"])
        post.collection = db.session.scalar(select(Collection).where(Collection.alias == "matt"))
        post.slug = "second"
        db.session.commit()
    listed = api.call("GET", "/api/me/posts", token=token).json["data"]
    assert {p["id"] for p in listed} == {first["id"], second["id"]}
    assert all("token" not in p and p["views"] == 0 for p in listed)
    anonymous = api.call("GET", "/api/me/posts?anonymous=1", token=token).json["data"]
    assert [p["id"] for p in anonymous] == [first["id"]]
    assert api.call("GET", "/api/me/posts").status_code == 401


def test_cli_creates_a_user(app, api):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["user", "create", "cliuser", "--email", "c@example.com"],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user cliuser" in result.output
    login = api.call(
        "POST", "/api/auth/login", json={"alias": "cliuser", "pass": "a long password"}
    )
    assert login.status_code == 200
    again = runner.invoke(args=["user", "create", "cliuser", "--password", "another pw"])
    assert again.exit_code != 0 and "already taken" in again.output
