"""Overlong and malformed input never makes the server 500 or half-write a row:
body-size limits, invalid UTF-8, lone surrogates, NUL, huge numbers and nesting bombs,
non-object bodies, each answered with the right status and error envelope."""

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from calls import assert_error
from hostile import (
    BLOG_TITLE_MAX,
    assert_html_error,
    assert_inert_html,
)
from pages import PASSWORD, csrf_token, login, submit

from writeas.core.db import db
from writeas.core.models import Post

BLOG_DESCRIPTION_MAX = 5000
POST_TITLE_MAX = 1000
MAX_BODY = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH's default


def raw_json(client, method, path, raw: bytes, token=None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.open(
        path, method=method, data=raw, content_type="application/json", headers=headers
    )


def test_a_one_megabyte_body_reads_back_exactly(api, alice, client):
    """Big but within MAX_CONTENT_LENGTH: stored and served byte for byte (multi-byte
    characters included), through the API and as raw text."""
    unit = "ä漢😀 a line of *text* with #tags and <b>markup</b>\r\n"
    body = unit * (1_000_000 // len(unit.encode()))
    raw = json.dumps({"body": body}, ensure_ascii=False).encode()
    assert 900_000 < len(raw) < MAX_BODY
    response = raw_json(client, "POST", "/api/posts", raw, alice)
    assert response.status_code == 201, response.json
    post_id = response.json["data"]["id"]
    assert api.call("GET", f"/api/posts/{post_id}").json["data"]["body"] == body
    assert client.get(f"/{post_id}.txt").data == body.encode()


def test_bodies_over_the_limit_are_413(api, client, app):
    """One byte over the limit is refused before any parsing: the API's envelope under
    /api, the error page for the editor form."""
    raw = b'{"body": "' + b"x" * (MAX_BODY - 11) + b'"}'
    assert len(raw) == MAX_BODY + 1
    assert_error(raw_json(client, "POST", "/api/posts", raw), 413)
    assert_error(raw_json(client, "POST", "/api/auth/signup", raw), 413)
    response = client.post("/", data={"body": "x" * (MAX_BODY + 1)})
    assert_html_error(response, 413)
    with app.app_context():
        assert db.session.query(Post).count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"body": "\xff\xfe"}',
        b'{"body": "ok", "title": "\xc3\x28"}',
        b'{"body": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
        b'{"body": "\xf8\x88\x80\x80\x80"}',  # a five-byte sequence
        b'{"body": "\xc0\xaf"}',  # an overlong "/"
        b'\xef\xbb\xbf{"body": "x"}\xff',
        b"\x00{}",
    ],
)
def test_invalid_utf8_in_json_is_400(client, raw):
    assert_error(raw_json(client, "POST", "/api/posts", raw), 400)


