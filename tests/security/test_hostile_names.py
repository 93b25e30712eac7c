"""Hostile paths and names: traversal, NUL, look-alike letters and SQL metacharacters in
ids and aliases, and SQL metacharacters and XSS in account and blog names."""

import re
from urllib.parse import quote

import pytest
from calls import assert_error
from hostile import (
    assert_inert_html,
)
from pages import PASSWORD, login, submit

from writeas.core.db import db
from writeas.core.models import Post, User


@pytest.fixture
def app(make_app):
    """Blog pages long enough to list every test post, and log-in failures unlimited (the
    name tests fail many on purpose); the write limits are already lifted by conftest."""
    return make_app(POSTS_PER_PAGE=100, LOGIN_RATE_LIMIT="100000 per minute")


# --- path tricks --------------------------------------------------------------------

PATH_TRICKS = [
    "..",
    "../",
    "..%2f",
    "..%2F",
    "%2e%2e",
    "%2e%2e%2f",
    ".",
    "%2e",
    "..;",
    "..\\",
    "%5c..%5c",
    "%c0%ae%c0%ae",
    "bob/../alice",
    "%00",
    "bob%00",
    "%00bob",
    "bob\x00",
    "bоb",  # Cyrillic о
    "аlice",  # Cyrillic а
    "ａｌｉｃｅ",
    "ＡＰＩ",
    "ｂｏｂ",
    "Bob",
    "BOB",
    "bob ",
    " bob",
    "bob%20",
    "b_b",
    "bo_",
    "bob%",
    "%25",
    "*",
    "bob*",
    "x" * 10_000,
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE posts; --',
    "%27",
    "%27%20OR%201%3D1--",
    "bob'--",
    "1; SELECT * FROM users",
    "%e2%80%ae",
    "\u202ebob",
    "%ff",
    "bob\n",
]


@pytest.fixture
def two_users(api, client):
    """alice with a public post; bob with a private blog whose post holds a secret."""
    alice = api.signup("alice")
    bob = api.signup("bob")
    shown = api.call(
        "POST", "/api/collections/alice/posts", token=alice, json={"body": "Alice's post."}
    ).json["data"]
    hidden = api.call(
        "POST",
        "/api/collections/bob/posts",
        token=bob,
        json={"body": "BOB-SECRET in a private blog.", "title": "Secret"},
    ).json["data"]
    assert (
        api.call(
            "POST", "/api/collections/bob", token=bob, json={"visibility": "private"}
        ).status_code
        == 200
    )
    return alice, bob, shown, hidden


def test_path_tricks_are_404_and_leak_nothing(api, client, app, two_users):
    """Every trick in every id and alias position answers a not-found (or bad-request) in
    the right format, never a 500, and never shows bob's private post to alice or to
    anyone; afterwards the tables are intact and publishing still works."""
    alice, bob, shown, hidden = two_users
    seen_statuses = set()
    for trick in PATH_TRICKS:
        # (Python's URL parsing drops a raw line break, so that one goes percent-encoded.)
        for part in {quote(trick, safe="")} | ({trick} if "\n" not in trick else set()):
            api_paths = [
                f"/api/posts/{part}",
                f"/api/collections/{part}",
                f"/api/collections/{part}/posts",
                f"/api/collections/{part}/posts/{part}",
                f"/api/collections/bob/posts/{part}",
                f"/api/collections/alice/posts/{part}",
            ]
            page_paths = [
                f"/{part}",
                f"/{part}/",
                f"/{part}/{part}",
                f"/bob/{part}",
                f"/alice/{part}",
            ]
            for token in (None, alice):
                for path in api_paths:
                    response = api.call("GET", path, token=token)
                    seen_statuses.add(response.status_code)
                    assert response.status_code in (400, 404), (path, response.status_code)
                    assert_error(response, response.status_code)
                    assert b"BOB-SECRET" not in response.data
            for path in page_paths:
                response = client.get(path)
                assert response.status_code in (400, 404), (path, response.status_code)
                assert_inert_html(response)
                assert b"BOB-SECRET" not in response.data
    assert seen_statuses <= {400, 404}

    # The tables are intact: bob still reads his post, alice's is public, a new one works.
    assert api.call("GET", f"/api/posts/{hidden['id']}", token=bob).status_code == 200
    assert api.call("GET", f"/api/posts/{hidden['id']}", token=alice).status_code == 404
    assert api.call("GET", f"/api/posts/{shown['id']}").status_code == 200
    assert api.call("POST", "/api/posts", json={"body": "Still works."}).status_code == 201
    with app.app_context():
        assert db.session.query(Post).count() == 3


# --- names -----------------------------------------------------------------------------

