"""A worker killed in the middle of a delivery: after a restart the delivery completes,
and the platform has the post exactly once.

Real processes: the huey consumer (`huey_consumer writeas.worker.huey`, SQLite storage) and
`flask crossposts sweep`, on the test's database, against the local Mastodon server."""

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from calls import mastodon_channel
from platform_servers import mastodon, running
from processes import environment, start_consumer, sweep

from writeas.core.db import db
from writeas.core.models import Delivery


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def worker_env(make_app, database_url):
    app = make_app()
    return app, environment(database_url, DELIVERY_LEASE_SECONDS="3", OUTBOUND_TIMEOUT_SECONDS="30")


def test_killed_worker_delivery_completes_exactly_once(worker_env, api, alice):
    app, env = worker_env
    state = mastodon.State(slow_seconds=30)  # the status is stored, then the answer hangs
    with running(mastodon.create(state)) as base_url:
        channel = api.call(
            "POST",
            "/api/me/channels",
            token=alice,
            json=mastodon_channel(base_url, state.access_token),
        ).json["data"]
        post = api.publish(alice, body="Survives a crash")
        soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        batch = api.call(
            "POST",
            f"/api/posts/{post['id']}/crossposts",
            token=alice,
            json={"targets": [{"channel": channel["id"]}], "scheduled_at": soon},
        ).json["data"]
        delivery_id = batch["results"][0]["id"]

        def row():
            with app.app_context():
                db.session.remove()
                return db.session.get(Delivery, delivery_id)

        worker = start_consumer(env, workers=1)
        try:
            time.sleep(2.5)
            sweep(env)  # the scheduled delivery is due: queue it for the worker
            wait_for(lambda: state.statuses, 30, "the worker to send the status")
            assert row().status == "sending"
            worker.send_signal(signal.SIGKILL)  # dies while waiting for Mastodon's answer
            worker.wait(timeout=10)

            state.slow_seconds = 0
            time.sleep(3.5)  # the dead worker's lease runs out
            worker = start_consumer(env, workers=1)
            sweep(env)  # finds the expired lease and queues the delivery again
            done = wait_for(lambda: row().status == "published" and row(), 30, "publication")
        finally:
            worker.kill()
            worker.wait(timeout=10)
    assert len(state.statuses) == 1  # the resend carried the same Idempotency-Key
    assert done.remote_id == state.statuses[0]["id"]
    assert done.attempts == 2
    keys = {
        r["headers"].get("Idempotency-Key")
        for r in state.requests
        if r["path"] == "/api/v1/statuses"
    }
    assert len(keys) == 1
