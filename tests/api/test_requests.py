"""Bad input gets a clear JSON error under /api (an HTML page elsewhere), never a 500,
and nothing is half-written."""

import pytest
from calls import assert_error, count

from writeas.core.models import Post


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"not json",
        b'{"body": "x",}',
        b"\xff\xfe\x00garbage",
        b'{"body": "\xc3\x28"}',
        b"[" * 100000 + b"]" * 100000,
        b'{"body": 1' + b"0" * 5000 + b"}",
        b"NaN",
    ],
)
def test_malformed_json_is_400(client, app, raw):
    response = client.post("/api/posts", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert_error(response, 400)
    assert count(app, Post) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": 5}, "body"),
        ({"body": ["x"]}, "body"),
        ({"body": {"a": 1}}, "body"),
        ({"body": "x", "title": 7}, "title"),
        ({"body": "x", "rtl": "sideways"}, "rtl"),
        ({"body": "x", "rtl": 1}, "rtl"),
        ({"body": "x", "lang": "not a language"}, "lang"),
        ({"body": "x", "font": 3}, "font"),
        ({"body": "x\x00y"}, "body"),
        ({"body": "\ud800"}, "body"),
        ({"body": "x", "title": "t" * 1001}, "title"),
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   \n"}, "body"),
    ],
)
def test_wrong_types_name_the_parameter(api, app, body, field):
    response = api.call("POST", "/api/posts", json=body)
    assert_error(response, 400)
    assert f"`{field}`" in response.json["error_msg"]
    assert count(app, Post) == 0


@pytest.mark.parametrize("body", [[], "a string", 42, None, True])
def test_non_object_bodies_are_400(api, body):
    response = api.call("POST", "/api/posts", json=body)
    assert_error(response, 400)


def test_huge_number_in_a_field_is_400_not_500(client):
    response = client.post(
        "/api/posts", data='{"body": "x", "rtl": 1e999999}', content_type="application/json"
    )
    assert_error(response, 400)


def test_oversized_body_is_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    response = client.post("/api/posts", json={"body": "x" * 2048})
    assert_error(response, 413)
    form = client.post("/api/posts", data={"body": "x" * 2048})
    assert_error(form, 413)
    assert count(app, Post) == 0
    assert client.post("/api/posts", json={"body": "x" * 100}).status_code == 201


def test_update_failures_leave_the_post_unchanged(api):
    post = api.publish(body="original", title="t")
    path = f"/api/posts/{post['id']}"
    response = api.call("POST", path, json={"token": post["token"], "body": "new", "rtl": "??"})
    assert_error(response, 400)
    assert api.call("GET", path).json["data"]["body"] == "original"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/nowhere", 404),
        ("GET", "/api", 404),
        ("PATCH", "/api/posts", 405),
        ("GET", "/api/posts", 405),
        ("DELETE", "/api/me", 405),
        ("PUT", "/api/me", 405),
        ("GET", "/api/auth/signup", 405),
        ("GET", "/api/posts/..%2f..%2fetc%2fpasswd", 404),
        ("GET", "/api/posts/%2e%2e", 404),
        ("GET", "/api/posts/' OR 1=1 --", 404),
    ],
)
def test_routing_errors_are_json(client, method, path, status):
    response = client.open(path, method=method)
    assert_error(response, status)
    if status == 405:
        assert response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/me/", "/api/me/posts/", "/api/posts/"])
def test_no_trailing_slash_redirects(api, path):
    token = api.signup("slashy")
    method = "POST" if path == "/api/posts/" else "GET"
    response = api.call(method, path, token=token, json={"body": "x"})
    assert response.status_code in (200, 201)
    assert "Location" not in response.headers


def test_get_and_delete_with_json_content_type_and_no_body(api):
    post = api.publish(body="x")
    headers = {"Content-Type": "application/json"}
    assert api.call("GET", f"/api/posts/{post['id']}", headers=headers).status_code == 200
    response = api.call("DELETE", f"/api/posts/{post['id']}?token={post['token']}", headers=headers)
    assert response.status_code == 204


def test_unexpected_errors_become_a_json_500_without_details(make_app, monkeypatch):
    app = make_app()
    from writeas.services import posts

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(posts, "readable", broken)
    response = app.test_client().get("/api/posts/anything")
    assert_error(response, 500)
    assert "secret" not in response.get_data(as_text=True)


def test_pages_get_html_errors(client):
    response = client.get("/nosuchpost123")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Post not found." in response.get_data(as_text=True)
    missing_route = client.get("/a/b/c/d")
    assert missing_route.status_code == 404 and missing_route.mimetype == "text/html"


def test_auth_login_form_without_csrf_token_is_refused(client):
    response = client.post("/auth/login", data={"alias": "x", "pass": "y"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "expired" in response.get_data(as_text=True)


def test_security_headers_everywhere(client, api):
    post = api.publish(body="x")
    for path in ("/", f"/{post['id']}", f"/api/posts/{post['id']}", "/api/nowhere"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"]
