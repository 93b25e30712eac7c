"""Conditional requests: every read carries a strong ETag and a Last-Modified, a client
that holds the current answer gets a bodiless 304 (from the app and from the fast front
alike), and anything that changes what an answer shows changes its ETag."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from calls import blog_post, iso, update_blog, views
from pages import login, stream_slugs, text
from test_page_cache import anonymous, hot_answer
from werkzeug.http import http_date, parse_date


def revalidate(app, path, tag=None, since=None, method="GET"):
    headers = {}
    if tag is not None:
        headers["If-None-Match"] = tag
    if since is not None:
        headers["If-Modified-Since"] = since
    return app.test_client().open(path, method=method, headers=headers)


def assert_validated(response):
    tag = response.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert parse_date(response.headers["Last-Modified"]) is not None
    return tag


SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
            "X-Frame-Options")


def assert_not_modified(response, tag):
    """Bodiless, with only what updates the cached answer (RFC 9110 §15.4.5): the 200's
    own security headers stay in the cache."""
    assert response.status_code == 304, response.data[:200]
    assert response.data == b""
    assert response.headers["ETag"] == tag
    assert "Content-Type" not in response.headers
    assert not [name for name in SECURITY if name in response.headers]


@pytest.fixture
def paths(api, alice):
    """One of each read: an anonymous code post (its page, raw text and API read), a blog
    post, the blog's page and its feed."""
    code = api.publish(body="def f(x):\n    return x\n", font="code")
    blog_post(api, alice, title="Hello", body="Hello there")
    return {
        "page": f"/{code['id']}",
        "raw": f"/{code['id']}.txt",
        "api": f"/api/posts/{code['id']}",
        "blog post": "/alice/hello",
        "blog": "/alice/",
        "feed": "/alice/feed/",
        "code id": code["id"],
        "code token": code["token"],
    }


READS = ("page", "raw", "api", "blog post", "blog", "feed")


@pytest.mark.parametrize("read", READS)
def test_a_client_holding_the_answer_gets_a_304_from_the_app_and_the_front(app, paths, read):
    first = anonymous(app, paths[read])
    assert first.status_code == 200
    tag = assert_validated(first)
    again = anonymous(app, paths[read])
    assert again.headers["ETag"] == tag  # stable while unchanged (views don't count)
    if read != "api":
        assert again.data == first.data
    assert_not_modified(revalidate(app, paths[read], tag), tag)
    assert_not_modified(revalidate(app, paths[read], f"W/{tag}"), tag)  # weak comparison
    assert_not_modified(revalidate(app, paths[read], f'"other", {tag}'), tag)
    assert_not_modified(revalidate(app, paths[read], "*"), tag)
    assert revalidate(app, paths[read], '"something else"').status_code == 200
    assert_not_modified(revalidate(app, paths[read], tag, method="HEAD"), tag)


@pytest.mark.parametrize("read", ("page", "raw", "api", "blog"))
def test_the_front_answers_the_same_validators_and_the_same_304(app, paths, read):
    anonymous(app, paths[read])  # rendered (and cached) by the app
    tag = anonymous(app, paths[read]).headers["ETag"]
    status, headers, body = hot_answer(app, paths[read])
    assert status.startswith("200") and headers["ETag"] == tag
    assert headers["Last-Modified"] == anonymous(app, paths[read]).headers["Last-Modified"]
    assert all(name in headers for name in SECURITY)
    status, headers, body = hot_answer(app, paths[read], **{"If-None-Match": tag})
    assert status.startswith("304") and body == b""
    assert headers["ETag"] == tag and "Content-Type" not in headers
    assert not [name for name in SECURITY if name in headers]
    assert headers["Cache-Control"] == anonymous(app, paths[read]).headers["Cache-Control"]
    assert "Vary" in headers


@pytest.mark.parametrize("read", READS)
def test_an_edit_changes_the_etag(api, alice, app, paths, read):
    tag = anonymous(app, paths[read]).headers["ETag"]
    anonymous(app, paths[read])  # now cached: the front answers the revalidation
    if read in ("blog post", "blog", "feed"):
        post_id = api.call("GET", "/api/collections/alice/posts/hello").json["data"]["id"]
        api.call("POST", f"/api/posts/{post_id}", token=alice, json={"body": "Changed"})
    else:
        edit = {"token": paths["code token"], "body": "def f(x):\n    return 'Changed'\n"}
        assert api.call("POST", f"/api/posts/{paths['code id']}", json=edit).status_code == 200
    response = revalidate(app, paths[read], tag)
    assert response.status_code == 200
    assert response.headers["ETag"] != tag
    assert b"Changed" in response.data


@pytest.mark.parametrize("read", ("blog post", "blog", "feed"))
def test_a_change_to_the_blog_changes_the_etag_of_its_pages(api, alice, app, paths, read):
    tag = anonymous(app, paths[read]).headers["ETag"]
    update_blog(api, alice, title="A New Name")
    response = revalidate(app, paths[read], tag)
    assert response.status_code == 200 and b"A New Name" in response.data


