"""Property-based fuzzing of the whole /api with Schemathesis, driven by our own OpenAPI
document and run in-process over WSGI against a real SQLite file.

What must hold for every generated request, valid or not: no 5xx, the status is one the
document lists for the operation, the content type and body match what it documents, and
every error is the JSON `{code, error_msg}` envelope with `code` repeating the status.

Random ids would only ever meet 404s, so path parameters are sometimes swapped for real
ones (a seeded post, blog, image and crosspost) and most requests carry a real access
token: that way the fuzzer also reaches the code behind the lookups and the auth checks.
The seed is fixed and generation derandomized, so CI fails (or passes) the same way twice.
"""

import io
import json
import tempfile
import zlib

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from writeas import create_app
from writeas.api import openapi
from writeas.core.db import db
from writeas.core.models import User
from writeas.crossposting import channels
from writeas.services import accounts
from writeas.settings import Settings

EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Strings that Python reads differently from how they look: digits `isdigit()` accepts and
# `int()` refuses, and valid RFC 3339 times at the edges of the calendar.
EDGE_VALUES = [
    "\u00b2",
    "\u0661",
    "\u2460",
    "0\u00b2",
    "-1",
    "0",
    "1e3",
    "..",
    "%",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1969-12-31T23:59:59Z",
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250101,
        "dictionaries": {"edges": {"values": EDGE_VALUES}},
        "generation": {
            "deterministic": True,
            # Authorization is ours to set (below); generated values would only be 401s.
            "with-security-parameters": False,
            "database": "none",
            "dictionaries": {"string": {"dictionary": "edges", "probability": 0.15}},
        },
        "parameters": {
            "body.created": {"dictionary": "edges", "probability": 0.3},
            "body.scheduled_at": {"dictionary": "edges", "probability": 0.3},
        },
    }
)


def _document() -> dict:
    """The document the app serves, built from an app of its own (nothing is stored)."""
    with tempfile.TemporaryDirectory() as instance:
        return openapi.build(create_app(Settings.from_environment({"INSTANCE_PATH": instance})))


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)

# Filled per test by the `fuzz` fixture and read while Hypothesis draws, which happens
# inside the test, after the fixture has run.
KNOWN: dict[str, list[str]] = {}
USER_TOKEN = "user"


def flatmap_path_parameters(context, path_parameters):
    """Often (as often as each real value is drawn) a parameter takes a real value."""
    choices = [dict(path_parameters or {})]
    for name in path_parameters or {}:
        for value in KNOWN.get(name, []):
            choices.append({**choices[0], name: value})
    return st.sampled_from(choices)


def _prepare(case, app) -> None:
    """Two in three requests are the seeded user's, the rest anonymous; and most
    Idempotency-Keys are made unique, or nearly every create would be a 409 replay of a
    different request. Decided from the case's own content rather than drawn, because the
    coverage phase's cases are built without Hypothesis drawing anything."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    digest = zlib.crc32(
        repr(
            (
                case.operation.label,
                case.path_parameters,
                case.query,
                case.body,
                sorted(headers.items()),
            )
        ).encode()
    )
    if digest % 3:
        token = KNOWN[USER_TOKEN][0]
        if case.operation.path == "/api/auth/me":
            # Logging out revokes the token it is sent with: never the run's own one.
            token = _fresh_token(app)
        headers["Authorization"] = f"Token {token}"
    if "Idempotency-Key" in headers and digest % 4:
        headers["Idempotency-Key"] = f"{headers['Idempotency-Key']}-{digest}"[-128:]
    case.headers = headers


def _refused_outbound() -> httpx.Client:
    """Connecting a channel asks the platform; here every platform says no, so the fuzzer
    exercises that path without a request leaving the machine."""
    return httpx.Client(
        transport=httpx.MockTransport(lambda _r: httpx.Response(401, json={"error": "no"}))
    )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 2), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def fuzz(make_app, monkeypatch):
    """A fresh app per operation (so one operation's deletions don't starve the next), with
    rate limits off, a user, and one of each thing the API can look up."""
    app = make_app(RATELIMIT_ENABLED=False, ALLOW_PRIVATE_NETWORK_TARGETS=False)
    monkeypatch.setattr(channels, "http_client", _refused_outbound)
    client = app.test_client()
    token = client.post(
        "/api/auth/signup", json={"alias": "fuzzer", "pass": "fuzzing password"}
    ).json["data"]["access_token"]
    auth = {"Authorization": f"Token {token}"}
    blog_post = client.post(
        "/api/collections/fuzzer/posts", headers=auth, json={"title": "Seed", "body": "#seed"}
    ).json["data"]
    anonymous = client.post("/api/posts", json={"body": "anonymous seed"}).json["data"]
    image = client.post(
        "/api/media", headers=auth, data={"file": (io.BytesIO(_png()), "blue.png")}
    ).json["data"]
    batch = client.post(
        f"/api/posts/{blog_post['id']}/crossposts",
        headers=auth,
        json={"targets": [{"channel": 1}]},
    ).json["data"]
    KNOWN.clear()
    KNOWN.update(
        {
            USER_TOKEN: [token],
            "post_id": [blog_post["id"], anonymous["id"]],
            "alias": ["fuzzer"],
            "slug": [blog_post["slug"]],
            "media_id": [image["id"]],
            "crosspost_id": [batch["id"], batch["results"][0]["id"]],
            "channel_id": ["1"],
        }
    )
    yield app
    KNOWN.clear()


def _fresh_token(app) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "fuzzer"))
        raw = accounts.issue_token(user)
        db.session.commit()
        return raw


def _assert_error_envelope(response) -> None:
    if response.status_code < 400:
        return
    values = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
    content_type = values[0] if isinstance(values, list) else values
    assert content_type.startswith("application/json"), content_type
    body = json.loads(response.content)
    assert set(body) - {"error_code"} == {"code", "error_msg"}, body
    assert body["code"] == response.status_code
    assert isinstance(body["error_msg"], str) and body["error_msg"]


@schema.hooks.apply(flatmap_path_parameters)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, fuzz):
    _prepare(case, fuzz)
    response = case.call(app=fuzz)
    case.validate_response(response, checks=CHECKS, transport_kwargs={"app": fuzz})
    _assert_error_envelope(response)


# Regressions: the 500s the fuzzer found, each pinned by the smallest request that
# triggered it.


def _auth(client):
    token = client.post("/api/auth/signup", json={"alias": "reporter", "pass": "long enough"}).json[
        "data"
    ]["access_token"]
    return {"Authorization": f"Token {token}"}


def test_bug_page_with_a_superscript_digit(client):
    assert (
        client.get("/api/collections/reporter/posts?page=\u00b2", headers=_auth(client)).status_code
        == 400
    )


def test_bug_limit_with_a_superscript_digit(client):
    assert client.get("/api/me/crossposts?limit=\u00b2", headers=_auth(client)).status_code == 400


def test_bug_channel_id_with_a_superscript_digit(client):
    assert client.delete("/api/me/channels/\u00b2", headers=_auth(client)).status_code == 404


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_bug_time_at_the_edge_of_the_calendar(client, moment):
    response = client.post("/api/posts", json={"body": "x", "created": moment})
    assert response.status_code == 400


def test_bug_idempotent_multipart_with_an_unnamed_part(client):
    body = (
        b"--XX\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
        b'--XX\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi\r\n--XX--\r\n'
    )
    response = client.post(
        "/api/posts",
        data=body,
        headers={
            "Idempotency-Key": "k",
            "Content-Type": "multipart/form-data; boundary=XX",
        },
    )
    assert response.status_code == 201
