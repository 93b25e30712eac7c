"""Accounts as pages, through HTTP: signing up, logging in and out, and the dashboard
with its blogs, posts and settings.

Forms are submitted the way a browser does: GET a page, take its CSRF token, POST it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from calls import Api, blog_post
from pages import (
    PASSWORD,
    csrf_token,
    location,
    login,
    pinned_nav,
    publish_form,
    stream_slugs,
    submit,
    text,
)

ATOM = "{http://www.w3.org/2005/Atom}"


# --- sign up, log in, log out -------------------------------------------------------------------


def test_signup_page_and_form(client):
    page = client.get("/signup")
    assert page.status_code == 200 and 'name="alias"' in text(page)
    response = submit(client, "/signup", {"alias": "carol", "pass": PASSWORD}, page="/signup")
    assert response.status_code == 303
    assert location(response) == "/me/"
    dashboard = client.get("/me/")
    assert dashboard.status_code == 200 and "/carol/" in text(dashboard)
    assert client.get("/carol/").status_code == 200


def test_signup_errors_re_render_the_form(alice, client):
    taken = submit(client, "/signup", {"alias": "alice", "pass": PASSWORD}, page="/signup")
    assert taken.status_code == 409
    assert 'class="error"' in text(taken) and 'value="alice"' in text(taken)
    invalid = submit(client, "/signup", {"alias": "Bad Alias", "pass": PASSWORD}, page="/signup")
    assert invalid.status_code == 400
    assert 'class="error"' in text(invalid) and "<form" in text(invalid)
    reserved = submit(client, "/signup", {"alias": "login", "pass": PASSWORD}, page="/signup")
    assert reserved.status_code in (400, 409)
    assert client.get("/me/").status_code == 302  # still not logged in


def test_login_page_and_form(alice, client):
    page = client.get("/login")
    assert page.status_code == 200 and 'name="pass"' in text(page)
    response = submit(client, "/login", {"alias": "alice", "pass": PASSWORD}, page="/login")
    assert response.status_code == 303
    assert location(response) == "/me/"
    assert client.get("/me/").status_code == 200


def test_login_failures(alice, client):
    wrong = submit(client, "/login", {"alias": "alice", "pass": "wrong password"}, page="/login")
    assert wrong.status_code == 401
    assert 'class="error"' in text(wrong) and 'value="alice"' in text(wrong)
    unknown = submit(client, "/login", {"alias": "nobody", "pass": PASSWORD}, page="/login")
    assert unknown.status_code == 404 and "<form" in text(unknown)
    assert client.get("/me/").status_code == 302


def test_repeated_failed_logins_get_429(make_app):

    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    Api(app.test_client()).signup("alice")
    client = app.test_client()
    codes = [
        submit(client, "/login", {"alias": "alice", "pass": "nope nope"}, page="/login").status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]
    blocked = submit(client, "/login", {"alias": "alice", "pass": PASSWORD}, page="/login")
    assert blocked.status_code == 429
    assert blocked.mimetype == "text/html"
    assert blocked.headers.get("Retry-After")


def test_auth_login_accepts_the_login_form(alice, client):
    wrong = submit(client, "/auth/login", {"alias": "alice", "pass": "wrong password"})
    assert wrong.status_code == 401 and wrong.mimetype == "text/html"
    response = submit(client, "/auth/login", {"alias": "alice", "pass": PASSWORD})
    assert response.status_code == 303
    assert location(response) == "/me/"
    assert client.get("/me/").status_code == 200


def test_logout(alice, client):
    login(client, "alice")
    response = submit(client, "/logout")
    assert response.status_code == 303
    assert location(response) == "/"
    dashboard = client.get("/me/")
    assert dashboard.status_code == 302
    target = location(dashboard)
    assert target.startswith("/login?")
    assert parse_qs(urlsplit(target).query)["next"] == ["/me/"]


def test_logout_requires_csrf(alice, client):
    login(client, "alice")
    assert client.post("/logout").status_code == 400
    assert client.get("/me/").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/alice/", "/alice/"),
        ("/me/blogs/alice", "/me/blogs/alice"),
        ("//evil.example", "/me/"),
        ("//evil.example/path", "/me/"),
        ("https://evil.example/", "/me/"),
        ("/\\evil.example", "/me/"),
        ("", "/me/"),
    ],
)
def test_login_next_only_allows_same_site_paths(alice, client, next_url, expected):
    form = text(client.get("/login", query_string={"next": next_url}))
    if next_url:
        assert 'name="next" value="' in form
    response = submit(
        client, "/login", {"alias": "alice", "pass": PASSWORD, "next": next_url}, page="/login"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == expected or location(response) == expected
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")


def test_session_cookie_is_httponly_and_samesite_lax(alice, client):
    response = submit(client, "/login", {"alias": "alice", "pass": PASSWORD}, page="/login")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies
    flags = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags


# --- the dashboard ------------------------------------------------------------------------------


def test_dashboard_requires_login(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert location(response).startswith("/login?next=")
    assert client.get("/me/blogs/alice").status_code == 302
    assert client.post("/me/blogs", data={"csrf_token": csrf_token(client)}).status_code == 302


def test_dashboard_lists_loose_posts_and_posts_per_blog(api, alice, stranger):
    loose = api.publish(alice, body="Loose post", title="Loose One")
    in_blog = blog_post(api, alice, title="Blog One")
    api.call("POST", "/api/collections", token=alice, json={"alias": "notes", "title": "Notes"})
    in_notes = blog_post(api, alice, alias="notes", title="Notes One")
    page = text(login(stranger, "alice").get("/me/"))
    no_blog = page[page.index("Posts in no blog") : page.index('class="blog-section"')]
    assert f'href="/{loose["id"]}"' in no_blog and f'href="/{in_blog["id"]}"' not in no_blog
    sections = page.split('<section class="blog-section">')[1:]
    assert len(sections) == 2
    assert "/alice/" in sections[0] and f'href="/{in_blog["id"]}"' in sections[0]
    assert f'href="/{in_notes["id"]}"' not in sections[0]
    assert "/notes/" in sections[1] and f'href="/{in_notes["id"]}"' in sections[1]


def test_claim_anonymous_posts_after_signing_up(api, client):
    first = publish_form(client, body="Anonymous one")
    second = publish_form(client, body="Anonymous two")
    submit(client, "/signup", {"alias": "carol", "pass": PASSWORD}, page="/signup")
    page = text(client.get("/me/"))
    claim = page[page.index('id="claim-form"') : page.index("</form>", page.index('id="claim"'))]
    ids = re.findall(r'name="id" value="([^"]+)"', claim)
    tokens = re.findall(r'name="token" value="([^"]+)"', claim)
    assert sorted(ids) == sorted([first, second]) and len(tokens) == 2
    assert f'<a href="/{first}">' not in page  # not yet the account's
    token = csrf_token(client, "/me/")
    response = client.post("/me/claim", data={"csrf_token": token, "id": ids, "token": tokens})
    assert response.status_code == 303
    assert location(response) == "/me/"
    page = text(client.get("/me/"))
    assert "Claimed 2 post(s)." in page
    assert f'<a href="/{first}">' in page and f'<a href="/{second}">' in page
    assert re.search(r'<section class="claim" id="claim"[^>]*hidden', page)
    carol = api.call("POST", "/api/auth/login", json={"alias": "carol", "pass": PASSWORD})
    owned = api.call("GET", "/api/me/posts", token=carol.json["data"]["access_token"])
    assert {p["id"] for p in owned.json["data"]} == {first, second}


def test_claim_with_a_wrong_token_claims_nothing(api, alice, stranger):
    post = api.publish(body="Not yours")
    login(stranger, "alice")
    token = csrf_token(stranger, "/me/")
    response = stranger.post(
        "/me/claim", data={"csrf_token": token, "id": post["id"], "token": "z" * 32}
    )
    assert response.status_code == 303
    page = text(stranger.get("/me/"))
    assert "Claimed 0 post(s). 1 could not be claimed." in page
    assert api.call("GET", "/api/me/posts", token=alice).json["data"] == []


def test_create_a_blog(alice, client, stranger):
    login(client, "alice")
    response = submit(client, "/me/blogs", {"title": "Second Thoughts", "alias": "second"})
    assert response.status_code == 303
    assert location(response) == "/me/"
    assert "Created Second Thoughts at /second/." in text(client.get("/me/"))
    blog = stranger.get("/second/")
    assert blog.status_code == 200 and "Second Thoughts" in text(blog)
    generated = submit(client, "/me/blogs", {"title": "My Great Blog"})
    assert generated.status_code == 303
    assert stranger.get("/my-great-blog/").status_code == 200


def test_create_a_blog_with_a_taken_alias_shows_an_error(alice, bob, client):
    login(client, "alice")
    response = submit(client, "/me/blogs", {"title": "Mine", "alias": "bob"})
    assert response.status_code == 303
    page = text(client.get("/me/"))
    assert 'class="flash error"' in page and "Alias is taken." in page
    assert "Mine" not in page


def test_blog_settings_page_and_update(api, alice, client, stranger):
    login(client, "alice")
    page = client.get("/me/blogs/alice")
    assert page.status_code == 200
    assert 'name="style_sheet"' in text(page) and 'name="visibility"' in text(page)
    response = submit(
        client,
        "/me/blogs/alice",
        {
            "title": "Alice Writes",
            "description": "Notes & more",
            "style_sheet": "h1{color:red}",
            "visibility": "public",
        },
    )
    assert response.status_code == 303
    assert location(response) == "/me/blogs/alice"
    assert "Blog settings saved." in text(client.get("/me/blogs/alice"))
    blog = text(stranger.get("/alice/"))
    assert "<title>Alice Writes</title>" in blog
    assert '<p class="blog-description">Notes &amp; more</p>' in blog
    assert "<style>h1{color:red}</style>" in blog
    data = api.call("GET", "/api/collections/alice").json["data"]
    assert (data["title"], data["description"]) == ("Alice Writes", "Notes & more")


def test_blog_settings_errors(alice, client):
    login(client, "alice")
    blank = submit(client, "/me/blogs/alice", {"title": "   "})
    assert blank.status_code == 400 and 'class="error"' in text(blank)
    no_password = submit(client, "/me/blogs/alice", {"title": "T", "visibility": "password"})
    assert no_password.status_code == 400
    bad = submit(client, "/me/blogs/alice", {"visibility": "secret"})
    assert bad.status_code == 400
    assert client.get("/alice/").status_code == 200  # still public


def test_blog_settings_of_another_users_blog_are_403(alice, bob, client):
    login(client, "bob")
    assert client.get("/me/blogs/alice").status_code == 403
    assert submit(client, "/me/blogs/alice", {"title": "Bob's now"}).status_code == 403
    assert submit(client, "/me/blogs/alice/delete").status_code == 403
    assert "Bob's now" not in text(client.get("/alice/"))
    assert client.get("/me/blogs/nosuchblog").status_code == 404


def test_pin_reorder_and_unpin(api, alice, client, stranger):
    for title in ("About", "Contact", "Regular"):
        blog_post(api, alice, title=title, body=f"The {title} page.")
    about, contact = "about", "contact"
    ids = {
        p["slug"]: p["id"]
        for p in api.call("GET", "/api/collections/alice/posts").json["data"]["posts"]
    }
    login(client, "alice")
    assert submit(client, "/me/blogs/alice/pin", {"id": ids[about]}).status_code == 303
    assert submit(client, "/me/blogs/alice/pin", {"id": ids[contact]}).status_code == 303
    home = text(stranger.get("/alice/"))
    assert pinned_nav(home) == [about, contact]
    assert stream_slugs(home) == ["regular"]
    assert pinned_nav(text(stranger.get("/alice/regular"))) == [about, contact]
    # Reorder: contact first.
    moved = submit(client, "/me/blogs/alice/pin", {"id": ids[contact], "position": "1"})
    assert moved.status_code == 303
    assert pinned_nav(text(stranger.get("/alice/"))) == [contact, about]
    assert pinned_nav(text(stranger.get("/alice/about"))) == [contact, about]
    # Unpin: back in the stream.
    assert submit(client, "/me/blogs/alice/unpin", {"id": ids[contact]}).status_code == 303
    home = text(stranger.get("/alice/"))
    assert pinned_nav(home) == [about]
    assert sorted(stream_slugs(home)) == ["contact", "regular"]


def test_pinning_a_post_of_another_blog_flashes_an_error(api, alice, client):
    loose = api.publish(alice, body="Loose")
    login(client, "alice")
    assert submit(client, "/me/blogs/alice/pin", {"id": loose["id"]}).status_code == 303
    assert 'class="flash error"' in text(client.get("/me/"))
    assert 'class="pinned"' not in text(client.get("/alice/"))


def test_move_a_post_into_a_blog_and_back_out(api, alice, client, stranger):
    post = api.publish(alice, body="Wandering post", title="Wanderer")
    login(client, "alice")
    response = submit(client, f"/me/posts/{post['id']}/move", {"collection": "alice"})
    assert response.status_code == 303
    redirect = stranger.get(f"/{post['id']}")
    assert redirect.status_code == 302 and location(redirect) == "/alice/wanderer"
    assert stranger.get("/alice/wanderer").status_code == 200
    assert "wanderer" in stream_slugs(text(stranger.get("/alice/")))
    back = submit(client, f"/me/posts/{post['id']}/move", {"collection": ""})
    assert back.status_code == 303
    assert stranger.get(f"/{post['id']}").status_code == 200
    assert stranger.get("/alice/wanderer").status_code == 404
    assert stream_slugs(text(stranger.get("/alice/"))) == []


def test_move_someone_elses_post_is_refused(api, alice, bob, client):
    post = api.publish(alice, body="Alice's own")
    login(client, "bob")
    submit(client, f"/me/posts/{post['id']}/move", {"collection": "bob"})
    assert client.get(f"/{post['id']}").status_code == 200  # not redirected into bob's blog
    assert api.call("GET", "/api/collections/bob").json["data"]["total_posts"] == 0


def test_delete_a_blog(api, alice, client, stranger):
    api.call("POST", "/api/collections", token=alice, json={"alias": "second", "title": "Two"})
    post = blog_post(api, alice, alias="second", title="Kept")
    login(client, "alice")
    response = submit(client, "/me/blogs/second/delete")
    assert response.status_code == 303 and location(response) == "/me/"
    assert stranger.get("/second/").status_code == 404
    assert stranger.get(f"/{post['id']}").status_code == 200  # the post stays, in no blog
