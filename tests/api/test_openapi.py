"""The OpenAPI document at /api/openapi.json must stay true: valid OpenAPI 3.1, describing
exactly the routes the app has, and matching what real responses look like. A route added
without documenting it, or a response field that drifts, fails here first."""

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _response_object(document, path: str, method: str, status: int) -> dict:
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, (
        f"{method} {path} answered {status}, documented: {sorted(responses)}"
    )
    found = responses[str(status)]
    if "$ref" in found:
        name = found["$ref"].rsplit("/", 1)[1]
        found = document["components"]["responses"][name]
    return found


def assert_conforms(document, response, path: str, method: str) -> None:
    """The response's status is documented for the operation and its body (if any) is valid
    against the documented schema, formats included."""
    described = _response_object(document, path, method, response.status_code)
    if "content" not in described:
        assert response.get_data() == b"", f"{method} {path}: documented without a body"
        return
    assert response.mimetype in described["content"]
    schema = described["content"][response.mimetype]["schema"]
    # The schema is validated where it sits in the document, so its `#/components/…`
    # references resolve against the document itself.
    status_key = str(response.status_code)
    location = document["paths"][path][method.lower()]["responses"][status_key]
    if "$ref" in location:
        pointer = location["$ref"].lstrip("#/").split("/") + ["content", response.mimetype]
    else:
        pointer = [
            "paths",
            path,
            method.lower(),
            "responses",
            status_key,
            "content",
            response.mimetype,
        ]
    uri = "urn:writeas:openapi"
    registry = Registry().with_resource(uri, Resource(document, DRAFT202012))
    resolved = {"$ref": f"{uri}#/{_pointer(*pointer, 'schema')}"}
    assert schema is not None
    validator = Draft202012Validator(
        resolved, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(response.json), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors
    )


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_document_is_served_raw_not_enveloped(client):
    body = client.get("/api/openapi.json").json
    assert body["openapi"].startswith("3.1")
    assert "code" not in body and "data" not in body


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule != "/api" and not rule.rule.startswith("/api/"):
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        found.update((path, m) for m in rule.methods - _IGNORED_METHODS)
    return found


def _described(document) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes, described = _routes(app), _described(document)
    assert routes - described == set(), "routes missing from the OpenAPI document"
    assert described - routes == set(), "documented operations the app doesn't route"


def test_path_parameters_match_the_path_templates(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method.upper()} {path}"


def test_error_statuses_pin_their_code(document):
    for status, response in document["components"]["responses"].items():
        schema = response["content"]["application/json"]["schema"]
        assert schema["properties"]["code"] == {"const": int(status)}


# Real responses against the documented schemas.


def test_anonymous_post_lifecycle_conforms(client, api, document):
    published = client.post("/api/posts", json={"body": "Hello #world", "title": "Hi"})
    assert_conforms(document, published, "/api/posts", "POST")
    post_id, token = published.json["data"]["id"], published.json["data"]["token"]

    read = client.get(f"/api/posts/{post_id}")
    assert_conforms(document, read, "/api/posts/{post_id}", "GET")

    updated = client.put(f"/api/posts/{post_id}", data={"token": token, "rtl": "true"})
    assert updated.status_code == 200
    assert_conforms(document, updated, "/api/posts/{post_id}", "PUT")

    unpublished = client.post(f"/api/posts/{post_id}", json={"token": token, "body": ""})
    assert unpublished.status_code == 410
    assert_conforms(document, unpublished, "/api/posts/{post_id}", "POST")
    gone = client.get(f"/api/posts/{post_id}")
    assert_conforms(document, gone, "/api/posts/{post_id}", "GET")

    deleted = client.delete(f"/api/posts/{post_id}?token={token}")
    assert deleted.status_code == 204
    assert_conforms(document, deleted, "/api/posts/{post_id}", "DELETE")


def test_accounts_conform(client, document):
    signup = client.post("/api/auth/signup", json={"alias": "carol", "pass": "long enough"})
    assert_conforms(document, signup, "/api/auth/signup", "POST")
    taken = client.post("/api/auth/signup", data={"alias": "carol", "pass": "long enough"})
    assert taken.status_code == 409
    assert_conforms(document, taken, "/api/auth/signup", "POST")
    login = client.post("/api/auth/login", json={"alias": "carol", "pass": "long enough"})
    assert_conforms(document, login, "/api/auth/login", "POST")
    token = login.json["data"]["access_token"]
    auth = {"Authorization": f"Token {token}"}
    for path in (
        "/api/me",
        "/api/me/posts",
        "/api/me/collections",
        "/api/me/channels",
        "/api/media",
        "/api/me/crossposts",
    ):
        assert_conforms(document, client.get(path, headers=auth), path, "GET")
    wrong = client.post("/api/auth/login", json={"alias": "carol", "pass": "wrong password"})
    assert wrong.status_code == 401
    assert_conforms(document, wrong, "/api/auth/login", "POST")
    out = client.delete("/api/auth/me", headers=auth)
    assert_conforms(document, out, "/api/auth/me", "DELETE")
    stale = client.get("/api/me", headers=auth)
    assert stale.status_code == 401
    assert_conforms(document, stale, "/api/me", "GET")


