"""Faults under load: gunicorn workers and the crosspost worker are SIGKILLed while
clients write, and nothing acknowledged is lost, and nothing is crossposted twice.

Real processes throughout: gunicorn (several workers), the huey consumer, `flask
crossposts sweep`, on the test's database, against the local Mastodon server."""

import json
import signal
import threading
import time

import load
import pytest
from calls import mastodon_channel
from platform_servers import mastodon, running
from processes import environment, migrate, start_consumer, sweep


@pytest.fixture
def server_env(make_app, database_url):
    make_app(schema=False)  # a fresh database for this test (PostgreSQL: an empty schema)
    return environment(
        database_url,
        RATELIMIT_ENABLED="false",
        DELIVERY_LEASE_SECONDS="2",
        OUTBOUND_TIMEOUT_SECONDS="10",
    )


def test_killed_web_workers_lose_no_acknowledged_write(server_env, capsys):
    status = load.run(seconds=6, threads=6, workers=3, kill_every=1.5, env=server_env)
    output = capsys.readouterr().out
    assert status == 0, output
    assert "workers killed" in output and " 0 workers killed" not in output


def test_killed_crosspost_worker_never_posts_twice(server_env):
    env = server_env
    state = mastodon.State(slow_seconds=0.3)
    migrate(env)
    server, port = load.start_server(env, 2)
    consumer = start_consumer(env)
    client = load.Client(port)
    try:
        with running(mastodon.create(state)) as mastodon_url:
            _, reply = client.call(
                "POST", "/api/auth/signup", {"alias": "alice", "pass": "correct horse"}
            )
            token = reply["data"]["access_token"]

            def call(method, path, body=None):
                conn = load.http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
                conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
                response = conn.getresponse()
                return response.status, json.loads(response.read() or b"null")

            status, _ = call(
                "POST",
                "/api/me/channels",
                mastodon_channel(mastodon_url, state.access_token),
            )
            assert status == 201
            posted: list[str] = []
            stop = threading.Event()

            def writer():
                while not stop.is_set() and len(posted) < 30:
                    status, reply = call(
                        "POST",
                        "/api/posts",
                        {"body": f"Post {len(posted)}", "crosspost": [{"mastodon": "alice"}]},
                    )
                    if status == 201:
                        posted.append(reply["data"]["id"])

            thread = threading.Thread(target=writer)
            thread.start()
            for _ in range(4):  # kill the crosspost worker mid-delivery, then bring it back
                time.sleep(1.2)
                consumer.send_signal(signal.SIGKILL)
                consumer.wait(timeout=10)
                consumer = start_consumer(env)
            stop.set()
            thread.join(timeout=60)
            assert posted

            def unfinished():
                results = [call("GET", f"/api/posts/{p}/crossposts")[1]["data"] for p in posted]
                return [
                    r
                    for batch in results
                    for r in batch[0]["results"]
                    if r["status"] not in ("published", "failed", "unconfirmed")
                ]

            deadline = time.monotonic() + 180
            while unfinished() and time.monotonic() < deadline:
                time.sleep(2.5)  # past the lease of anything a killed worker held
                sweep(env)
            assert unfinished() == []
            results = [
                call("GET", f"/api/posts/{p}/crossposts")[1]["data"][0]["results"][0]
                for p in posted
            ]
    finally:
        consumer.kill()
        server.terminate()
        server.communicate(timeout=30)
    published = [r for r in results if r["status"] == "published"]
    assert len(published) == len(posted)  # Mastodon dedupes resends, so all complete
    texts = [s["text"] for s in state.statuses]
    assert len(texts) == len(set(texts)) == len(posted)  # and nothing twice
    assert {r["post_id"] for r in published} == {s["id"] for s in state.statuses}