@pytest.mark.parametrize("raw", [b"body=\xff\xfe", b"body=ok&title=\xc3\x28", b"body=\xed\xa0\x80"])
def test_invalid_utf8_in_api_forms_never_stores_broken_text(api, client, raw):
    """Undecodable form bytes are either refused or stored as valid text that reads back:
    never a 500, never a string the database or JSON can't hold."""
    response = client.post("/api/posts", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (201, 400), response.data[:300]
    if response.status_code == 400:
        assert_error(response, 400)
        return
    data = api.call("GET", f"/api/posts/{response.json['data']['id']}").json["data"]
    for key in ("body", "title"):
        data[key].encode("utf-8")  # no lone surrogates smuggled in


def test_percent_encoded_invalid_utf8_in_forms(api, client):
    """`%FF%FE` can't be decoded; it is kept as the literal escape rather than broken."""
    response = client.post(
        "/api/posts", data=b"body=%FF%FE", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 201, response.json
    assert response.json["data"]["body"].encode("utf-8")


@pytest.mark.parametrize("raw", [b"body=\xff\xfe", b"body=a%00b", b"body=a\x00b"])
def test_broken_bytes_in_the_editor_form_are_400_pages(client, raw):
    token = csrf_token(client).encode()
    response = client.post(
        "/",
        data=b"csrf_token=" + token + b"&" + raw,
        content_type="application/x-www-form-urlencoded",
    )
    assert_html_error(response, 400)


# Every text field of every JSON endpoint that takes an object, with a body that would
# otherwise be accepted. {post}, {blog} and {other} are filled in by the fixture.
TEXT_FIELDS = [
    ("/api/posts", {"body": "x"}, ["body", "title", "font", "lang", "created"]),
    ("/api/posts/{post}", {"body": "x"}, ["body", "title", "font", "lang", "token"]),
    ("/api/collections/hostile/posts", {"body": "x"}, ["body", "title", "font", "lang"]),
    ("/api/collections", {"title": "x"}, ["title", "alias"]),
    (
        "/api/collections/hostile",
        {},
        ["title", "description", "style_sheet", "password", "visibility"],
    ),
    ("/api/auth/signup", {"alias": "newcomer", "pass": PASSWORD}, ["alias", "pass", "email"]),
    ("/api/auth/login", {"alias": "hostile", "pass": PASSWORD}, ["alias", "pass"]),
    ("/auth/login", {"alias": "hostile", "pass": PASSWORD}, ["alias", "pass"]),
]


@pytest.fixture
def owner(api):
    """A user `hostile` with a post in their blog; the token and the post's id."""
    token = api.signup("hostile")
    post = api.call(
        "POST", "/api/collections/hostile/posts", token=token, json={"body": "A post."}
    ).json["data"]
    return token, post["id"]


def test_control_characters_never_break_the_feed(api, client, owner):
    """C0 controls other than tab and line breaks are not allowed in XML 1.0: whatever a
    writer puts in a title, description or body (stored, or refused with a 400), the blog's
    Atom feed must still parse."""
    token, _ = owner
    controls = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\x7f"
    writes = [
        ("/api/collections/hostile", {"title": f"Blog {controls}"}),
        ("/api/collections/hostile", {"description": f"About {controls}"}),
        ("/api/collections/hostile/posts", {"title": f"Post {controls}", "body": "text"}),
        ("/api/collections/hostile/posts", {"body": f"Body {controls} #tag"}),
    ]
    for path, fields in writes:
        response = api.call("POST", path, token=token, json=fields)
        assert response.status_code in (200, 201, 400), response.json
    feed = client.get("/hostile/feed/")
    assert feed.status_code == 200
    ET.fromstring(feed.data)  # noqa: S314 (our own feed)


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "\x00", "a\x00b"], ids=repr)
def test_lone_surrogates_and_nul_in_every_text_field_are_400(client, owner, bad):
    """JSON can carry `\\ud800` and `\\u0000`, which no database stores: each field names
    itself in a 400, nothing is half-written, and the alias survives for a clean retry."""
    token, post_id = owner
    for path, base, fields in TEXT_FIELDS:
        path = path.format(post=post_id)
        for field in fields:
            raw = json.dumps({**base, field: bad}).encode()
            response = raw_json(client, "POST", path, raw, token)
            assert_error(response, 400)
            assert f"`{field}`" in response.json["error_msg"], (path, field)
    for path in ("/api/posts/claim", "/api/collections/hostile/pin"):
        raw = json.dumps([{"id": bad}]).encode()
        response = raw_json(client, "POST", path, raw, token)
        assert response.status_code == 200, response.json
        assert response.json["data"][0]["code"] == 400


def test_extremely_long_fields_are_400_naming_them(api, client, owner):
    """Every length limit holds at the limit, one over it, and far over it."""
    token, post_id = owner
    cases = [
        ("/api/posts", {"body": "x"}, "title", POST_TITLE_MAX),
        ("/api/posts/" + post_id, {}, "title", POST_TITLE_MAX),
        ("/api/collections/hostile", {}, "title", BLOG_TITLE_MAX),
        ("/api/collections/hostile", {}, "description", BLOG_DESCRIPTION_MAX),
        ("/api/collections/hostile", {}, "style_sheet", 100_000),
        ("/api/posts", {"body": "x"}, "lang", 16),
    ]
    for path, base, field, limit in cases:
        for length in (limit + 1, 1_000_000):
            value = "a" * length
            response = api.call("POST", path, token=token, json={**base, field: value})
            assert_error(response, 400)
            assert f"`{field}`" in response.json["error_msg"]
    at_limit = api.call("POST", "/api/posts", json={"body": "x", "title": "t" * POST_TITLE_MAX})
    assert at_limit.status_code == 201
    for alias in ("a" * 41, "a" * 161, "a" * 100_000):
        assert_error(
            api.call("POST", "/api/auth/signup", json={"alias": alias, "pass": PASSWORD}), 400
        )
        assert_error(
            api.call("POST", "/api/collections", token=token, json={"title": "t", "alias": alias}),
            400,
        )
        assert_error(
            api.call("POST", "/api/auth/login", json={"alias": alias, "pass": "x" * 8}),
            400 if len(alias) > 1000 else 404,
        )
    for password in ("p" * 1025, "p" * 100_000):
        assert_error(
            api.call("POST", "/api/auth/signup", json={"alias": "longpass", "pass": password}), 400
        )


