"""Federation with real fediverse software nobody on the team wrote: fediverse-pasture (a
strict recording actor, and its `verify_actor` checker) and bovine-herd (a full server
that signs and checks everything). Our side runs as it is deployed: gunicorn and the huey
consumer, each a real process, on the test's database."""

import json
import os
import signal
import time

import load
import pytest
from fediverse import Bovine, Pasture
from processes import environment, migrate, start_consumer
from serving import flask, free_port
from sqlalchemy import func, select

from writeas.core.db import db
from writeas.core.models import Comment, FederationDelivery, Follower

AS = "https://www.w3.org/ns/activitystreams"


class Site:
    """Our server, spoken to over HTTP, and its database read directly."""

    def __init__(self, app, env, port):
        self.app, self.env, self.port = app, env, port
        self.base = f"http://127.0.0.1:{port}"
        self.processes: dict[str, object] = {}

    def call(self, method, path, body=None, token=None):
        import httpx

        headers = {"Authorization": f"Token {token}"} if token else {}
        return httpx.request(method, self.base + path, json=body, headers=headers, timeout=30)

    def actor(self, alias="alice"):
        return f"{self.base}/api/collections/{alias}"

    def inbox(self, alias="alice"):
        return f"{self.base}/ap/blogs/{alias}/inbox"

    def count(self, model, *where):
        with self.app.app_context():
            query = select(func.count()).select_from(model)
            for clause in where:
                query = query.where(clause)
            return db.session.scalar(query)

    def deliveries(self):
        with self.app.app_context():
            return [
                (row.kind, row.host, row.status, row.attempts)
                for row in db.session.scalars(select(FederationDelivery))
            ]

    def start_worker(self):
        self.processes["worker"] = start_consumer(self.env, workers=2)

    def kill_worker(self):
        worker = self.processes.pop("worker")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def sweep(self):
        flask(self.env, "federation", "sweep", timeout=60)