def test_a_new_post_changes_the_blog_page_and_feed(api, alice, app, paths):
    tags = {read: anonymous(app, paths[read]).headers["ETag"] for read in ("blog", "feed")}
    blog_post(api, alice, title="Second")
    for read, tag in tags.items():
        response = revalidate(app, paths[read], tag)
        assert response.status_code == 200 and b"Second" in response.data


def test_a_scheduled_post_going_live_changes_the_blog_page_etag(api, alice, app):
    blog_post(api, alice, title="Now", created="2026-01-01T00:00:00Z")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    blog_post(api, alice, title="Soon", created=iso(soon))
    before = anonymous(app, "/alice/")
    assert stream_slugs(text(before)) == ["now"]
    while datetime.now(UTC) < soon + timedelta(seconds=1):
        time.sleep(0.2)
    after = revalidate(app, "/alice/", before.headers["ETag"])
    assert after.status_code == 200 and stream_slugs(text(after)) == ["soon", "now"]
    # Its Last-Modified moved too: a client that only sends the date isn't told "unchanged".
    assert parse_date(after.headers["Last-Modified"]) >= soon
    since = revalidate(app, "/alice/", since=before.headers["Last-Modified"])
    assert since.status_code == 200


def test_if_modified_since_alone_is_honoured_and_if_none_match_wins(app, paths):
    for read in READS:
        first = anonymous(app, paths[read])
        modified = first.headers["Last-Modified"]
        assert revalidate(app, paths[read], since=modified).status_code == 304
        later = http_date(datetime.now(UTC) + timedelta(days=1))
        assert revalidate(app, paths[read], since=later).status_code == 304
        earlier = http_date(parse_date(modified) - timedelta(seconds=1))
        assert revalidate(app, paths[read], since=earlier).status_code == 200
        assert revalidate(app, paths[read], since="not a date").status_code == 200
        # A client whose ETag no longer matches gets the new answer, whatever its date says.
        assert revalidate(app, paths[read], '"stale"', since=later).status_code == 200


def test_a_revalidation_counts_as_a_view_and_views_never_defeat_it(api, alice, app):
    post = blog_post(api, alice, title="Counted")
    path = f"/api/posts/{post['id']}"
    tag = anonymous(app, path).headers["ETag"]
    for _ in range(3):
        assert revalidate(app, path, tag).status_code == 304
    assert views(api, alice, post["id"]) == 4


def test_anonymous_pages_are_public_for_a_minute_and_signed_in_pages_private(
    client, api, alice, app, paths
):
    for read in ("page", "raw", "blog post", "blog", "feed"):
        assert anonymous(app, paths[read]).headers["Cache-Control"] == "public, max-age=60"
    assert anonymous(app, paths["api"]).headers["Cache-Control"] == "no-cache"
    assert api.call("GET", paths["api"], token=alice).headers["Cache-Control"] == (
        "private, no-store"
    )
    login(client, "alice")
    for read in ("blog post", "blog"):
        assert client.get(paths[read]).headers["Cache-Control"] == "private, no-store"
    assert client.get("/me/").headers["Cache-Control"] == "private, no-store"


def test_page_max_age_is_a_setting(make_app, api):
    app = make_app(PAGE_MAX_AGE=0)
    client = app.test_client()
    post = client.post("/api/posts", json={"body": "Hello"}).json["data"]
    assert client.get(f"/{post['id']}").headers["Cache-Control"] == "no-cache"
    app = make_app(PAGE_MAX_AGE=300)
    assert app.test_client().get(f"/{post['id']}").headers["Cache-Control"] == (
        "public, max-age=300"
    )


def test_other_reads_get_an_etag_over_their_bytes(api, alice, app, paths):
    for path in ("/api/collections/alice/posts", "/api/collections/alice", "/.well-known/nodeinfo"):
        first = anonymous(app, path)
        tag = first.headers["ETag"]
        assert_not_modified(revalidate(app, path, tag), tag)
    tag = anonymous(app, "/api/collections/alice/posts").headers["ETag"]
    blog_post(api, alice, title="Third")
    assert revalidate(app, "/api/collections/alice/posts", tag).status_code == 200


def test_errors_and_writes_are_never_304(api, app, paths):
    assert revalidate(app, "/nonexistent-post", "*").status_code == 404
    headers = {"If-None-Match": "*"}
    response = app.test_client().post("/api/posts", json={"body": "x"}, headers=headers)
    assert response.status_code == 201


# --- a blog's order among posts of one second ----------------------------------------------


def test_posts_of_one_second_are_listed_later_written_first_everywhere(api, alice, app):
    for title in ("First", "Second", "Third", "Fourth"):
        blog_post(api, alice, title=title, created="2026-05-01T12:00:00Z")
    expected = ["fourth", "third", "second", "first"]
    assert stream_slugs(text(anonymous(app, "/alice/"))) == expected
    listed = api.call("GET", "/api/collections/alice/posts").json["data"]["posts"]
    assert [post["slug"] for post in listed] == expected
    feed = text(anonymous(app, "/alice/feed/"))
    assert re.findall(r"<id>http://localhost/alice/([a-z]+)</id>", feed) == expected