def test_extremely_long_tags(api, client, owner):
    """A hashtag of up to 100 letters is a tag; a longer one is just text. A tag page for
    a megabyte-long tag is an empty page, not an error."""
    token, _ = owner
    post = api.call(
        "POST",
        "/api/collections/hostile/posts",
        token=token,
        json={"body": f"#{'a' * 100} and #{'b' * 101} and #{'ж' * 100}"},
    ).json["data"]
    assert post["tags"] == ["a" * 100, "ж" * 100]
    response = client.get(f"/hostile/tag:{'a' * 100}")
    assert response.status_code == 200
    assert assert_inert_html(response).count('class="entry h-entry"') == 1
    response = client.get(f"/hostile/tag:{'c' * 1_000_000}")
    assert response.status_code == 200
    assert "Nothing here yet." in assert_inert_html(response)


HUGE_JSON_NUMBERS = [b"1e999999", b"-1e999999", b"1" + b"0" * 10_000, b"-" + b"9" * 10_000]
# Strings that look numeric to someone: ten thousand digits (`int()` refuses more than
# 4300), a superscript digit (`"²".isdigit()` is true, `int("²")` raises), and the rest.
HUGE_TEXT_NUMBERS = [
    "9" * 10_000,
    "99999999999999999999",
    "1e999999",
    "²",
    "-1",
    "1.5",
    "NaN",
    "0x10",
    " 9 ",
]


def short(value) -> str:
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text if len(text) <= 24 else f"{text[:8]}…({len(text)} chars)"


def mismatch(response, status: int, *, html: bool = False, names: str | None = None):
    """Why a response isn't the expected refusal (None when it is): these tests try many
    values per route and report every wrong one at once rather than the first."""
    if response.status_code != status:
        return f"{response.status_code} instead of {status}"
    if html:
        return None if response.mimetype == "text/html" else response.content_type
    body = response.json if response.mimetype == "application/json" else None
    if not body or set(body) != {"code", "error_msg"} or body["code"] != status:
        return f"not the error envelope: {response.data[:80]!r}"
    if names and names not in body["error_msg"]:
        return f"message doesn't name {names}: {body['error_msg']!r}"
    return None


def test_numbers_json_cant_hold_are_400(client, owner):
    """`1e999999` parses to infinity and is no boolean or visibility; a ten-thousand-digit
    integer exceeds Python's int-parsing limit and makes the body invalid JSON."""
    token, post_id = owner
    targets = [
        ("/api/posts", b'"body": "x", ', "rtl"),
        (f"/api/posts/{post_id}", b"", "rtl"),
        ("/api/collections/hostile", b"", "visibility"),
    ]
    for path, prefix, field in targets:
        for number in HUGE_JSON_NUMBERS:
            raw = b"{" + prefix + b'"' + field.encode() + b'": ' + number + b"}"
            assert_error(raw_json(client, "POST", path, raw, token), 400)


def test_numeric_looking_strings_in_choice_fields_are_400(client, owner):
    """`rtl` is a boolean and `visibility` a name or one of WriteFreely's small numbers:
    anything else, however numeric it looks, is a 400 naming the field, in JSON and in a
    form body alike."""
    token, post_id = owner
    targets = [
        ("/api/posts", {"body": "x"}, "rtl"),
        (f"/api/posts/{post_id}", {}, "rtl"),
        ("/api/collections/hostile", {}, "visibility"),
    ]
    problems = []
    for path, base, field in targets:
        for text in HUGE_TEXT_NUMBERS:
            fields = {**base, field: text}
            as_json = raw_json(client, "POST", path, json.dumps(fields).encode(), token)
            as_form = client.post(path, data=fields, headers={"Authorization": f"Token {token}"})
            for kind, response in (("json", as_json), ("form", as_form)):
                problem = mismatch(response, 400, names=f"`{field}`")
                if problem:
                    problems.append(f"POST {path} {kind} {field}={short(text)}: {problem}")
    assert not problems, "\n".join(problems)


