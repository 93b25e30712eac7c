"""The server-rendered pages through HTTP: the editor, post and code pages, editing,
sessions, the dashboard, blogs with their visibility rules, feeds, and page headers.

Forms are submitted the way a browser does: GET a page, take its CSRF token, POST it."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

PASSWORD = "correct horse"
ATOM = "{http://www.w3.org/2005/Atom}"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- helpers ---------------------------------------------------------------------------


def csrf_token(client, page="/"):
    """The CSRF token of this client's session, read from a page with a form."""
    response = client.get(page)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def submit(client, path, data=None, page="/"):
    """POST a form the way a browser would, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def text(response):
    return response.get_data(as_text=True)


def location(response):
    """The redirect target's path (and query), whether or not the header is absolute."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login(client, alias, password=PASSWORD):
    response = submit(client, "/login", {"alias": alias, "pass": password}, page="/login")
    assert response.status_code == 303, text(response)[:500]
    return client


def publish_form(client, **fields):
    response = submit(client, "/", fields)
    assert response.status_code == 303, text(response)[:500]
    return location(response).lstrip("/")


def blog_post(api, token, alias="alice", **fields):
    fields.setdefault("body", "A blog post.")
    response = api.call("POST", f"/api/collections/{alias}/posts", token=token, json=fields)
    assert response.status_code == 201, response.json
    return response.json["data"]


def update_blog(api, token, alias="alice", **fields):
    response = api.call("POST", f"/api/collections/{alias}", token=token, json=fields)
    assert response.status_code == 200, response.json
    return response.json["data"]


def pinned_nav(page):
    """The slugs linked from the blog header's pinned navigation, in order."""
    match = re.search(r'<nav class="pinned"[^>]*>(.*?)</nav>', page, re.S)
    return re.findall(r'href="/[^/"]+/([^"]+)"', match.group(1)) if match else []


def stream_slugs(page, alias="alice"):
    """Slugs of the posts listed in a blog page's stream (its <article> entries), in order."""
    return re.findall(rf'<h2><a href="/{alias}/([^"]+)">', page)


def views(api, token, post_id):
    return api.call("GET", f"/api/posts/{post_id}", token=token).json["data"]["views"]


@pytest.fixture
def browser(app):
    """Another, independent browser (its own cookies)."""
    return app.test_client()


# --- the editor and publishing ------------------------------------------------------------


