"""The WSGI front (`writeas/front.py`) is a declared edge: for every request it answers, its
answer is the app's own answer to the same request, header for header and byte for byte
(an API read differs only in the view count, which each read moves by one)."""

import io
import json
import re

import pytest

from writeas import reads


def call(wsgi, path: str):
    """(status, sorted headers, body) of one anonymous GET through a WSGI callable."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, sorted(headers)

    body = b"".join(wsgi(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.fixture
def both(app):
    """The front (with the app behind it) and the app alone."""
    front = app.wsgi_app
    return front, front._next


@pytest.fixture
def published(api, alice):
    code = api.publish(body="def f(x):\n    return x  # <b>\n", font="code")
    prose = api.publish(body="# Title\n\nSome *prose* with #tags and ünïcödé.")
    api.call("POST", "/api/collections/alice/posts", token=alice, json={"body": "In a blog."})
    return code, prose


def answered_by_the_front(app, front, path) -> bool:
    """Whether the front answered itself: a read it serves is counted in its view tally
    without the app's request machinery; here, by whether the app's own request hooks ran
    (the front never pushes an app context)."""
    seen = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(path))
    try:
        call(front, path)
    finally:
        app.before_request_funcs[None].pop(0)
    return not seen


@pytest.mark.parametrize("kind", ["page", "raw text", "markdown", "blog home"])
def test_the_fronts_answers_are_the_apps_byte_for_byte(app, both, published, kind):
    front, app_alone = both
    code, prose = published
    path = {
        "page": f"/{code['id']}",
        "raw text": f"/{prose['id']}.txt",
        "markdown": f"/{prose['id']}.md",
        "blog home": "/alice/",
    }[kind]
    expected = call(app_alone, path)  # renders (and caches) what the front then serves
    assert expected[0] == "200 OK"
    assert answered_by_the_front(app, front, path), f"the front passed {path} on"
    assert call(front, path) == expected


def test_the_fronts_api_read_is_the_apps_but_for_the_view_count(app, both, published):
    front, app_alone = both
    _code, prose = published
    path = f"/api/posts/{prose['id']}"
    assert answered_by_the_front(app, front, path)
    status, headers, body = call(front, path)
    app_status, app_headers, app_body = call(app_alone, path)
    assert (status, headers) == (app_status, app_headers)
    counted = int(re.search(rb'"views":(\d+)', body).group(1))
    assert app_body == body.replace(b'"views":%d' % counted, b'"views":%d' % (counted + 1))
    assert b"\\u00fcn\\u00ef" in body  # ASCII-escaped, as Flask's JSON provider writes it
    assert reads.EXTENSION in app.extensions


def test_a_kept_api_answer_counts_every_read(app, both, api):
    """The front keeps the API read's bytes either side of its view count; each answer
    carries the count as it stands, even when the post's own text holds the number used
    to find where the count goes."""
    front, app_alone = both
    for body in ("Counted.", "Numbers: -7319024611857 and 1."):
        post_id = api.publish(body=body)["id"]
        path = f"/api/posts/{post_id}"
        counts = []
        for _ in range(4):
            status, _headers, raw = call(front, path)
            assert status == "200 OK"
            data = json.loads(raw)["data"]
            assert data["body"] == body
            counts.append(data["views"])
        assert counts == [counts[0] + n for n in range(4)]
        assert json.loads(call(app_alone, path)[2])["data"]["views"] == counts[-1] + 1


def test_a_write_anywhere_makes_the_front_read_again(app, both, api):
    """What the front kept holds only until the next commit, by any connection: here a
    Core UPDATE from outside every request, which no hook of ours sees."""
    front, _app_alone = both
    post_id = api.publish(body="Before.")["id"]
    path = f"/{post_id}.txt"
    assert call(front, path)[2] == call(front, path)[2] == b"Before."
    with app.app_context():
        from sqlalchemy import update

        from writeas.core.db import db
        from writeas.core.models import Post

        db.session.execute(update(Post).where(Post.id == post_id).values(body="After."))
        db.session.commit()
    assert call(front, path)[2] == b"After."
