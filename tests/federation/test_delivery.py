"""The delivery engine against an inbox that misbehaves on purpose: refusals, rate limits,
outages, a gone inbox, and superseded activities. The inbox is a local HTTP server that
answers as the fediverse's servers do (its script says how), and checks our signature
with the blog's published key."""

import time
from datetime import timedelta

from calls import blog_post, update_blog
from inboxes import follow
from platform_servers import closed_port_url, running
from sqlalchemy import select, update

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import (
    FederationDelivery,
    Follower,
    RemoteHost,
)
from writeas.federation import blocks, delivery, signatures


def rows(app):
    with app.app_context():
        return [
            (row.kind, row.status, row.attempts, row.error)
            for row in db.session.scalars(select(FederationDelivery).order_by(
                FederationDelivery.created))
        ]


def run_due(app):
    """What the worker does when the retry is due: make it due now, and run it."""
    with app.app_context():
        db.session.execute(update(FederationDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
        for delivery_id in db.session.scalars(
            select(FederationDelivery.id).where(FederationDelivery.status == "queued")
        ).all():
            delivery.run(delivery_id)


def test_one_signed_request_per_shared_inbox(app, api, alice, inbox, remote):
    inbox.public_key = follow(app, remote, count=30)
    blog_post(api, alice, body="to thirty followers on one server")
    assert len(inbox.received) == 1
    [sent] = inbox.received
    assert sent["verified"] is True
    assert sent["json"]["type"] == "Create"
    assert sent["headers"]["Content-Type"] == "application/activity+json"
    assert sent["headers"]["Digest"] == signatures.digest(sent["body"])
    assert rows(app) == [("Create", "delivered", 1, None)]


def test_a_rate_limit_is_honoured_and_the_retry_is_signed_again(app, api, alice, inbox, remote):
    inbox.public_key = follow(app, remote)
    inbox.script = [(429, {"Retry-After": "120"})]
    blog_post(api, alice, body="later, please")
    [(kind, status, attempts, error)] = rows(app)
    assert (status, attempts) == ("queued", 1) and "429" in error
    with app.app_context():
        due = db.session.scalar(select(FederationDelivery.next_attempt_at))
        assert due >= utcnow() + timedelta(seconds=110)
    time.sleep(1.1)  # Date has whole seconds
    run_due(app)
    assert rows(app)[0][:3] == ("Create", "delivered", 2)
    first, second = inbox.received
    assert first["json"]["id"] == second["json"]["id"]  # the same activity: dedupable
    assert second["verified"]
    assert first["headers"]["Date"] != second["headers"]["Date"]
    assert first["headers"]["Signature"] != second["headers"]["Signature"]


def test_outages_are_retried_and_refusals_are_not(app, api, alice, inbox, remote):
    inbox.public_key = follow(app, remote)
    inbox.script = [(503, {}), (500, {})]
    blog_post(api, alice, title="T", body="x")
    run_due(app)
    run_due(app)
    assert rows(app)[0][:3] == ("Create", "delivered", 3)
    inbox.script = [(400, {})]
    update_blog(api, alice, title="Renamed")
    assert rows(app)[1][:2] == ("Update", "failed") and "HTTP 400" in rows(app)[1][3]


def test_a_gone_inbox_stops_and_its_followers_go(app, api, alice, inbox, remote):
    inbox.public_key = follow(app, remote, shared=False)
    inbox.script = [(410, {})]
    with running(inbox.app()) as personal:
        with app.app_context():
            db.session.execute(update(Follower).values(inbox=f"{personal}/inbox"))
            db.session.commit()
        blog_post(api, alice, body="anyone there?")
    assert rows(app)[0][:2] == ("Create", "failed")
    with app.app_context():
        assert db.session.scalars(select(Follower)).all() == []


def test_an_unreachable_host_is_retried_then_marked_unavailable(app, api, alice):
    down = closed_port_url()
    follow(app, down)
    blog_post(api, alice, body="into the void")
    assert rows(app)[0][1] == "queued"
    with app.app_context():
        host = db.session.get(RemoteHost, down.split("://")[1])
        host.failing_since = utcnow() - timedelta(days=4)
        db.session.commit()
    run_due(app)
    assert rows(app)[0][1] == "failed" and "failed for days" in rows(app)[0][3]
    blog_post(api, alice, body="and again")
    assert rows(app)[1][:2] == ("Create", "skipped")  # not tried until heard from


def test_a_newer_update_or_a_delete_supersedes_queued_ones(app, api, alice, inbox, remote):
    inbox.public_key = follow(app, remote)
    post = blog_post(api, alice, title="Draft", body="v1")
    inbox.script = [(503, {})]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "v2"})
    assert [r[:2] for r in rows(app)] == [("Create", "delivered"), ("Update", "queued")]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "v3"})
    found = [r[:2] for r in rows(app)]
    assert found == [("Create", "delivered"), ("Update", "superseded"), ("Update", "delivered")]
    inbox.script = [(503, {})]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "v4"})
    api.call("DELETE", f"/api/posts/{post['id']}", token=alice)
    found = [r[:2] for r in rows(app)]
    assert found[3:] == [("Update", "superseded"), ("Delete", "delivered")]
    sent = [r["json"]["type"] for r in inbox.received if r["json"]]
    assert sent.count("Update") == 3 and sent[-1] == "Delete"


def test_blocked_servers_get_nothing(app, api, alice, inbox, remote):
    follow(app, remote)
    with app.app_context():
        blocks.add("127.0.0.1")
        assert db.session.scalars(select(Follower)).all() == []  # removed with the block
    blog_post(api, alice, body="not for them")
    assert inbox.received == [] and rows(app) == []


def test_a_private_blog_sends_nothing(app, api, alice, inbox, remote):
    follow(app, remote)
    update_blog(api, alice, visibility="private")
    blog_post(api, alice, body="hidden")
    assert [r["json"]["type"] for r in inbox.received] == []