def test_editor_page_has_a_form_with_csrf(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text(response)
    assert '<textarea id="body" name="body"' in page
    assert CSRF_INPUT.search(page)
    assert 'action="/"' in page
    assert "Publish to" not in page  # anonymous writers have no blogs


def test_editor_offers_the_logged_in_users_blogs(api, alice, browser):
    api.call("POST", "/api/collections", token=alice, json={"alias": "notes", "title": "Notes"})
    page = text(login(browser, "alice").get("/"))
    assert "Publish to" in page
    assert '<option value="alice"' in page
    assert '<option value="notes"' in page


def test_publish_anonymously_redirects_to_the_post(client, browser):
    response = submit(client, "/", {"body": "Hello from the form.", "title": "Form Post"})
    assert response.status_code == 303
    post_id = location(response).lstrip("/")
    assert re.fullmatch(r"[0-9a-z]+", post_id)
    page = client.get(f"/{post_id}")
    assert page.status_code == 200
    assert "Hello from the form." in text(page)
    assert "<title>Form Post — " in text(page)
    # This session keeps the modify token; another browser never sees it.
    token = re.search(r'data-post-token="([^"]+)"', text(page))
    assert token and len(token.group(1)) >= 16
    other = text(browser.get(f"/{post_id}"))
    assert "Hello from the form." in other
    assert "data-post-token" not in other
    assert token.group(1) not in other
    assert "data-edit-link" in text(page) and "data-edit-link" not in other


def test_publish_with_an_empty_body_re_renders_the_editor_with_400(client):
    response = submit(client, "/", {"body": "   ", "title": "Keep me"})
    assert response.status_code == 400
    page = text(response)
    assert 'class="error"' in page and "body" in page
    assert 'value="Keep me"' in page
    assert "<textarea" in page


def test_form_posts_without_a_csrf_token_are_400_pages(api, alice, client, browser):
    for path, data in [
        ("/", {"body": "no token"}),
        ("/login", {"alias": "alice", "pass": PASSWORD}),
        ("/signup", {"alias": "carol", "pass": PASSWORD}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html", path
        assert "<html" in text(response)
    assert api.call("GET", "/api/me/posts", token=alice).json["data"] == []
    assert browser.get("/carol/").status_code == 404  # no account was created
    # A token from another session doesn't count either.
    foreign = csrf_token(browser)
    response = client.post("/", data={"csrf_token": foreign, "body": "stolen token"})
    assert response.status_code == 400


def test_logged_in_writer_publishes_into_a_blog(alice, browser):
    login(browser, "alice")
    response = submit(
        browser, "/", {"body": "Into the blog.", "title": "Blog Entry", "collection": "alice"}
    )
    assert response.status_code == 303
    post_id = location(response).lstrip("/")
    redirect = browser.get(f"/{post_id}")
    assert redirect.status_code == 302
    assert location(redirect) == "/alice/blog-entry"
    page = browser.get("/alice/blog-entry")
    assert page.status_code == 200 and "Into the blog." in text(page)


def test_anonymous_writer_cannot_publish_into_a_blog(alice, client, api):
    post_id = publish_form(client, body="Sneaky.", collection="alice")
    assert client.get(f"/{post_id}").status_code == 200  # a plain post, not alice's
    blog = api.call("GET", "/api/collections/alice").json["data"]
    assert blog["total_posts"] == 0


# --- the post page -------------------------------------------------------------------------


def test_post_page_title_language_and_direction(api, client):
    post = api.publish(body="# مرحبا بالعالم\n\nنص.", lang="ar", rtl=True)
    response = client.get(f"/{post['id']}")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="ar" dir="rtl">' in page
    assert "<title>مرحبا بالعالم — " in page
    titled = api.publish(body="Just text.", title="A Given Title")
    assert "<title>A Given Title — " in text(client.get(f"/{titled['id']}"))
    plain = text(client.get(f"/{api.publish(body='ltr')['id']}"))
    assert '<html lang="en">' in plain and 'dir="rtl"' not in plain


def test_post_page_html_is_sanitised(api, client):
    body = (
        "Hi **there**\n\n<script>alert('x')</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n'
        "[click](javascript:alert(1))\n\n"
        '<a href="javascript:alert(2)">link</a> <p onclick="alert(3)">p</p>'
    )
    post = api.publish(body=body)
    page = text(client.get(f"/{post['id']}"))
    assert "<strong>there</strong>" in page
    assert "<script>" not in page and "alert('x')" not in page
    assert "onerror" not in page and "onclick" not in page
    assert "javascript:" not in page.lower()
    # The only script is the site's own.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_hashtags_in_blog_posts_link_to_the_tag_page(api, alice, client):
    blog_post(api, alice, title="Tagged", body="About #writing and #Python.")
    page = text(client.get("/alice/tagged"))
    assert 'href="/alice/tag:writing"' in page
    assert 'href="/alice/tag:Python"' in page
    loose = api.publish(body="Loose #writing")
    assert 'href="/alice/tag:' not in text(client.get(f"/{loose['id']}"))


def test_unknown_post_is_a_404_page(client):
    response = client.get("/nosuchpost123")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404</h1>" in text(response)


def test_unpublished_post_is_410(api, client):
    post = api.publish(body="Soon gone.")
    api.call("POST", f"/api/posts/{post['id']}", json={"token": post["token"], "body": ""})
    response = client.get(f"/{post['id']}")
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert "Soon gone." not in text(response)


def test_blog_alias_as_a_post_id_redirects_to_the_blog(alice, client):
    response = client.get("/alice")
    assert response.status_code == 308
    assert location(response) == "/alice/"
    assert client.get("/alice.txt").status_code == 404


# --- code posts ------------------------------------------------------------------------------

CODE = 'def greet(name):\n    return f"hi {name}"  # <b>&\n\nprint(greet("ünïcode"))\n'


def test_code_post_has_line_anchors_highlighting_and_copy(api, client):
    post = api.publish(body=CODE, font="code")
    response = client.get(f"/{post['id']}")
    assert response.status_code == 200
    page = text(response)
    for line in (1, 2, 3, 4):
        assert f'id="L{line}"' in page and f'href="#L{line}"' in page
    assert 'id="L5"' not in page
    assert '<span class="k">def</span>' in page
    assert 'class="copy"' in page and ">Copy</button>" in page
    assert "&lt;b&gt;&amp;" in page and "<b>&" not in page


def test_mono_post_has_line_anchors_without_highlighting(api, client):
    post = api.publish(body=CODE, font="mono")
    page = text(client.get(f"/{post['id']}"))
    assert 'id="L1"' in page and 'href="#L1"' in page
    code = page[page.index('class="code-body"') :]
    assert '<span class="k">' not in code
    assert not re.search(r'<span class="(?!line")[a-z0-9]+">', code)


def test_raw_text_and_markdown(api, client):
    body = "# Title\n\n  indented *markdown*\r\n\ttab & <tag>\nünïcode 🎉\n\n"
    post = api.publish(body=body)
    raw = client.get(f"/{post['id']}.txt")
    assert raw.status_code == 200
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.get_data() == body.encode()
    md = client.get(f"/{post['id']}.md")
    assert md.status_code == 200
    assert md.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert md.get_data() == body.encode()


def test_code_in_a_named_language(api, client):
    post = api.publish(body="import os\nx = 1\n")
    response = client.get(f"/{post['id']}.py")
    assert response.status_code == 200
    page = text(response)
    assert '<span class="kn">import</span>' in page
    assert 'id="L2"' in page
    assert client.get(f"/{post['id']}.nosuchext").status_code == 404
    assert client.get("/nosuchpost123.py").status_code == 404


# --- editing, unpublishing, deleting ----------------------------------------------------------


def test_edit_page_is_readable_by_anyone(client, browser):
    post_id = publish_form(client, body="Original <body>")
    for reader in (client, browser):
        response = reader.get(f"/{post_id}/edit")
        assert response.status_code == 200
        assert "Original &lt;body&gt;</textarea>" in text(response)
    assert "data-needs-token" in text(browser.get(f"/{post_id}/edit"))
    assert "data-needs-token" not in text(client.get(f"/{post_id}/edit"))
    assert client.get("/nosuchpost123/edit").status_code == 404


def test_the_publishing_session_saves_without_a_token(client):
    post_id = publish_form(client, body="First draft")
    response = submit(client, f"/{post_id}/edit", {"body": "Second draft", "title": "Now"})
    assert response.status_code == 303
    assert location(response) == f"/{post_id}"
    page = text(client.get(f"/{post_id}"))
    assert "Second draft" in page and "<title>Now — " in page


def test_other_browsers_need_the_right_token(api, client, browser):
    post = api.publish(body="Guarded")
    path = f"/{post['id']}/edit"
    assert submit(browser, path, {"body": "No token"}).status_code == 401
    assert submit(browser, path, {"body": "Bad", "token": "x" * 32}).status_code == 403
    assert "Guarded" in text(client.get(f"/{post['id']}.txt"))
    saved = submit(browser, path, {"body": "With token", "token": post["token"]})
    assert saved.status_code == 303
    assert text(client.get(f"/{post['id']}.txt")) == "With token"


def test_another_user_cannot_edit_a_users_post(api, alice, bob, browser):
    post = api.publish(alice, body="Alice's")
    login(browser, "bob")
    assert submit(browser, f"/{post['id']}/edit", {"body": "Bob's"}).status_code == 403
    assert submit(browser, f"/{post['id']}/delete").status_code == 403
    assert text(browser.get(f"/{post['id']}.txt")) == "Alice's"


def test_unpublish_and_restore(client, browser):
    post_id = publish_form(client, body="Now you see me")
    response = submit(client, f"/{post_id}/edit", {"action": "unpublish"})
    assert response.status_code == 303
    assert location(response) == f"/{post_id}/edit"
    assert client.get(f"/{post_id}").status_code == 410
    assert browser.get(f"/{post_id}").status_code == 410
    assert browser.get(f"/{post_id}.txt").status_code == 410
    edit = client.get(f"/{post_id}/edit")
    assert edit.status_code == 200 and "unpublished" in text(edit)
    restored = submit(client, f"/{post_id}/edit", {"body": "Back again"})
    assert restored.status_code == 303
    assert browser.get(f"/{post_id}").status_code == 200
    assert "Back again" in text(browser.get(f"/{post_id}"))


def test_delete_post(client, browser):
    post_id = publish_form(client, body="Delete me")
    assert submit(browser, f"/{post_id}/delete").status_code == 401
    assert client.get(f"/{post_id}").status_code == 200
    response = submit(client, f"/{post_id}/delete")
    assert response.status_code == 303
    assert location(response) == "/"
    assert client.get(f"/{post_id}").status_code == 404
    assert browser.get(f"/{post_id}").status_code == 404


def test_delete_with_the_token_from_another_browser(api, browser):
    post = api.publish(body="Bye")
    assert submit(browser, f"/{post['id']}/delete", {"token": "y" * 32}).status_code == 403
    assert submit(browser, f"/{post['id']}/delete", {"token": post["token"]}).status_code == 303
    assert browser.get(f"/{post['id']}").status_code == 404


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
    from conftest import Api

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


def test_dashboard_lists_loose_posts_and_posts_per_blog(api, alice, browser):
    loose = api.publish(alice, body="Loose post", title="Loose One")
    in_blog = blog_post(api, alice, title="Blog One")
    api.call("POST", "/api/collections", token=alice, json={"alias": "notes", "title": "Notes"})
    in_notes = blog_post(api, alice, alias="notes", title="Notes One")
    page = text(login(browser, "alice").get("/me/"))
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


def test_claim_with_a_wrong_token_claims_nothing(api, alice, browser):
    post = api.publish(body="Not yours")
    login(browser, "alice")
    token = csrf_token(browser, "/me/")
    response = browser.post(
        "/me/claim", data={"csrf_token": token, "id": post["id"], "token": "z" * 32}
    )
    assert response.status_code == 303
    page = text(browser.get("/me/"))
    assert "Claimed 0 post(s). 1 could not be claimed." in page
    assert api.call("GET", "/api/me/posts", token=alice).json["data"] == []


def test_create_a_blog(alice, client, browser):
    login(client, "alice")
    response = submit(client, "/me/blogs", {"title": "Second Thoughts", "alias": "second"})
    assert response.status_code == 303
    assert location(response) == "/me/"
    assert "Created Second Thoughts at /second/." in text(client.get("/me/"))
    blog = browser.get("/second/")
    assert blog.status_code == 200 and "Second Thoughts" in text(blog)
    generated = submit(client, "/me/blogs", {"title": "My Great Blog"})
    assert generated.status_code == 303
    assert browser.get("/my-great-blog/").status_code == 200


def test_create_a_blog_with_a_taken_alias_shows_an_error(alice, bob, client):
    login(client, "alice")
    response = submit(client, "/me/blogs", {"title": "Mine", "alias": "bob"})
    assert response.status_code == 303
    page = text(client.get("/me/"))
    assert 'class="flash error"' in page and "Alias is taken." in page
    assert "Mine" not in page


def test_blog_settings_page_and_update(api, alice, client, browser):
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
    blog = text(browser.get("/alice/"))
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


def test_pin_reorder_and_unpin(api, alice, client, browser):
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
    home = text(browser.get("/alice/"))
    assert pinned_nav(home) == [about, contact]
    assert stream_slugs(home) == ["regular"]
    assert pinned_nav(text(browser.get("/alice/regular"))) == [about, contact]
    # Reorder: contact first.
    moved = submit(client, "/me/blogs/alice/pin", {"id": ids[contact], "position": "1"})
    assert moved.status_code == 303
    assert pinned_nav(text(browser.get("/alice/"))) == [contact, about]
    assert pinned_nav(text(browser.get("/alice/about"))) == [contact, about]
    # Unpin: back in the stream.
    assert submit(client, "/me/blogs/alice/unpin", {"id": ids[contact]}).status_code == 303
    home = text(browser.get("/alice/"))
    assert pinned_nav(home) == [about]
    assert sorted(stream_slugs(home)) == ["contact", "regular"]


def test_pinning_a_post_of_another_blog_flashes_an_error(api, alice, client):
    loose = api.publish(alice, body="Loose")
    login(client, "alice")
    assert submit(client, "/me/blogs/alice/pin", {"id": loose["id"]}).status_code == 303
    assert 'class="flash error"' in text(client.get("/me/"))
    assert 'class="pinned"' not in text(client.get("/alice/"))


def test_move_a_post_into_a_blog_and_back_out(api, alice, client, browser):
    post = api.publish(alice, body="Wandering post", title="Wanderer")
    login(client, "alice")
    response = submit(client, f"/me/posts/{post['id']}/move", {"collection": "alice"})
    assert response.status_code == 303
    redirect = browser.get(f"/{post['id']}")
    assert redirect.status_code == 302 and location(redirect) == "/alice/wanderer"
    assert browser.get("/alice/wanderer").status_code == 200
    assert "wanderer" in stream_slugs(text(browser.get("/alice/")))
    back = submit(client, f"/me/posts/{post['id']}/move", {"collection": ""})
    assert back.status_code == 303
    assert browser.get(f"/{post['id']}").status_code == 200
    assert browser.get("/alice/wanderer").status_code == 404
    assert stream_slugs(text(browser.get("/alice/"))) == []


def test_move_someone_elses_post_is_refused(api, alice, bob, client):
    post = api.publish(alice, body="Alice's own")
    login(client, "bob")
    submit(client, f"/me/posts/{post['id']}/move", {"collection": "bob"})
    assert client.get(f"/{post['id']}").status_code == 200  # not redirected into bob's blog
    assert api.call("GET", "/api/collections/bob").json["data"]["total_posts"] == 0


def test_delete_a_blog(api, alice, client, browser):
    api.call("POST", "/api/collections", token=alice, json={"alias": "second", "title": "Two"})
    post = blog_post(api, alice, alias="second", title="Kept")
    login(client, "alice")
    response = submit(client, "/me/blogs/second/delete")
    assert response.status_code == 303 and location(response) == "/me/"
    assert browser.get("/second/").status_code == 404
    assert browser.get(f"/{post['id']}").status_code == 200  # the post stays, in no blog


# --- blog pages ---------------------------------------------------------------------------------


def test_blog_homepage_lists_posts_newest_first_with_excerpts(api, alice, client):
    update_blog(api, alice, title="Alice's Blog", description="Thoughts, mostly.")
    blog_post(api, alice, title="Oldest", body="The first words.", created="2020-01-01T00:00:00Z")
    blog_post(
        api, alice, title="Middle", body="Some **middle** text.", created="2021-01-01T00:00:00Z"
    )
    blog_post(
        api, alice, title="Newest", body="Fresh off the press.", created="2022-01-01T00:00:00Z"
    )
    response = client.get("/alice/")
    assert response.status_code == 200
    page = text(response)
    assert "<title>Alice&#39;s Blog</title>" in page
    assert "Thoughts, mostly." in page
    assert stream_slugs(page) == ["newest", "middle", "oldest"]
    assert '<p class="excerpt">Some middle text.</p>' in page
    assert '<p class="excerpt">The first words.</p>' in page
    assert 'rel="next"' not in page


def test_empty_and_unknown_blogs(alice, client):
    assert "Nothing here yet." in text(client.get("/alice/"))
    missing = client.get("/nosuchblog/")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_blog_pagination(make_app):
    from conftest import Api

    app = make_app(POSTS_PER_PAGE=2)
    client = app.test_client()
    api = Api(client)
    token = api.signup("alice")
    for number in range(1, 6):
        blog_post(api, token, title=f"Post {number}", created=f"202{number}-01-01T00:00:00Z")
    first = text(client.get("/alice/"))
    assert stream_slugs(first) == ["post-5", "post-4"]
    assert 'rel="next" href="/alice/page/2"' in first
    second = client.get("/alice/page/2")
    assert second.status_code == 200
    assert stream_slugs(text(second)) == ["post-3", "post-2"]
    assert 'rel="prev" href="/alice/"' in text(second)
    assert 'rel="next" href="/alice/page/3"' in text(second)
    third = text(client.get("/alice/page/3"))
    assert stream_slugs(third) == ["post-1"]
    assert 'rel="next"' not in third
    assert client.get("/alice/page/4").status_code == 404
    first_page = client.get("/alice/page/1")
    assert first_page.status_code in (301, 302, 303, 307, 308)
    assert location(first_page) == "/alice/"


def test_blog_post_by_slug(api, alice, client):
    blog_post(api, alice, title="Hello There", body="Body of the post.")
    response = client.get("/alice/hello-there")
    assert response.status_code == 200
    page = text(response)
    assert "Body of the post." in page
    assert "<title>Hello There — alice</title>" in page
    assert 'class="blog-title" href="/alice/"' in page
    assert client.get("/alice/no-such-slug").status_code == 404
    assert client.get("/nosuchblog/hello-there").status_code == 404


def test_tag_page_lists_only_tagged_posts(api, alice, client):
    blog_post(api, alice, title="Tagged One", body="On #writing.", created="2020-01-01T00:00:00Z")
    blog_post(api, alice, title="Untagged", body="Nothing here.")
    blog_post(api, alice, title="Tagged Two", body="More #Writing.", created="2021-01-01T00:00:00Z")
    response = client.get("/alice/tag:writing")
    assert response.status_code == 200
    page = text(response)
    assert stream_slugs(page) == ["tagged-two", "tagged-one"]
    assert "#writing" in page
    assert stream_slugs(text(client.get("/alice/tag:nothing"))) == []


def test_atom_feed(api, alice, client):
    update_blog(api, alice, title="Alice's Feed", description="About things")
    blog_post(
        api,
        alice,
        title="First <Entry>",
        body="Hello & **welcome** #intro",
        created="2020-01-01T00:00:00Z",
    )
    blog_post(api, alice, title="Second", body="More.", created="2021-01-01T00:00:00Z")
    response = client.get("/alice/feed/")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())  # noqa: S314 (our own feed)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Alice's Feed"
    assert root.findtext(f"{ATOM}subtitle") == "About things"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Second", "First <Entry>"]
    first = entries[1]
    assert first.find(f"{ATOM}link").get("href").endswith("/alice/first-entry")
    assert first.findtext(f"{ATOM}published") == "2020-01-01T00:00:00Z"
    assert "<strong>welcome</strong>" in first.findtext(f"{ATOM}content")
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["intro"]
    assert client.get("/nosuchblog/feed/").status_code == 404


# --- visibility on pages ------------------------------------------------------------------------

SECRET_TITLE = "Secret Diary Title"
SECRET_BODY = "Hidden words #confidential"


def secret_blog(api, token, client, visibility, password=None):
    """Alice's blog with one post, switched to `visibility` through the settings form."""
    post = blog_post(api, token, title=SECRET_TITLE, body=SECRET_BODY)
    login(client, "alice")
    fields = {"visibility": visibility}
    if password:
        fields["password"] = password
    response = submit(client, "/me/blogs/alice", fields)
    assert response.status_code == 303, text(response)[:500]
    return post


def assert_hidden(response, status=404):
    page = text(response)
    assert response.status_code == status, response.request.path
    assert SECRET_TITLE not in page and "Hidden words" not in page
    assert "#confidential" not in page


def test_private_blog_is_not_found_for_others(api, alice, bob, client, browser, app):
    post = secret_blog(api, alice, client, "private")
    bobs = login(app.test_client(), "bob")
    paths = [
        "/alice/",
        "/alice/secret-diary-title",
        "/alice/tag:confidential",
        "/alice/feed/",
        f"/{post['id']}",
        f"/{post['id']}.txt",
        f"/{post['id']}.md",
        f"/{post['id']}.py",
        "/alice/page/2",
    ]
    for reader in (browser, bobs):
        for path in paths:
            assert_hidden(reader.get(path))
    # The owner, logged in through the form, sees everything.
    home = client.get("/alice/")
    assert home.status_code == 200 and SECRET_TITLE in text(home)
    assert client.get("/alice/secret-diary-title").status_code == 200
    assert SECRET_TITLE in text(client.get("/alice/tag:confidential"))
    assert client.get("/alice/feed/").status_code == 200
    assert client.get(f"/{post['id']}").status_code == 302


def test_private_blog_unlock_is_not_found(api, alice, client, browser):
    secret_blog(api, alice, client, "private")
    response = submit(browser, "/alice/unlock", {"password": "anything"})
    assert_hidden(response)


def test_password_protected_blog(api, alice, client, browser, app):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    for path in ("/alice/", "/alice/secret-diary-title", "/alice/tag:confidential"):
        response = browser.get(path)
        assert_hidden(response, 403)
        assert 'name="password"' in text(response) and 'action="/alice/unlock"' in text(response)
    assert_hidden(browser.get(f"/{post['id']}"), 403)
    assert_hidden(browser.get("/alice/feed/"), 403)
    wrong = submit(browser, "/alice/unlock", {"password": "not it", "next": "/alice/"})
    assert_hidden(wrong, 403)
    assert "not the password" in text(wrong)
    right = submit(
        browser, "/alice/unlock", {"password": "open sesame", "next": "/alice/secret-diary-title"}
    )
    assert right.status_code == 303
    assert location(right) == "/alice/secret-diary-title"
    assert browser.get("/alice/").status_code == 200
    page = browser.get("/alice/secret-diary-title")
    assert page.status_code == 200 and "Hidden words" in text(page)
    # Only in that session.
    assert_hidden(app.test_client().get("/alice/"), 403)
    # The owner never needs the password.
    assert client.get("/alice/secret-diary-title").status_code == 200


def test_unlock_does_not_redirect_off_the_blog(api, alice, client, browser):
    secret_blog(api, alice, client, "password", password="open sesame")
    response = submit(
        browser, "/alice/unlock", {"password": "open sesame", "next": "//evil.example/"}
    )
    assert response.status_code == 303
    assert location(response) == "/alice/"


def test_unlisted_blog_is_readable(api, alice, client, browser):
    post = secret_blog(api, alice, client, "unlisted")
    assert SECRET_TITLE in text(browser.get("/alice/"))
    assert browser.get("/alice/secret-diary-title").status_code == 200
    assert browser.get(f"/{post['id']}").status_code == 302


def test_scheduled_posts_are_hidden_until_their_time(api, alice, bob, client, browser, app):
    blog_post(api, alice, title="Visible Now", body="Already out #news")
    blog_post(api, alice, title="Future Post", body="Not yet #news", created="2099-01-01T00:00:00Z")
    bobs = login(app.test_client(), "bob")
    for reader in (browser, bobs):
        assert stream_slugs(text(reader.get("/alice/"))) == ["visible-now"]
        assert stream_slugs(text(reader.get("/alice/tag:news"))) == ["visible-now"]
        feed = reader.get("/alice/feed/")
        assert b"Future Post" not in feed.get_data() and b"Not yet" not in feed.get_data()
        assert reader.get("/alice/future-post").status_code == 404
    login(client, "alice")
    owner_home = text(client.get("/alice/"))
    assert stream_slugs(owner_home) == ["future-post", "visible-now"]
    assert "scheduled" in owner_home
    page = client.get("/alice/future-post")
    assert page.status_code == 200 and "Not yet" in text(page)


# --- custom CSS, headers, views -----------------------------------------------------------------


def test_custom_css_cannot_end_the_style_element(api, alice, client):
    css = "body{color:red}</style><script>alert(1)</script><style>"
    update_blog(api, alice, style_sheet=css)
    blog_post(api, alice, title="Styled")
    for path in ("/alice/", "/alice/styled"):
        page = text(client.get(path))
        assert "body{color:red}" in page
        assert "</style><script>" not in page
        assert "<script>alert(1)</script>" not in page
        assert page.count("</style>") == 1


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/alice/", "/nosuchpost123"])
def test_security_headers_on_pages(alice, client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_security_headers_on_post_and_raw_pages(api, client):
    post = api.publish(body="x")
    for path in (f"/{post['id']}", f"/{post['id']}.txt"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_page_views_are_counted_for_readers_but_not_the_owner(api, alice, client, browser):
    post = blog_post(api, alice, title="Counted")
    loose = api.publish(alice, body="Loose and counted")
    assert views(api, alice, post["id"]) == 0
    browser.get("/alice/counted")
    assert views(api, alice, post["id"]) == 1
    browser.get(f"/{loose['id']}")
    assert views(api, alice, loose["id"]) == 1
    login(client, "alice")
    client.get("/alice/counted")
    client.get(f"/{loose['id']}")
    assert views(api, alice, post["id"]) == 1
    assert views(api, alice, loose["id"]) == 1


# --- more edges --------------------------------------------------------------------------------


def test_failed_form_logins_at_auth_login_are_rate_limited_too(make_app):
    from conftest import Api

    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    Api(app.test_client()).signup("alice")
    client = app.test_client()
    codes = [
        submit(client, "/auth/login", {"alias": "alice", "pass": "nope nope"}).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_failed_logins_count_across_login_and_auth_login(make_app):
    from conftest import Api

    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    Api(app.test_client()).signup("alice")
    client = app.test_client()
    wrong = {"alias": "alice", "pass": "nope nope"}
    assert submit(client, "/login", wrong, page="/login").status_code == 401
    assert submit(client, "/login", wrong, page="/login").status_code == 401
    assert submit(client, "/auth/login", wrong).status_code == 429


def test_publishing_into_someone_elses_blog_is_refused(alice, bob, client, api):
    login(client, "bob")
    response = submit(client, "/", {"body": "Intruder", "collection": "alice"})
    assert response.status_code == 403
    assert "<textarea" in text(response) and 'class="error"' in text(response)
    assert api.call("GET", "/api/collections/alice").json["data"]["total_posts"] == 0


def test_wrong_methods_get_405_pages(client):
    for method, path in [("GET", "/me/claim"), ("GET", "/me/blogs/x/pin")]:
        response = client.open(path, method=method)
        assert response.status_code == 405, path
        assert response.mimetype == "text/html"


def test_unlock_requires_csrf(api, alice, client, browser):
    secret_blog(api, alice, client, "password", password="open sesame")
    response = browser.post("/alice/unlock", data={"password": "open sesame"})
    assert response.status_code == 400
    assert browser.get("/alice/").status_code == 403


def test_unlocked_session_can_follow_post_links(api, alice, client, browser):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    assert submit(browser, "/alice/unlock", {"password": "open sesame"}).status_code == 303
    redirect = browser.get(f"/{post['id']}")
    assert redirect.status_code == 302
    assert browser.get(location(redirect)).status_code == 200
    assert browser.get("/alice/feed/").status_code == 200


def test_edit_page_of_a_hidden_post_does_not_show_it(api, alice, client, browser, app):
    post = secret_blog(api, alice, client, "private")
    assert_hidden(browser.get(f"/{post['id']}/edit"))
    assert client.get(f"/{post['id']}/edit").status_code == 200  # the owner


def test_edit_page_of_a_protected_post_is_locked(api, alice, client, browser):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    assert_hidden(browser.get(f"/{post['id']}/edit"), 403)


def test_scheduled_post_by_id_is_hidden_from_others(api, alice, client, browser):
    post = blog_post(api, alice, title="Later", body="Not yet", created="2099-01-01T00:00:00Z")
    for path in (f"/{post['id']}", f"/{post['id']}.txt", f"/{post['id']}/edit"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Not yet" not in text(response)
    login(client, "alice")
    assert client.get(f"/{post['id']}").status_code == 302
    assert text(client.get(f"/{post['id']}.txt")) == "Not yet"


def test_tag_pages_ignore_case_and_reject_bad_page_numbers(api, alice, client):
    blog_post(api, alice, title="Tagged", body="On #Writing.")
    assert stream_slugs(text(client.get("/alice/tag:WRITING"))) == ["tagged"]
    assert client.get("/alice/tag:writing?page=abc").status_code == 404
    assert client.get("/alice/tag:writing?page=2").status_code == 404


def test_moving_a_post_into_a_blog_links_its_hashtags(api, alice, client, browser):
    post = api.publish(alice, body="Loose #travel notes", title="Trip")
    login(client, "alice")
    submit(client, f"/me/posts/{post['id']}/move", {"collection": "alice"})
    assert 'href="/alice/tag:travel"' in text(browser.get("/alice/trip"))
    assert stream_slugs(text(browser.get("/alice/tag:travel"))) == ["trip"]


def test_a_post_titled_like_a_blog_route_stays_reachable(api, alice, client):
    post = blog_post(api, alice, title="Feed", body="Not the feed.")
    assert post["slug"] != "feed"
    page = client.get(f"/alice/{post['slug']}")
    assert page.status_code == 200 and "Not the feed." in text(page)
    assert client.get("/alice/feed/").mimetype == "application/atom+xml"