def wait(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def site(make_app, database_url):
    app = make_app(schema=False)
    port = free_port()
    env = environment(
        database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        FEDERATION_RETRY_SECONDS="1",
        DELIVERY_LEASE_SECONDS="5",
        OUTBOUND_TIMEOUT_SECONDS="4",
        ANON_WRITE_RATE_LIMIT="100000 per minute",
        USER_WRITE_RATE_LIMIT="100000 per minute",
    )
    migrate(env)
    server, _ = load.start_server(env, 2, port=port)
    ours = Site(app, env, port)
    ours.processes["server"] = server
    ours.start_worker()
    yield ours
    for process in ours.processes.values():
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def pasture(tmp_path):
    with Pasture(workdir=tmp_path / "pasture") as peer:
        yield peer


@pytest.fixture
def bovine(tmp_path):
    with Bovine(workdir=tmp_path / "bovine") as peer:
        yield peer


@pytest.fixture
def writer(site):
    response = site.call("POST", "/api/auth/signup", {"alias": "alice", "pass": "pw-for-alice"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["access_token"]


def follow_from_pasture(site, pasture, number=1):
    follow = {
        "@context": AS, "id": f"{pasture.actor_id}/follows/{number}", "type": "Follow",
        "actor": pasture.actor_id, "object": site.actor(),
    }
    assert pasture.send(site.inbox(), follow) == 202
    return follow


def of_type(kind, **match):
    def check(activity):
        obj = activity.get("object")
        return activity.get("type") == kind and all(
            (obj.get(k) if isinstance(obj, dict) else None) == v for k, v in match.items()
        )

    return check


def test_a_follow_from_each_peer_is_accepted_and_verified(site, writer, pasture, bovine):
    follow = follow_from_pasture(site, pasture)
    accept = pasture.wait_for(lambda a: a.get("type") == "Accept", timeout=30)
    assert accept["actor"] == site.actor()
    assert accept["object"]["id"] == follow["id"]
    assert accept["id"] != follow["id"]
    # The same Follow again changes nothing and is not accepted twice.
    assert pasture.send(site.inbox(), follow) == 202
    follow_id = bovine.follow(site.actor())
    wait(lambda: site.actor() in bovine.following(), 40, "bovine to register the Accept")
    assert site.count(Follower) == 2
    followers = site.call("GET", "/ap/blogs/alice/followers").json()
    assert followers["totalItems"] == 2
    time.sleep(2)
    assert sum(a.get("type") == "Accept" for a in pasture.received()) == 1
    # Undo (naming the Follow by id only, as bovine does) removes the follower.
    bovine.undo(follow_id)
    wait(lambda: site.count(Follower) == 1, 30, "the Undo to remove bovine's follower")


def test_publish_edit_and_delete_arrive_and_verify_at_both_peers(site, writer, pasture, bovine):
    follow_from_pasture(site, pasture)
    pasture.wait_for(lambda a: a.get("type") == "Accept", timeout=30)
    bovine.follow(site.actor())
    wait(lambda: site.actor() in bovine.following(), 40, "bovine's follow")
    post = site.call("POST", "/api/collections/alice/posts",
                     {"title": "Hello fediverse", "body": "First words #hello"}, writer).json()
    post_id = post["data"]["id"]
    object_id = f"{site.base}/api/posts/{post_id}"
    create = pasture.wait_for(of_type("Create", id=object_id), timeout=30)
    assert create["object"]["type"] == "Article" and create["object"]["name"] == "Hello fediverse"
    assert "First words" in create["object"]["content"]
    # pasture only records what it verified; its record names the key that signed it.
    [record] = [r for r in pasture.records() if r["activity"].get("id") == create["id"]]
    assert record["key_id"] == f"{site.actor()}#main-key"
    wait(lambda: any(i.get("type") == "Create" for i in bovine.inbox_items()), 40, "bovine Create")
    site.call("POST", f"/api/posts/{post_id}", {"body": "Edited words"}, writer)
    update = pasture.wait_for(of_type("Update", id=object_id), timeout=30)
    assert "Edited words" in update["object"]["content"] and "updated" in update["object"]
    site.call("DELETE", f"/api/posts/{post_id}", token=writer)
    delete = pasture.wait_for(lambda a: a.get("type") == "Delete", timeout=30)
    assert delete["object"]["id"] == object_id and delete["object"]["type"] == "Tombstone"
    wait(lambda: any(i.get("type") == "Delete" for i in bovine.inbox_items()), 40, "bovine Delete")
    # One request per inbox, and every one of them landed (a row is marked once its
    # answer is back, a moment after the peer shows what it received).
    wait(lambda: all(d[2] == "delivered" for d in site.deliveries()), 30, "every delivery")
    kinds = sorted({d[0] for d in site.deliveries()})
    assert kinds == ["Accept", "Create", "Delete", "Update"]


def test_forged_tampered_and_stale_signatures_are_refused_and_store_nothing(
    site, writer, pasture, bovine
):
    follow = {
        "@context": AS, "id": f"{pasture.actor_id}/follows/forged", "type": "Follow",
        "actor": pasture.actor_id, "object": site.actor(),
    }
    body = json.dumps(follow).encode()
    inbox = site.inbox()
    assert pasture.send_raw(inbox, body, {"Content-Type": "application/activity+json"}) == 401
    tampered = pasture.signed_headers("POST", inbox, body)
    assert pasture.send_raw(inbox, body.replace(b"forged", b"Forged"), tampered) == 401
    stale = pasture.signed_headers("POST", inbox, body, date="Sun, 05 Jan 2014 21:31:40 GMT")
    assert pasture.send_raw(inbox, body, stale) == 401
    # Signed by pasture, but claiming to be bovine's alice: the key is not the actor's.
    impostor = dict(follow, actor=bovine.actor_id, id=f"{bovine.actor_id}/follows/x")
    impostor_body = json.dumps(impostor).encode()
    headers = pasture.signed_headers("POST", inbox, impostor_body)
    assert pasture.send_raw(inbox, impostor_body, headers) == 401
    # An activity whose id is on another host than its actor's.
    elsewhere = dict(follow, id="http://elsewhere.example/follows/1")
    assert pasture.send(inbox, elsewhere) == 401
    assert site.count(Follower) == 0
    assert site.deliveries() == []
    # And the genuine one still works.
    follow_from_pasture(site, pasture)
    wait(lambda: site.count(Follower) == 1, 20, "the real Follow")


def test_the_peers_resolve_our_webfinger_and_actor(site, writer, pasture, bovine):
    result = pasture.verify_actor(site.actor())
    assert result["webfinger"] is True, result
    assert result["warnings"] == [], result
    assert all(outcome["get_actor"] for outcome in result["actors"].values()), result
    actor = bovine.fetch(f"acct:alice@127.0.0.1:{site.port}")
    assert actor["id"] == site.actor() and actor["type"] == "Person"
    post = site.call("POST", "/api/collections/alice/posts", {"body": "An untitled note"},
                     writer).json()["data"]
    fetched = bovine.fetch(f"{site.base}/api/posts/{post['id']}")
    assert fetched["type"] == "Note" and "An untitled note" in fetched["content"]


def test_a_reply_becomes_a_comment_held_for_moderation(site, writer, bovine):
    post = site.call("POST", "/api/collections/alice/posts", {"title": "Ask me", "body": "?"},
                     writer).json()["data"]
    object_id = f"{site.base}/api/posts/{post['id']}"
    reply = bovine.note("<p>Great post!<script>alert(1)</script></p>", to=[site.actor()],
                        in_reply_to=object_id)
    bovine.send(reply)
    wait(lambda: site.count(Comment) == 1, 40, "the reply to arrive")
    with site.app.app_context():
        comment = db.session.scalar(select(Comment))
        assert comment.status == "pending" and comment.post_id == post["id"]
        assert "Great post!" in comment.content_html and "<script" not in comment.content_html
    page = site.call("GET", "/alice/ask-me").text
    assert "Great post!" not in page  # not shown until the author approves it


def test_a_peer_down_for_two_minutes_still_gets_the_create(site, writer, pasture):
    follow_from_pasture(site, pasture)
    pasture.wait_for(lambda a: a.get("type") == "Accept", timeout=30)
    pasture.stop()
    post = site.call("POST", "/api/collections/alice/posts", {"body": "While you were out"},
                     writer).json()["data"]
    wait(lambda: any(d[0] == "Create" and d[3] >= 2 for d in site.deliveries()), 60,
         "retries while the peer is down")
    time.sleep(120 - 10)
    assert [d[2] for d in site.deliveries() if d[0] == "Create"] == ["queued"]
    pasture.start()
    object_id = f"{site.base}/api/posts/{post['id']}"
    pasture.wait_for(of_type("Create", id=object_id), timeout=240)
    wait(lambda: [d[2] for d in site.deliveries() if d[0] == "Create"] == ["delivered"], 30,
         "the delivery to be marked delivered")


def test_a_worker_killed_mid_delivery_leaves_nothing_undelivered(site, writer, pasture):
    follow_from_pasture(site, pasture)
    pasture.wait_for(lambda a: a.get("type") == "Accept", timeout=30)
    os.killpg(pasture._process.pid, signal.SIGSTOP)  # it accepts, then never answers
    try:
        post = site.call("POST", "/api/collections/alice/posts", {"body": "Mid-flight"},
                         writer).json()["data"]
        wait(lambda: any(d[0] == "Create" and d[2] == "sending" for d in site.deliveries()), 30,
             "the worker to start sending")
        site.kill_worker()
    finally:
        os.killpg(pasture._process.pid, signal.SIGCONT)
    time.sleep(6)  # the lease runs out
    site.start_worker()
    site.sweep()
    object_id = f"{site.base}/api/posts/{post['id']}"
    pasture.wait_for(of_type("Create", id=object_id), timeout=60)
    wait(lambda: [d[2] for d in site.deliveries() if d[0] == "Create"] == ["delivered"], 60,
         "the delivery to be marked delivered")
    creates = {a["id"] for a in pasture.received() if a.get("type") == "Create"}
    assert len(creates) == 1  # a resend is the same activity, which receivers dedupe


def test_a_private_blog_rejects_follows_and_a_blocked_domain_is_refused(site, writer, pasture):
    site.call("POST", "/api/collections/alice", {"visibility": "private"}, writer)
    follow = follow_from_pasture(site, pasture)
    reject = pasture.wait_for(lambda a: a.get("type") == "Reject", timeout=30)
    assert reject["object"]["id"] == follow["id"]
    assert site.count(Follower) == 0
    site.call("POST", "/api/collections/alice", {"visibility": "public"}, writer)
    flask(site.env, "federation", "block", "127.0.0.1")
    status = pasture.send(site.inbox(), dict(follow, id=f"{pasture.actor_id}/follows/2"))
    assert status == 403
    assert site.count(Follower) == 0
    flask(site.env, "federation", "unblock", "127.0.0.1")
    follow_from_pasture(site, pasture, number=3)
    wait(lambda: site.count(Follower) == 1, 20, "the Follow after the unblock")


def test_likes_boosts_and_their_undo_and_a_deleted_reply(site, writer, pasture):
    from writeas.core.models import Reaction

    post = site.call("POST", "/api/collections/alice/posts", {"body": "Like me"},
                     writer).json()["data"]
    object_id = f"{site.base}/api/posts/{post['id']}"
    like = {"@context": AS, "id": f"{pasture.actor_id}/likes/1", "type": "Like",
            "actor": pasture.actor_id, "object": object_id}
    boost = {"@context": AS, "id": f"{pasture.actor_id}/boosts/1", "type": "Announce",
             "actor": pasture.actor_id, "object": object_id}
    for activity in (like, like, boost):
        assert pasture.send(site.inbox(), activity) == 202
    assert site.count(Reaction) == 2  # the repeated Like counted once
    undo = {"@context": AS, "id": f"{pasture.actor_id}/undo/1", "type": "Undo",
            "actor": pasture.actor_id, "object": like}
    assert pasture.send(f"{site.base}/ap/inbox", undo) == 202
    assert site.count(Reaction) == 1
    reply = {"@context": AS, "id": f"{pasture.actor_id}/notes/1", "type": "Note",
             "attributedTo": pasture.actor_id, "inReplyTo": object_id, "content": "<p>Hi</p>"}
    create = {"@context": AS, "id": f"{pasture.actor_id}/creates/1", "type": "Create",
              "actor": pasture.actor_id, "object": reply}
    assert pasture.send(site.inbox(), create) == 202
    assert site.count(Comment) == 1
    delete = {"@context": AS, "id": f"{pasture.actor_id}/deletes/1", "type": "Delete",
              "actor": pasture.actor_id, "object": reply["id"]}
    assert pasture.send(site.inbox(), delete) == 202
    assert site.count(Comment) == 0
