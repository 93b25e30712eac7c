"""Rendered pages kept per process, and the framework-free front that answers anonymous
reads: they must answer exactly what the app would, show every write at once (on any
process), and never hand one visitor's page to another."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from calls import blog_post
from pages import login, stream_slugs, submit, text
from sqlalchemy import select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from writeas.core.db import db
from writeas.core.models import Collection
from writeas.front import HotReads
from writeas.reads.page_cache import PageCache


def anonymous(app, path):
    """A first-time visitor: a fresh client, no cookies."""
    return app.test_client().get(path)


def hot_answer(app, path, **headers):
    """What the front answers by itself; fails if it hands the request on to the app."""

    def handed_on(_environ, _start_response):
        pytest.fail(f"{path} was handed on to the app")

    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    body, status, response_headers = run_wsgi_app(HotReads(app, handed_on), environ)
    return status, dict(response_headers), b"".join(body)


def full_answer(app, path, **headers):
    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    body, status, response_headers = run_wsgi_app(app.wsgi_app, environ)
    return status, dict(response_headers), b"".join(body)


# --- the front answers what the app answers ------------------------------------------------


def test_front_answers_raw_text_api_reads_and_rendered_pages_like_the_app(api, alice, app):
    code = api.publish(body="def f(x):\n    return x  # <b>not bold</b>\n", font="code")
    blog_post(api, alice, title="Hello", body="Hello #there")
    anonymous(app, f"/{code['id']}")  # rendered once, by the app
    anonymous(app, "/alice/")
    for path in (f"/{code['id']}", f"/{code['id']}.txt", f"/{code['id']}.md", "/alice/"):
        hot = hot_answer(app, path)
        # A cookie the site didn't set still sends the request the whole way through.
        full = full_answer(app, path, Cookie="unrelated=1")
        assert hot[0] == full[0] == "200 OK", path
        assert hot[2] == full[2], path
        for header in (
            "Content-Type",
            "Content-Security-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
            "Vary",
        ):
            assert hot[1][header] == full[1][header], (path, header)
    status, headers, body = hot_answer(app, f"/api/posts/{code['id']}")
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    full_json = api.call("GET", f"/api/posts/{code['id']}", token=alice).json["data"]
    # Compact like every other envelope, whichever path wrote it.
    assert body.startswith(b'{"code":200,"data":{"id":')
    published = api.call("POST", "/api/posts", json={"body": "x"}).get_data()
    assert published.startswith(b'{"code":201,"data":{"id":')
    hot_json = app.json.loads(body)
    assert hot_json["code"] == 200
    assert {k: v for k, v in hot_json["data"].items() if k != "views"} == {
        k: v for k, v in full_json.items() if k != "views"
    }


@pytest.mark.parametrize(
    "path_of, headers",
    [
        (lambda post: f"/api/posts/{post['id']}", {"Authorization": "Token nosuchtoken"}),
        (lambda post: f"/{post['id']}", {"Cookie": "session=forged"}),
        (lambda post: f"/{post['id']}.py", {}),
        (lambda post: "/api/posts/nosuchpost", {}),
    ],
)
def test_front_hands_on_what_depends_on_the_visitor_or_is_refused(api, app, path_of, headers):
    post = api.publish(body="x = 1", font="code")
    anonymous(app, f"/{post['id']}")
    with pytest.raises(pytest.fail.Exception, match="handed on"):
        hot_answer(app, path_of(post), **headers)


def test_a_blog_posts_api_read_carries_the_blogs_absolute_url(api, alice, app):
    post = blog_post(api, alice, title="Hello")
    with pytest.raises(pytest.fail.Exception, match="handed on"):
        hot_answer(app, f"/api/posts/{post['id']}")
    environ = EnvironBuilder(path=f"/api/posts/{post['id']}", base_url="https://blog.example")
    body, status, _headers = run_wsgi_app(app.wsgi_app, environ.get_environ())
    assert status == "200 OK"
    collection = app.json.loads(b"".join(body))["data"]["collection"]
    assert collection["url"] == "https://blog.example/alice/"


def test_refusals_are_the_apps_answers(api, alice, app):
    private = blog_post(api, alice, title="Secret", body="Hidden text")
    api.call("POST", "/api/collections/alice", token=alice, json={"visibility": "private"})
    gone = api.publish(body="soon gone")
    api.call("POST", f"/api/posts/{gone['id']}", json={"token": gone["token"], "body": ""})
    client = app.test_client()
    for path, status in (
        (f"/api/posts/{private['id']}", 404),
        (f"/{private['id']}.txt", 404),
        (f"/api/posts/{gone['id']}", 410),
        ("/api/posts/..%2f..%2fetc", 404),
        ("/alice/", 404),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert "Hidden text" not in text(response)
        if path.startswith("/api/"):
            assert response.json["code"] == status and response.json["error_msg"]


# --- every write shows at once ------------------------------------------------------------


def test_edits_show_at_once_on_a_cached_post_page(api, app):
    post = api.publish(body="First version")
    assert "First version" in text(anonymous(app, f"/{post['id']}"))
    # In the same second: `updated` can't tell the versions apart, the cache must.
    api.call("POST", f"/api/posts/{post['id']}", json={"token": post["token"], "body": "Second"})
    page = text(anonymous(app, f"/{post['id']}"))
    assert "Second" in page and "First version" not in page


def test_every_kind_of_blog_write_shows_at_once_on_cached_blog_pages(api, alice, app):
    first = blog_post(api, alice, title="First", created="2026-01-01T00:00:01Z")
    blog_post(api, alice, title="Second", created="2026-01-01T00:00:02Z")
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["second", "first"]

    blog_post(api, alice, title="Third", created="2026-01-01T00:00:03Z")
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["third", "second", "first"]

    api.call("POST", "/api/collections/alice/pin", token=alice, json=[{"id": first["id"]}])
    home = text(anonymous(app, "/alice/"))
    assert stream_slugs(home) == ["third", "second"]
    assert 'href="/alice/first"' in home  # now in the pinned navigation

    api.call("DELETE", f"/api/posts/{first['id']}", token=alice)
    assert 'href="/alice/first"' not in text(anonymous(app, "/alice/"))

    api.call("POST", "/api/collections/alice", token=alice, json={"title": "Renamed Blog"})
    assert "Renamed Blog" in text(anonymous(app, "/alice/"))

    api.call("POST", "/api/collections", token=alice, json={"alias": "other", "title": "Other"})
    api.call("POST", "/api/collections/other/collect", token=alice, json=[{"id": first["id"]}])
    third = api.call("GET", "/api/collections/alice/posts/third").json["data"]
    moved = api.call(
        "POST", "/api/collections/other/collect", token=alice, json=[{"id": third["id"]}]
    )
    assert moved.status_code == 200
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["second"]
    assert "third" in text(anonymous(app, "/other/"))


def test_a_write_through_another_process_shows_at_once(api, alice, app, make_app):
    """Two apps on one database stand for two nodes: each has its own page cache."""
    blog_post(api, alice, title="Before")
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["before"]
    other = make_app(schema=False).test_client()
    response = other.post(
        "/api/collections/alice/posts",
        headers={"Authorization": f"Token {alice}"},
        json={"title": "After", "body": "Written elsewhere"},
    )
    assert response.status_code == 201
    assert sorted(stream_slugs(text(anonymous(app, "/alice/")))) == ["after", "before"]


def test_a_scheduled_post_appears_on_a_cached_blog_page_when_its_time_comes(api, alice, app):
    blog_post(api, alice, title="Now", created="2026-01-01T00:00:00Z")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    blog_post(api, alice, title="Soon", created=soon.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["now"]
    while datetime.now(UTC) < soon + timedelta(seconds=1):
        time.sleep(0.2)
    assert stream_slugs(text(anonymous(app, "/alice/"))) == ["soon", "now"]


def test_blog_versions_move_with_writes_and_not_with_views(api, alice, app):
    def version():
        with app.app_context():
            return db.session.scalar(
                select(Collection.content_version).where(Collection.alias == "alice")
            )

    start = version()
    post = blog_post(api, alice, title="Counted")
    after_publish = version()
    assert after_publish > start
    for _ in range(3):
        anonymous(app, "/alice/counted")
    app.extensions["writeas.reads"].views.flush()
    assert version() == after_publish
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "Changed"})
    assert version() > after_publish


# --- one visitor's page is never another's ------------------------------------------------


def test_the_owners_page_and_the_anonymous_page_never_mix(api, alice, app):
    blog_post(api, alice, title="Public")
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    blog_post(api, alice, title="Later", created=later)
    owner = app.test_client()
    login(owner, "alice")
    for _ in range(2):  # both orders: the owner first, then a visitor, then the owner again
        assert stream_slugs(text(owner.get("/alice/"))) == ["later", "public"]
        page = text(anonymous(app, "/alice/"))
        assert stream_slugs(page) == ["public"]
        assert "Log out" not in page and "csrf_token" not in page


def test_the_authors_token_is_only_on_the_authors_page(app):
    author = app.test_client()
    response = submit(author, "/", {"body": "Mine to edit"})
    post_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert "data-post-token" not in text(anonymous(app, f"/{post_id}"))
    assert "data-post-token" in text(author.get(f"/{post_id}"))
    assert "data-post-token" not in text(anonymous(app, f"/{post_id}"))


# --- the cache itself ---------------------------------------------------------------------


def test_page_cache_evicts_the_least_recently_used_beyond_its_size():
    cache = PageCache(max_chars=100)
    cache.put(("a",), "a" * 20)
    cache.put(("b",), "b" * 20)
    assert cache.get(("a",)) == "a" * 20  # now the most recently used
    cache.put(("c",), "c" * 20)
    cache.put(("d",), "d" * 20)
    cache.put(("e",), "e" * 20)  # 100 chars: the limit, nothing dropped yet
    cache.put(("f",), "f" * 20)
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) == "a" * 20
    cache.put(("huge",), "x" * 60)  # over a quarter of the cache: not kept
    assert cache.get(("huge",)) is None


def test_page_cache_entries_expire():
    cache = PageCache(max_chars=1000)
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    cache.put(("old",), "stale", expires=past)
    cache.put(("kept",), "fresh", expires=past + timedelta(days=1))
    assert cache.get(("old",)) is None
    assert cache.get(("kept",)) == "fresh"
