"""API calls the tests make often, and what every API error must look like."""

from datetime import datetime

from sqlalchemy import func, select

from writeas.core.db import db


def iso(moment: datetime) -> str:
    """A time as the API takes it (RFC 3339, UTC, whole seconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def blog_post(api, token, alias="alice", **fields) -> dict:
    fields.setdefault("body", "A blog post.")
    response = api.call("POST", f"/api/collections/{alias}/posts", token=token, json=fields)
    assert response.status_code == 201, response.json
    return response.json["data"]


def five_yearly_posts(make_app):
    """A client for an instance paging two posts at a time, with alice's blog holding
    "Post 1" (2021) to "Post 5" (2025): three pages of any newest-first stream."""
    app = make_app(POSTS_PER_PAGE=2)
    client = app.test_client()
    api = Api(client)
    token = api.signup("alice")
    for number in range(1, 6):
        blog_post(api, token, title=f"Post {number}", created=f"202{number}-01-01T00:00:00Z")
    return client


def update_blog(api, token, alias="alice", **fields) -> dict:
    response = api.call("POST", f"/api/collections/{alias}", token=token, json=fields)
    assert response.status_code == 200, response.json
    return response.json["data"]


def views(api, token, post_id) -> int:
    return api.call("GET", f"/api/posts/{post_id}", token=token).json["data"]["views"]


def count(app, model) -> int:
    """How many rows the table holds, read from the database itself."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_error(response, status: int) -> None:
    """The API's error envelope, exactly: `{code, error_msg}`, the status as `code`, and a
    message that is words, not a traceback."""
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert set(body) == {"code", "error_msg"}
    assert body["code"] == status and isinstance(body["code"], int)
    assert body["error_msg"] and "Traceback" not in body["error_msg"]


class Api:
    """A thin Write.as client over Flask's test client, for readable tests."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Token {token}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def signup(self, alias, password="correct horse", **extra):
        response = self.call(
            "POST", "/api/auth/signup", json={"alias": alias, "pass": password, **extra}
        )
        assert response.status_code == 201, response.json
        return response.json["data"]["access_token"]

    def publish(self, token=None, **fields):
        fields.setdefault("body", "Hello, world.")
        response = self.call("POST", "/api/posts", token=token, json=fields)
        assert response.status_code == 201, response.json
        return response.json["data"]


def mastodon_channel(base_url: str, access_token: str = "x") -> dict:
    """The body that connects a Mastodon channel, @alice on the server at `base_url`."""
    return {
        "platform": "mastodon",
        "handle": "alice",
        "base_url": base_url,
        "credentials": {"access_token": access_token},
    }