def test_huge_numbers_in_pin_positions(client, owner):
    """`position` is per item: a bad one is that item's 400, the batch still answers 200;
    a number JSON can't represent fails the whole body as invalid JSON; a huge but valid
    integer just means "at the end"."""
    token, post_id = owner
    pin = "/api/collections/hostile/pin"
    for number in (
        b"1e999999",
        b"-1e999999",
        b"0",
        b"-1",
        b"1.5",
        b"true",
        b'"9"',
        b'"' + b"9" * 10_000 + b'"',
    ):
        raw = b'[{"id": "' + post_id.encode() + b'", "position": ' + number + b"}]"
        response = raw_json(client, "POST", pin, raw, token)
        assert response.status_code == 200, response.json
        assert response.json["data"][0]["code"] == 400, number[:20]
        assert "`position`" in response.json["data"][0]["error_msg"]
    raw = b'[{"id": "' + post_id.encode() + b'", "position": 1' + b"0" * 10_000 + b"}]"
    assert_error(raw_json(client, "POST", pin, raw, token), 400)
    raw = b'[{"id": "' + post_id.encode() + b'", "position": ' + str(2**70).encode() + b"}]"
    response = raw_json(client, "POST", pin, raw, token)
    assert response.status_code == 200 and response.json["data"][0]["code"] == 200
    post = client.get(f"/api/posts/{post_id}").json["data"]
    assert post["pinned_position"] == 1


def test_numeric_looking_query_parameters(api, client, owner):
    """`page` and `limit` in the query string: 400 naming them under /api, 404 for a tag
    page (whose pages are plain links)."""
    token, _ = owner
    problems = []
    # (" 9 " is left out: reading it as 9 is lenient, not wrong.)
    for value in [*(v for v in HUGE_TEXT_NUMBERS if v.strip() != "9"), "0"]:
        checks = [
            (f"/api/collections/hostile/posts?page={quote(value)}", 400, "`page`", None),
            (f"/api/me/crossposts?limit={quote(value)}", 400, "`limit`", token),
            (f"/hostile/tag:x?page={quote(value)}", 404, None, None),
        ]
        for path, status, names, auth in checks:
            response = api.call("GET", path, token=auth)
            problem = mismatch(response, status, html=names is None, names=names)
            if problem:
                problems.append(f"GET {path.split('?')[0]} ({short(value)}): {problem}")
            elif names is None:
                assert_inert_html(response)
    assert not problems, "\n".join(problems)


def test_numeric_looking_blog_page_paths_are_404(client, owner):
    """`/{alias}/page/N` past the last page is a 404, however large N is."""
    problems = []
    for value in [
        "9" * 10_000,
        "99999999999999999999",
        "9223372036854775807",
        "1000000",
        "-1",
        "²",
        "1e9",
    ]:
        response = client.get(f"/hostile/page/{quote(value)}")
        problem = mismatch(response, 404, html=True)
        if problem:
            problems.append(f"GET /hostile/page/{short(value)}: {problem}")
    assert not problems, "\n".join(problems)


def test_numeric_looking_dashboard_fields(client, owner):
    """The dashboard's number fields (a pin position, a channel id, the visibility) with
    values `int()` can't take: refused like any other bad value (an error flashed on the
    way back to the dashboard, or the settings page with its error), never a 500."""
    _token, post_id = owner
    login(client, "hostile")
    problems = []
    for value in ["9" * 10_000, "²"]:
        forms = [
            ("/me/blogs/hostile/pin", {"id": post_id, "position": value}, "/me/", 303),
            ("/me/crossposts", {"post": post_id, "channel": value}, "/me/", 303),
            ("/me/blogs/hostile", {"title": "t", "visibility": value}, "/me/blogs/hostile", 400),
        ]
        for path, fields, page, status in forms:
            response = submit(client, path, fields, page=page)
            if response.status_code != status:
                problems.append(f"POST {path} ({short(value)}): {response.status_code}")
            elif status == 400:
                assert "`visibility`" in assert_inert_html(response)
    assert not problems, "\n".join(problems)


