"""Several app processes share one PostgreSQL and one Redis: what one writes, the other
reads, edits and crossposts; rate-limit counters and the delivery queue are shared.

Runs in the PostgreSQL pass of `make test`, which also starts a Redis (TEST_REDIS_URL):
two gunicorn instances (two "hosts") and a huey consumer, all real processes."""

import base64
import json
import os
import secrets
import time
from pathlib import Path

import load
import pytest
from calls import mastodon_channel
from databases import POSTGRES_URL
from platform_servers import mastodon, running
from processes import environment, migrate, start_consumer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="needs PostgreSQL and Redis (make test-postgres)"
)


class Host:
    """One app instance, spoken to over HTTP."""

    def __init__(self, port: int):
        self.port = port

    def call(self, method, path, body=None, token=None):
        conn = load.http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        raw = response.read()
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        return response.status, (json.loads(raw) if is_json and raw else raw.decode())


@pytest.fixture
def cluster(make_app, database_url):
    import redis

    make_app(schema=False)  # an empty database
    redis.Redis.from_url(REDIS_URL).flushdb()
    keys = "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = environment(
        database_url,
        REDIS_URL=REDIS_URL,
        ANON_WRITE_RATE_LIMIT="5 per minute",
        SECRET_KEY="shared-by-every-host",
        CREDENTIALS_KEYS=keys,
    )
    migrate(env)

    # Two hosts and a worker, each with its own instance folder, so nothing is shared
    # through local files — only through PostgreSQL, Redis and the configured keys.
    def on_host(name):
        return {**env, "INSTANCE_PATH": str(Path(env["INSTANCE_PATH"]) / name)}

    processes, hosts = [], []
    for name in ("a", "b"):
        server, port = load.start_server(on_host(name), 2)
        processes.append(server)
        hosts.append(Host(port))
    processes.append(start_consumer(on_host("worker")))
    yield hosts
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def test_a_post_written_on_one_host_is_read_edited_and_crossposted_on_the_other(cluster):
    a, b = cluster
    status, reply = a.call("POST", "/api/auth/signup", {"alias": "alice", "pass": "correct horse"})
    assert status == 201
    token = reply["data"]["access_token"]
    status, reply = a.call("POST", "/api/posts", {"body": "Written on host A"}, token)
    post = reply["data"]
    status, reply = b.call("GET", f"/api/posts/{post['id']}")
    assert status == 200 and reply["data"]["body"] == "Written on host A"
    status, _ = b.call("POST", f"/api/posts/{post['id']}", {"body": "Edited on host B"}, token)
    assert status == 200
    assert a.call("GET", f"/api/posts/{post['id']}")[1]["data"]["body"] == "Edited on host B"
    assert "Edited on host B" in b.call("GET", f"/{post['id']}")[1]

    state = mastodon.State()
    with running(mastodon.create(state)) as mastodon_url:
        status, reply = a.call(
            "POST",
            "/api/me/channels",
            mastodon_channel(mastodon_url, state.access_token),
            token,
        )
        assert status == 201  # sealed on host A…
        status, reply = b.call(
            "POST",
            f"/api/posts/{post['id']}/crossposts",
            {"targets": [{"channel": reply["data"]["id"]}]},
            token,
        )
        assert status == 202  # …queued on host B, in Redis…
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # …delivered by the worker
            batch = a.call("GET", f"/api/posts/{post['id']}/crossposts", token=token)[1]
            if batch["data"][0]["status"] == "published":
                break
            time.sleep(0.3)
    assert batch["data"][0]["status"] == "published"
    assert [s["text"] for s in state.statuses] == [
        f"Edited on host B\n\nhttp://127.0.0.1:{b.port}/{post['id']}"
    ]


def test_rate_limits_are_counted_across_hosts(cluster):
    a, b = cluster
    codes = [host.call("POST", "/api/posts", {"body": "x"})[0] for host in (a, b, a, b, a, b)]
    assert codes == [201, 201, 201, 201, 201, 429]
