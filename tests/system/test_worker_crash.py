"""A worker killed in the middle of a delivery: after a restart the delivery completes,
and the platform has the post exactly once.

Real processes: the huey consumer (`huey_consumer writeas.worker.huey`, SQLite storage) and
`flask crossposts sweep`, on the test's database, against the local Mastodon and YouTube
servers."""

import io
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from calls import mastodon_channel
from media_samples import video
from platform_servers import mastodon, running, youtube
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


def kill_mid_delivery(app, env, delivery_id: str, sent, what: str, recover) -> Delivery:
    """Start a worker on the scheduled delivery, kill it once `sent()` says the platform
    has the request, let its lease run out (`recover()` first puts the platform back to
    answering), then start another worker and the sweep: answers the published row."""

    def row():
        with app.app_context():
            db.session.remove()
            return db.session.get(Delivery, delivery_id)

    worker = start_consumer(env, workers=1)
    try:
        time.sleep(2.5)
        sweep(env)  # the scheduled delivery is due: queue it for the worker
        wait_for(sent, 60, what)
        assert row().status == "sending"
        worker.send_signal(signal.SIGKILL)  # dies while waiting for the platform's answer
        worker.wait(timeout=10)

        recover()
        time.sleep(3.5)  # the dead worker's lease runs out
        worker = start_consumer(env, workers=1)
        sweep(env)  # finds the expired lease and queues the delivery again
        return wait_for(lambda: row().status == "published" and row(), 60, "publication")
    finally:
        worker.kill()
        worker.wait(timeout=10)


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
        done = kill_mid_delivery(
            app, env, batch["results"][0]["id"], lambda: state.statuses,
            "the worker to send the status", lambda: setattr(state, "slow_seconds", 0),
        )
    assert len(state.statuses) == 1  # the resend carried the same Idempotency-Key
    assert done.remote_id == state.statuses[0]["id"]
    assert done.attempts == 2
    keys = {
        r["headers"].get("Idempotency-Key")
        for r in state.requests
        if r["path"] == "/api/v1/statuses"
    }
    assert len(keys) == 1


def test_worker_killed_mid_upload_resumes_the_same_youtube_upload(worker_env, api, alice):
    """Killed after YouTube kept the first of three chunks: the next worker asks the
    stored upload session how far it got and sends only the rest. One session, one video."""
    app, env = worker_env
    state = youtube.State(processing_polls=0, slow_chunk_seconds=30)
    clip = video("mp4", "libx264", "aac", size=(360, 640), fps=10, frames=45)
    size = 20_500_000  # three of the adapter's 8 MiB chunks, with an MP4 `free` box
    clip += size.to_bytes(4, "big") + b"free" + bytes(size - 8)
    with running(youtube.create(state)) as base_url:
        channel = api.call("POST", "/api/me/channels", token=alice, json={
            "platform": "youtube", "handle": "@alicegardens", "base_url": base_url,
            "credentials": {"access_token": "ya29.first", "refresh_token": state.refresh_token,
                            "client_id": state.client_id, "client_secret": state.client_secret},
        }).json["data"]
        uploaded = api.call(
            "POST", "/api/media", token=alice,
            data={"file": (io.BytesIO(clip), "pods.mp4")}, content_type="multipart/form-data",
        ).json["data"]
        soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        batch = api.call("POST", "/api/crossposts", token=alice, json={
            "text": "Pods drying", "scheduled_at": soon,
            "targets": [{"channel": channel["id"], "media": [uploaded["id"]],
                         "title": "Seed saving"}],
        }).json["data"]
        done = kill_mid_delivery(
            app, env, batch["results"][0]["id"], lambda: state.chunks == 1,
            "the first chunk", lambda: setattr(state, "slow_chunk_seconds", 0),
        )
    [session] = state.sessions.values()
    [held] = state.videos.values()
    assert bytes(held["data"]) == clip  # every byte once, in order
    assert state.chunks == 3 and session["video_id"] == held["id"] == done.remote_id
    assert done.attempts == 2