# The endpoints that read a JSON body, with what they want: an object or an array.
def json_endpoints(post_id: str) -> list[tuple[str, str, str]]:
    return [
        ("POST", "/api/auth/signup", "object"),
        ("POST", "/api/auth/login", "object"),
        ("POST", "/auth/login", "object"),
        ("POST", "/api/posts", "object"),
        ("POST", f"/api/posts/{post_id}", "object"),
        ("PUT", f"/api/posts/{post_id}", "object"),
        ("POST", "/api/posts/claim", "array"),
        ("POST", "/api/collections", "object"),
        ("POST", "/api/collections/hostile", "object"),
        ("POST", "/api/collections/hostile/posts", "object"),
        ("POST", "/api/collections/hostile/collect", "array"),
        ("POST", "/api/collections/hostile/pin", "array"),
        ("POST", "/api/collections/hostile/unpin", "array"),
        ("POST", "/api/me/channels", "object"),
        ("POST", f"/api/posts/{post_id}/crossposts", "object"),
    ]


NESTING_BOMBS = {
    "arrays": b"[" * 100_000 + b"]" * 100_000,
    "objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "in a field": b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "unclosed": b'{"body": ' + b"[" * 100_000,
    "mixed": b'[{"a":' * 50_000 + b"0" + b"}]" * 50_000,
}


@pytest.mark.parametrize("bomb", NESTING_BOMBS, ids=str)
def test_nesting_bombs_are_400_on_every_json_endpoint(client, app, owner, bomb):
    token, post_id = owner
    for method, path, _shape in [*json_endpoints(post_id), ("DELETE", f"/api/posts/{post_id}", "")]:
        response = raw_json(client, method, path, NESTING_BOMBS[bomb], token)
        assert_error(response, 400)
        assert response.json["error_msg"] == "Request body is not valid JSON.", (method, path)
    with app.app_context():
        assert db.session.get(Post, post_id) is not None


def test_deep_but_parseable_nesting_in_fields_is_400(client, owner):
    """Nesting Python can parse (900 levels) where a string or a list of objects belongs."""
    token, post_id = owner
    deep = "[" * 900 + "]" * 900
    for path, field in [
        ("/api/posts", "title"),
        ("/api/posts", "crosspost"),
        (f"/api/posts/{post_id}", "body"),
        ("/api/collections/hostile", "style_sheet"),
        (f"/api/posts/{post_id}/crossposts", "targets"),
    ]:
        raw = ('{"body": "x", "' + field + '": ' + deep + "}").encode()
        response = raw_json(client, "POST", path, raw, token)
        assert_error(response, 400)
        assert field in response.json["error_msg"], (path, field)


def test_json_bodies_of_the_wrong_shape_are_400(client, owner):
    """An endpoint that takes an object answers anything else with 400, and one that takes
    an array likewise; `{}` and `[]` are the right shape and may be answered on their own
    terms (a missing parameter, an empty batch). DELETE reads a token from an object body,
    so it too must refuse an array or a string rather than ignore it."""
    token, post_id = owner
    problems = []
    for body in [[], [1, 2], "a string", "", None, 0, 1e308, True, False, {}]:
        raw = json.dumps(body).encode()
        for method, path, shape in json_endpoints(post_id):
            if isinstance(body, dict if shape == "object" else list):
                continue
            problem = mismatch(raw_json(client, method, path, raw, token), 400, names="must be an")
            if problem:
                problems.append(f"{method} {path} {short(raw)}: {problem}")
        if not isinstance(body, dict):
            # DELETE gets a post of its own each time, since ignoring the body deletes it.
            victim = raw_json(client, "POST", "/api/posts", b'{"body": "x"}', token).json
            path = f"/api/posts/{victim['data']['id']}"
            problem = mismatch(
                raw_json(client, "DELETE", path, raw, token), 400, names="must be an"
            )
            if problem:
                problems.append(f"DELETE /api/posts/<id> {short(raw)}: {problem}")
    assert not problems, "\n".join(problems)
