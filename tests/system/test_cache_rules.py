"""The rules every cached answer keeps, across processes: two gunicorn servers of one
worker each ("a" and "b") share the test's database and nothing else, and each keeps its
own ready answers and rendered pages (`writeas.front`, `web.pagecache`). Every read is
made twice before the write, so each worker answers it from what it kept; the read right
after the write, in the other worker, must already show the write.

Real processes on the suite's database (SQLite, and PostgreSQL in its pass)."""

import http.client
import json
from urllib.parse import urlencode

import load
import pytest
from pages import CSRF_INPUT
from processes import environment, migrate


class Worker:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, **headers: str) -> tuple[int, dict, str]:
        return self.send("GET", path, None, headers)

    def send(self, method: str, path: str, body: dict | None, headers: dict):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body) if body is not None else None
            if data is not None:
                headers = {**headers, "Content-Type": "application/json"}
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def log_in(self, alias: str, password: str) -> str:
        """Log in through the form, as a browser does: the session's `Cookie` header."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/login")
            response = conn.getresponse()
            token = CSRF_INPUT.search(response.read().decode()).group(1)
            cookie = cookies_of(response)
            form = urlencode({"csrf_token": token, "alias": alias, "pass": password})
            conn.request(
                "POST",
                "/login",
                body=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                },
            )
            response = conn.getresponse()
            response.read()
            assert response.status == 303, response.status
            return cookies_of(response)
        finally:
            conn.close()

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        headers = {"Authorization": f"Token {token}"} if token else {}
        status, _headers, text = self.send(method, path, body, headers)
        return status, json.loads(text) if text else None


def cookies_of(response) -> str:
    return "; ".join(header.split(";", 1)[0] for header in response.msg.get_all("Set-Cookie") or ())


@pytest.fixture
def workers(make_app, database_url):
    make_app(schema=False)  # an empty database
    env = environment(database_url, RATELIMIT_ENABLED="false", SECRET_KEY="one-for-both")
    migrate(env)
    servers = [load.start_server(env, 1) for _ in range(2)]
    try:
        yield [Worker(port) for _server, port in servers]
    finally:
        for server, _port in servers:
            server.terminate()
            server.wait(timeout=30)


def warmed(worker: Worker, paths: list[str]) -> dict[str, str]:
    """Each path read twice (the second answer is the kept one, and matches the first),
    and revalidated: {path: its ETag}."""
    tags = {}
    for path in paths:
        first, second = worker.get(path), worker.get(path)
        assert first[0] == second[0] == 200, path
        tag = tags[path] = second[1]["ETag"]
        assert worker.get(path, **{"If-None-Match": tag})[0] == 304, path
    return tags


def signed_up(worker: Worker, alias: str) -> str:
    status, reply = worker.api("POST", "/api/auth/signup", {"alias": alias, "pass": "a-password"})
    assert status == 201, reply
    return reply["data"]["access_token"]


def test_an_edit_in_one_worker_is_seen_by_the_next_read_in_the_other(workers):
    a, b = workers
    status, reply = a.api("POST", "/api/posts", {"body": "The first words.", "title": "T"})
    assert status == 201
    post_id, token = reply["data"]["id"], reply["data"]["token"]
    paths = [f"/{post_id}", f"/{post_id}.txt", f"/api/posts/{post_id}"]
    before = {**warmed(a, paths), **warmed(b, paths)}

    edit = {"body": "Words changed.", "token": token}  # the anonymous post's modify token
    status, _reply = a.api("POST", f"/api/posts/{post_id}", edit)
    assert status == 200

    assert b.get(f"/{post_id}.txt")[2] == "Words changed."
    assert json.loads(b.get(f"/api/posts/{post_id}")[2])["data"]["body"] == "Words changed."
    page = b.get(f"/{post_id}")[2]
    assert "Words changed." in page and "The first words." not in page
    for path in paths:  # the old copies are not current any more, in either worker
        for worker in (b, a):
            status, headers, _body = worker.get(path, **{"If-None-Match": before[path]})
            assert status == 200 and headers["ETag"] != before[path], path


def test_a_post_made_private_disappears_from_every_worker_at_once(workers):
    a, b = workers
    token = signed_up(a, "diarist")
    status, reply = a.api(
        "POST",
        "/api/collections/diarist/posts",
        {"body": "Dear diary, today.", "title": "Day"},
        token,
    )
    assert status == 201
    post = reply["data"]
    paths = [
        "/diarist/",
        f"/diarist/{post['slug']}",
        f"/{post['id']}.txt",
        f"/api/posts/{post['id']}",
        "/api/collections/diarist/posts",
    ]
    before = {**warmed(b, paths), **warmed(a, paths)}

    status, _reply = a.api("POST", "/api/collections/diarist", {"visibility": "private"}, token)
    assert status == 200

    for worker in (b, a):
        for path in paths:
            for headers in ({}, {"If-None-Match": before[path]}):
                status, _headers, body = worker.get(path, **headers)
                assert status == 404, (path, headers, status)
                assert "Dear diary" not in body
    # Its owner still reads it, from either worker.
    for worker in (b, a):
        status, reply = worker.api("GET", f"/api/posts/{post['id']}", token=token)
        assert status == 200 and reply["data"]["body"] == "Dear diary, today."


def test_readers_with_different_rights_never_get_each_others_answer(workers):
    a, b = workers
    token = signed_up(a, "hidden")
    a.api("POST", "/api/collections/hidden", {"visibility": "private"}, token)
    status, reply = a.api(
        "POST", "/api/collections/hidden/posts", {"body": "Only mine to read."}, token
    )
    assert status == 201
    post = reply["data"]
    cookie = b.log_in("hidden", "a-password")  # a web session, good on either worker
    pages = ["/hidden/", f"/hidden/{post['slug']}", f"/{post['id']}.txt"]
    for worker in (a, b, b, a):  # each order, each worker, with answers kept in between
        assert worker.api("GET", f"/api/posts/{post['id']}", token=token)[0] == 200
        status, _headers, body = worker.get(f"/api/posts/{post['id']}")
        assert status == 404 and "Only mine" not in body
        for path in pages:
            status, _headers, body = worker.get(path, Cookie=cookie)
            assert status == 200 and "Only mine to read." in body, path
            status, _headers, body = worker.get(path)
            assert status == 404 and "Only mine" not in body, path
