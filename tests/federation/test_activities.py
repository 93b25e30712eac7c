"""What each change to a post or a blog federates: the activity rows written in the same
transaction as the change, whichever path made it, and nothing for what doesn't federate."""

from datetime import timedelta

from calls import blog_post, iso, update_blog
from sqlalchemy import select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Activity, Collection, FederatedObject

SEEN: dict[str, int] = {}


def activities(app):
    """Every activity row, in the order this test first saw them (ids are random and
    several are made in one second, so the table has no order of its own)."""
    with app.app_context():
        rows = db.session.scalars(select(Activity)).all()
    for row in rows:
        SEEN.setdefault(row.id, len(SEEN))
    rows.sort(key=lambda row: SEEN[row.id])
    return [(row.kind, row.post_id, row.epoch) for row in rows]


def kinds(app, post_id=None):
    return [kind for kind, pid, _ in activities(app) if post_id is None or pid == post_id]


def test_publish_edit_unpublish_republish_delete(app, api, alice):
    post = blog_post(api, alice, title="One", body="first")
    assert kinds(app, post["id"]) == ["Create"]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "edited"})
    assert kinds(app, post["id"]) == ["Create", "Update"]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": ""})
    activities(app)
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "back"})
    activities(app)
    api.call("DELETE", f"/api/posts/{post['id']}", token=alice)
    found = [(kind, epoch) for kind, pid, epoch in activities(app) if pid == post["id"]]
    assert found == [("Create", 0), ("Update", 0), ("Delete", 0), ("Create", 1), ("Delete", 1)]
    with app.app_context():
        told = db.session.get(FederatedObject, post["id"])
        assert (told.epoch, told.state) == (1, "deleted")  # outlives the post: its Tombstone


def test_changes_no_one_sees_federate_nothing(app, api, alice):
    post = blog_post(api, alice, title="Pinned", body="x")
    api.call("POST", "/api/collections/alice/pin", token=alice, json=[{"id": post["id"]}])
    api.call("GET", f"/api/posts/{post['id']}")  # a view
    assert kinds(app) == ["Create"]
    api.publish(body="anonymous posts never federate")
    assert kinds(app) == ["Create"]


def test_a_private_blog_federates_nothing_and_closing_a_blog_retracts_its_posts(app, api, alice):
    update_blog(api, alice, visibility="private")
    blog_post(api, alice, body="private")
    assert kinds(app) == []
    update_blog(api, alice, visibility="public")
    assert sorted(kinds(app)) == ["Create", "Update"]  # the post appears, the actor changes
    update_blog(api, alice, visibility="password", password="sesame")
    assert kinds(app)[-1] == "Delete"


def test_editing_the_blog_updates_the_actor(app, api, alice):
    update_blog(api, alice, title="New title")
    update_blog(api, alice, description="About this blog")
    with app.app_context():
        rows = db.session.scalars(select(Activity)).all()
        assert [(row.kind, row.post_id) for row in rows] == [("Update", None), ("Update", None)]
        assert rows[0].object_id.endswith("/api/collections/alice")


def test_a_scheduled_post_is_created_when_it_goes_live(app, api, alice):
    later = utcnow() + timedelta(days=2)
    post = blog_post(api, alice, body="tomorrow", created=iso(later))
    with app.app_context():
        [row] = db.session.scalars(select(Activity)).all()
        assert row.kind == "Create" and row.due_at == later and not row.fanned_out
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "edited before"})
    assert kinds(app) == ["Create"]  # built when sent, so it will carry the edit


def test_moving_a_post_between_blogs_deletes_it_from_one_actor_and_creates_it_in_the_other(
    app, api, alice
):
    api.call("POST", "/api/collections", token=alice, json={"title": "Second", "alias": "second"})
    post = blog_post(api, alice, body="moving")
    activities(app)
    api.call("POST", "/api/collections/second/collect", token=alice, json=[{"id": post["id"]}])
    activities(app)
    with app.app_context():
        rows = db.session.scalars(select(Activity).where(Activity.post_id == post["id"])).all()
        blogs = {b.id: b.alias for b in db.session.scalars(select(Collection))}
        found = sorted((SEEN[r.id], r.kind, blogs[r.collection_id], r.epoch) for r in rows)
        assert [row[1:] for row in found[:1]] == [("Create", "alice", 0)]
        assert sorted(row[1:] for row in found[1:]) == [
            ("Create", "second", 1), ("Delete", "alice", 0)
        ]


def test_federation_off_writes_nothing(make_app):
    app = make_app(FEDERATION=False)
    client = app.test_client()
    token = client.post("/api/auth/signup", json={"alias": "carol", "pass": "pw12345678"}).json
    headers = {"Authorization": f"Token {token['data']['access_token']}"}
    client.post("/api/collections/carol/posts", json={"body": "hi"}, headers=headers)
    assert activities(app) == []
    assert client.get("/api/collections/carol", headers={"Accept": "application/activity+json"}
                      ).status_code == 404


def test_keys_are_made_with_the_blog_and_sealed(app, api, alice):
    with app.app_context():
        blog = db.session.scalar(select(Collection).where(Collection.alias == "alice"))
        assert blog.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
        assert "PRIVATE KEY" not in blog.private_key_sealed
        assert blog.private_key_sealed.startswith("v1:")