HOSTILE_NAMES = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "admin'--",
    '"; DROP TABLE users; --',
    "alice' --",
    "x'); DELETE FROM posts; --",
    "%27",
    "1 UNION SELECT password_hash FROM users",
    "<script>alert(1)</script>",
    '"><img src=x onerror=window.__xss=1>',
    "javascript:alert(1)",
    "alice\x00",
    "аlice",
    "ALICE",
    "al ice",
    "-alice",
    "alice-",
    "a/b",
    "..",
    "*",
    "%",
    "\u202ealice",
    "al\nice",
]


def test_hostile_signup_aliases_are_400(api, client, app):
    """Through the API and the sign-up form: refused as invalid aliases, and the form's
    page (which shows the alias back) stays inert."""
    for name in HOSTILE_NAMES:
        response = api.call("POST", "/api/auth/signup", json={"alias": name, "pass": PASSWORD})
        assert_error(response, 400)
        response = submit(client, "/signup", {"alias": name, "pass": PASSWORD}, page="/signup")
        assert response.status_code == 400, (name, response.status_code)
        assert_inert_html(response)
    with app.app_context():
        assert db.session.query(User).count() == 0


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("' OR 1=1 --", 400),
        ("x@y.z'; DROP TABLE users; --", 400),
        ("admin'--@example.com", 201),  # `'` and `-` are allowed in an address
        ("o'brien@example.com", 201),
        ("<script>alert(1)</script>@example.com", 400),
        ('"><img src=x onerror=window.__xss=1>@example.com', 400),
        ("<svg/onload=alert(1)>@example.com", 400),
        ("javascript:alert(1)//@example.com", 400),
        ("a@b.c\x00", 400),
        ("a" * 300 + "@example.com", 400),
    ],
)
def test_hostile_signup_emails(api, client, email, status):
    """Addresses with SQL in them that are still addresses are stored verbatim; markup is
    not an address (`<`, `>`, `(`, `)` and `"` are not allowed unquoted, RFC 5322 §3.2.3)."""
    response = api.call(
        "POST", "/api/auth/signup", json={"alias": "mailer", "pass": PASSWORD, "email": email}
    )
    if status == 201:
        assert response.status_code == 201, response.json
        assert response.json["data"]["user"]["email"] == email
        token = response.json["data"]["access_token"]
        assert api.call("GET", "/api/me", token=token).json["data"]["email"] == email
        return
    assert_error(response, status)
    response = submit(
        client,
        "/signup",
        {"alias": "webmailer", "pass": PASSWORD, "email": email},
        page="/signup",
    )
    assert response.status_code == 400, response.status_code
    assert_inert_html(response)


def test_hostile_login_aliases_are_404(api, client):
    """No user has such a name: 404 from the API and from both log-in forms (400 for a NUL
    the API refuses to read), and the form page shows the name back inertly. Log-in names
    are case-insensitive and trimmed, so " ALICE " is alice and nothing else matches."""
    api.signup("alice", PASSWORD)
    for name in HOSTILE_NAMES:
        if name.strip().lower() == "alice":
            continue
        expected = 400 if "\x00" in name else 404
        for path in ("/api/auth/login", "/auth/login"):
            response = client.post(path, json={"alias": name, "pass": PASSWORD})
            assert_error(response, expected)
        for path in ("/login", "/auth/login"):
            response = submit(client, path, {"alias": name, "pass": PASSWORD}, page="/login")
            assert response.status_code in (400, 404), (name, response.status_code)
            assert_inert_html(response)
    response = client.post("/api/auth/login", json={"alias": " ALICE ", "pass": PASSWORD})
    assert response.status_code == 200


def test_hostile_collection_aliases(api, client):
    """Creating a blog with such an alias: 400 (or 409 for one that's taken), through the
    API and the dashboard form; the dashboard stays inert afterwards."""
    token = api.signup("hostile")
    login(client, "hostile")
    for name in HOSTILE_NAMES:
        response = api.call(
            "POST", "/api/collections", token=token, json={"title": "T", "alias": name}
        )
        assert_error(response, 400)
        response = submit(client, "/me/blogs", {"title": "T", "alias": name}, page="/me/")
        assert response.status_code == 303
    assert_error(
        api.call("POST", "/api/collections", token=token, json={"title": "T", "alias": "hostile"}),
        409,
    )
    dashboard = assert_inert_html(client.get("/me/"))
    assert dashboard.count('class="blog-section"') == 1
    # Titles are free text: the alias made from a hostile one is a plain slug.
    for name in HOSTILE_NAMES[:6]:
        response = api.call("POST", "/api/collections", token=token, json={"title": name})
        assert response.status_code == 201, response.json
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", response.json["data"]["alias"])
        assert response.json["data"]["title"] == name.strip()
    assert_inert_html(client.get("/me/"))