def test_collections_conform(client, api, alice, document):
    auth = {"Authorization": f"Token {alice}"}
    created = client.post("/api/collections", headers=auth, json={"title": "Notes"})
    assert_conforms(document, created, "/api/collections", "POST")
    alias = created.json["data"]["alias"]
    published = client.post(
        f"/api/collections/{alias}/posts", headers=auth, json={"body": "One", "title": "One"}
    )
    assert_conforms(document, published, "/api/collections/{alias}/posts", "POST")
    post = published.json["data"]
    anonymous = api.publish(body="Stray")
    pinned = client.post(
        f"/api/collections/{alias}/pin",
        headers=auth,
        json=[{"id": post["id"], "position": 1}, {"id": "nope"}, 7],
    )
    assert_conforms(document, pinned, "/api/collections/{alias}/pin", "POST")
    collected = client.post(
        f"/api/collections/{alias}/collect",
        headers=auth,
        json=[{"id": anonymous["id"], "token": anonymous["token"]}, {"id": "nope"}],
    )
    assert_conforms(document, collected, "/api/collections/{alias}/collect", "POST")
    claimed = client.post("/api/posts/claim", headers=auth, json=[{"id": "nope"}, 3])
    assert_conforms(document, claimed, "/api/posts/claim", "POST")

    for path, template in (
        (f"/api/collections/{alias}", "/api/collections/{alias}"),
        (f"/api/collections/{alias}/posts", "/api/collections/{alias}/posts"),
        (f"/api/collections/{alias}/posts/{post['slug']}", "/api/collections/{alias}/posts/{slug}"),
    ):
        assert_conforms(document, client.get(path), template, "GET")
        assert_conforms(document, client.get(path, headers=auth), template, "GET")
    crossposted = client.post(
        f"/api/posts/{post['id']}/crossposts", headers=auth, json={"targets": [{"channel": 99}]}
    )
    assert_conforms(document, crossposted, "/api/posts/{post_id}/crossposts", "POST")
    batches = client.get(f"/api/posts/{post['id']}/crossposts", headers=auth)
    assert_conforms(document, batches, "/api/posts/{post_id}/crossposts", "GET")
    mine = client.get("/api/me/crossposts", headers=auth)
    assert mine.json["data"]
    assert_conforms(document, mine, "/api/me/crossposts", "GET")
    cancelled = client.delete(f"/api/crossposts/{crossposted.json['data']['id']}", headers=auth)
    assert cancelled.status_code == 409
    assert_conforms(document, cancelled, "/api/crossposts/{crosspost_id}", "DELETE")
    changed = client.post(
        f"/api/collections/{alias}",
        headers=auth,
        json={"visibility": "password", "password": "open sesame"},
    )
    assert_conforms(document, changed, "/api/collections/{alias}", "POST")
    locked = client.get(f"/api/collections/{alias}")
    assert locked.status_code == 403
    assert_conforms(document, locked, "/api/collections/{alias}", "GET")
    deleted = client.delete(f"/api/collections/{alias}", headers=auth)
    assert_conforms(document, deleted, "/api/collections/{alias}", "DELETE")


def test_media_conforms(client, alice, document):
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(image, "PNG")
    auth = {"Authorization": f"Token {alice}"}
    uploaded = client.post(
        "/api/media",
        headers=auth,
        data={"file": (io.BytesIO(image.getvalue()), "red.png"), "alt_text": "Red"},
    )
    assert_conforms(document, uploaded, "/api/media", "POST")
    not_image = client.post(
        "/api/media", headers=auth, data={"file": (io.BytesIO(b"nope"), "x.png")}
    )
    assert not_image.status_code == 400
    assert_conforms(document, not_image, "/api/media", "POST")
    listed = client.get("/api/media", headers=auth)
    assert_conforms(document, listed, "/api/media", "GET")
    gone = client.delete(f"/api/media/{uploaded.json['data']['id']}", headers=auth)
    assert_conforms(document, gone, "/api/media/{media_id}", "DELETE")


@pytest.mark.parametrize(
    ("method", "path", "template", "kwargs", "status"),
    [
        ("GET", "/api/posts/nothere", "/api/posts/{post_id}", {}, 404),
        ("POST", "/api/posts", "/api/posts", {"json": {"title": "No body"}}, 400),
        (
            "POST",
            "/api/posts",
            "/api/posts",
            {"data": "{", "content_type": "application/json"},
            400,
        ),
        (
            "POST",
            "/api/posts",
            "/api/posts",
            {"json": {"body": "x"}, "headers": {"Authorization": "Token nope"}},
            401,
        ),
        ("GET", "/api/collections/nothere", "/api/collections/{alias}", {}, 404),
        ("GET", "/api/collections/alice/posts?page=0", "/api/collections/{alias}/posts", {}, 400),
        ("POST", "/api/collections", "/api/collections", {"json": {"title": "T"}}, 401),
        ("GET", "/api/me/crossposts?limit=0", "/api/me/crossposts", {}, 401),
        ("DELETE", "/api/crossposts/nothere", "/api/crossposts/{crosspost_id}", {}, 401),
    ],
)
def test_errors_conform(client, alice, document, method, path, template, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_conforms(document, response, template, method)


def test_an_undocumented_status_is_caught(client, document):
    """The checker itself must fail on a status the operation doesn't list."""
    response = client.get("/api/me")  # 401, which is documented
    assert_conforms(document, response, "/api/me", "GET")
    with pytest.raises(AssertionError, match="documented"):
        assert_conforms(document, client.get("/api/posts/nothere"), "/api/me", "GET")
