"""A long paste, made through gunicorn, gets its colours from a real huey consumer on the
queue both share, and every worker of the server then shows them.

Real processes: gunicorn (two workers) and the huey consumer polling the SQLite queue at
most half a second apart, as `make run` starts them."""

import time
import urllib.request

import load
import pytest
from processes import environment, migrate, start_consumer

KEYWORD = '<span class="k">def</span>'
PASTE = "import os\n" + "\n".join(
    f"def function_{i}(self, x):\n    return x * {i}" for i in range(200)
)


@pytest.fixture
def site(make_app, database_url):
    make_app(schema=False)
    env = environment(database_url, RATELIMIT_ENABLED="false")
    migrate(env)
    server, port = load.start_server(env, 2)
    try:
        yield port, lambda: start_consumer(env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def page(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.read().decode()


def test_the_consumer_colours_a_long_paste_for_every_worker(site):
    port, start = site
    status, reply = load.Client(port).call("POST", "/api/posts", {"body": PASTE, "font": "code"})
    assert status == 201
    path = f"/{reply['data']['id']}"
    assert KEYWORD not in page(port, path)  # no consumer yet: the numbered plain view
    consumer = start()
    try:
        deadline = time.monotonic() + 30
        while KEYWORD not in page(port, path) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Each of the server's workers (connections land on either) shows the colours.
        assert all(KEYWORD in page(port, path) for _ in range(10))
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
