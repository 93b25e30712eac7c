"""Blogs as pages, through HTTP: their home pages, pinned navigation and feeds, the
visibility rules on every page, custom CSS, headers and view counts.

Forms are submitted the way a browser does: GET a page, take its CSRF token, POST it."""

import xml.etree.ElementTree as ET

import pytest
from calls import Api, blog_post, five_yearly_posts, update_blog, views
from pages import (
    location,
    login,
    stream_slugs,
    submit,
    text,
)

ATOM = "{http://www.w3.org/2005/Atom}"


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
    assert '<p class="excerpt p-summary">Some middle text.</p>' in page
    assert '<p class="excerpt p-summary">The first words.</p>' in page
    assert 'rel="next"' not in page


def test_empty_and_unknown_blogs(alice, client):
    assert "Nothing here yet." in text(client.get("/alice/"))
    missing = client.get("/nosuchblog/")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_blog_pagination(make_app):

    client = five_yearly_posts(make_app)
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


def test_private_blog_is_not_found_for_others(api, alice, bob, client, stranger, app):
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
    for reader in (stranger, bobs):
        for path in paths:
            assert_hidden(reader.get(path))
    # The owner, logged in through the form, sees everything.
    home = client.get("/alice/")
    assert home.status_code == 200 and SECRET_TITLE in text(home)
    assert client.get("/alice/secret-diary-title").status_code == 200
    assert SECRET_TITLE in text(client.get("/alice/tag:confidential"))
    assert client.get("/alice/feed/").status_code == 200
    assert client.get(f"/{post['id']}").status_code == 302


def test_private_blog_unlock_is_not_found(api, alice, client, stranger):
    secret_blog(api, alice, client, "private")
    response = submit(stranger, "/alice/unlock", {"password": "anything"})
    assert_hidden(response)


def test_password_protected_blog(api, alice, client, stranger, app):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    for path in ("/alice/", "/alice/secret-diary-title", "/alice/tag:confidential"):
        response = stranger.get(path)
        assert_hidden(response, 403)
        assert 'name="password"' in text(response) and 'action="/alice/unlock"' in text(response)
    assert_hidden(stranger.get(f"/{post['id']}"), 403)
    assert_hidden(stranger.get("/alice/feed/"), 403)
    wrong = submit(stranger, "/alice/unlock", {"password": "not it", "next": "/alice/"})
    assert_hidden(wrong, 403)
    assert "not the password" in text(wrong)
    right = submit(
        stranger, "/alice/unlock", {"password": "open sesame", "next": "/alice/secret-diary-title"}
    )
    assert right.status_code == 303
    assert location(right) == "/alice/secret-diary-title"
    assert stranger.get("/alice/").status_code == 200
    page = stranger.get("/alice/secret-diary-title")
    assert page.status_code == 200 and "Hidden words" in text(page)
    # Only in that session.
    assert_hidden(app.test_client().get("/alice/"), 403)
    # The owner never needs the password.
    assert client.get("/alice/secret-diary-title").status_code == 200


def test_unlock_does_not_redirect_off_the_blog(api, alice, client, stranger):
    secret_blog(api, alice, client, "password", password="open sesame")
    response = submit(
        stranger, "/alice/unlock", {"password": "open sesame", "next": "//evil.example/"}
    )
    assert response.status_code == 303
    assert location(response) == "/alice/"


def test_unlisted_blog_is_readable(api, alice, client, stranger):
    post = secret_blog(api, alice, client, "unlisted")
    assert SECRET_TITLE in text(stranger.get("/alice/"))
    assert stranger.get("/alice/secret-diary-title").status_code == 200
    assert stranger.get(f"/{post['id']}").status_code == 302


def test_scheduled_posts_are_hidden_until_their_time(api, alice, bob, client, stranger, app):
    blog_post(api, alice, title="Visible Now", body="Already out #news")
    blog_post(api, alice, title="Future Post", body="Not yet #news", created="2099-01-01T00:00:00Z")
    bobs = login(app.test_client(), "bob")
    for reader in (stranger, bobs):
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


def test_page_views_are_counted_for_readers_but_not_the_owner(api, alice, client, stranger):
    post = blog_post(api, alice, title="Counted")
    loose = api.publish(alice, body="Loose and counted")
    assert views(api, alice, post["id"]) == 0
    stranger.get("/alice/counted")
    assert views(api, alice, post["id"]) == 1
    stranger.get(f"/{loose['id']}")
    assert views(api, alice, loose["id"]) == 1
    login(client, "alice")
    client.get("/alice/counted")
    client.get(f"/{loose['id']}")
    assert views(api, alice, post["id"]) == 1
    assert views(api, alice, loose["id"]) == 1


# --- more edges --------------------------------------------------------------------------------


def test_failed_form_logins_at_auth_login_are_rate_limited_too(make_app):

    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    Api(app.test_client()).signup("alice")
    client = app.test_client()
    codes = [
        submit(client, "/auth/login", {"alias": "alice", "pass": "nope nope"}).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_failed_logins_count_across_login_and_auth_login(make_app):

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


def test_unlock_requires_csrf(api, alice, client, stranger):
    secret_blog(api, alice, client, "password", password="open sesame")
    response = stranger.post("/alice/unlock", data={"password": "open sesame"})
    assert response.status_code == 400
    assert stranger.get("/alice/").status_code == 403


def test_unlocked_session_can_follow_post_links(api, alice, client, stranger):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    assert submit(stranger, "/alice/unlock", {"password": "open sesame"}).status_code == 303
    redirect = stranger.get(f"/{post['id']}")
    assert redirect.status_code == 302
    assert stranger.get(location(redirect)).status_code == 200
    assert stranger.get("/alice/feed/").status_code == 200


def test_edit_page_of_a_hidden_post_does_not_show_it(api, alice, client, stranger, app):
    post = secret_blog(api, alice, client, "private")
    assert_hidden(stranger.get(f"/{post['id']}/edit"))
    assert client.get(f"/{post['id']}/edit").status_code == 200  # the owner


def test_edit_page_of_a_protected_post_is_locked(api, alice, client, stranger):
    post = secret_blog(api, alice, client, "password", password="open sesame")
    assert_hidden(stranger.get(f"/{post['id']}/edit"), 403)


def test_scheduled_post_by_id_is_hidden_from_others(api, alice, client, stranger):
    post = blog_post(api, alice, title="Later", body="Not yet", created="2099-01-01T00:00:00Z")
    for path in (f"/{post['id']}", f"/{post['id']}.txt", f"/{post['id']}/edit"):
        response = stranger.get(path)
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


def test_moving_a_post_into_a_blog_links_its_hashtags(api, alice, client, stranger):
    post = api.publish(alice, body="Loose #travel notes", title="Trip")
    login(client, "alice")
    submit(client, f"/me/posts/{post['id']}/move", {"collection": "alice"})
    assert 'href="/alice/tag:travel"' in text(stranger.get("/alice/trip"))
    assert stream_slugs(text(stranger.get("/alice/tag:travel"))) == ["trip"]


def test_a_post_titled_like_a_blog_route_stays_reachable(api, alice, client):
    post = blog_post(api, alice, title="Feed", body="Not the feed.")
    assert post["slug"] != "feed"
    page = client.get(f"/alice/{post['slug']}")
    assert page.status_code == 200 and "Not the feed." in text(page)
    assert client.get("/alice/feed/").mimetype == "application/atom+xml"
