"""Deleting an account through /me/delete: the password asked again, then everything of
the account gone — posts, blogs, media, channels, crossposts, tokens, sessions,
idempotency records, federation's records — while other accounts keep theirs. The blogs'
followers are sent an actor Delete, signed with the blog's key after the blog is gone;
the aliases are never handed out again, and their actors answer 410 with a Tombstone."""

import io

from calls import assert_error, blog_post, mastodon_channel
from inboxes import follow
from media_samples import png
from pages import login, submit, text
from platform_servers import mastodon, running
from sqlalchemy import func, select

from writeas.core.db import db
from writeas.core.models import (
    AccessToken,
    Activity,
    Channel,
    Collection,
    CrosspostBatch,
    FederatedObject,
    FederationDelivery,
    Follower,
    IdempotencyRecord,
    MediaFile,
    Post,
    User,
    UserSession,
)

AP = {"Accept": "application/activity+json"}
OWNED = (Post, Collection, MediaFile, Channel, CrosspostBatch, AccessToken, UserSession,
         IdempotencyRecord, Follower, FederatedObject)


def _delete(client, password="correct horse"):
    return submit(client, "/me/delete", {"pass": password}, page="/me/delete")


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in OWNED}


def _filled_account(app, api, alice):
    """Alice with two blogs, a post in each and one in no blog, an image, a channel with
    a crosspost, and a post made with an Idempotency-Key."""
    state = mastodon.State()
    with running(mastodon.create(state)) as base_url:
        channel = api.call("POST", "/api/me/channels", token=alice,
                           json=mastodon_channel(base_url, state.access_token))
        assert channel.status_code == 201, channel.json
        api.call("POST", "/api/collections", token=alice, json={"alias": "notes",
                                                                  "title": "Notes"})
        first = blog_post(api, alice, title="First", body="in the main blog",
                          crosspost=[{"mastodon": "alice"}])
        second = blog_post(api, alice, alias="notes", body="in notes")
    loose = api.call("POST", "/api/posts", token=alice, json={"body": "in no blog"},
                     headers={"Idempotency-Key": "once-only"}).json["data"]
    image = api.call("POST", "/api/media", token=alice, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(png()), "a.png"), "alt_text": "red"})
    assert image.status_code == 201, image.json
    return {"posts": [first["id"], second["id"], loose["id"]],
            "image": image.json["data"]["url"].removeprefix("http://localhost")}


def test_the_page_asks_for_the_password_again(app, api, alice, client):
    assert client.get("/me/delete").status_code == 302
    login(client, "alice")
    page = client.get("/me/delete")
    assert page.status_code == 200 and 'name="pass"' in text(page)
    before = _counts(app)
    wrong = _delete(client, "not the password")
    assert wrong.status_code == 401 and 'class="error"' in text(wrong)
    assert client.post("/me/delete", data={"pass": "correct horse"}).status_code == 400  # CSRF
    assert _counts(app) == before
    assert client.get("/alice/").status_code == 200


def test_everything_of_the_account_goes_and_nothing_of_others(app, api, alice, bob, client):
    made = _filled_account(app, api, alice)
    bobs = blog_post(api, bob, alias="bob", title="Stays", body="bob stays")
    stranger = app.test_client()
    for path in ("/alice/", "/alice/first", "/notes/", f"/{made['posts'][2]}", made["image"]):
        assert stranger.get(path).status_code == 200, path  # and the pages are now cached
    with app.app_context():
        assert db.session.get(FederatedObject, made["posts"][0]) is not None
    login(client, "alice")

    answer = _delete(client)
    assert answer.status_code == 303
    assert "were deleted" in text(client.get(answer.headers["Location"]))
    assert client.get("/me/").status_code == 302  # logged out

    for path in ("/alice/", "/alice/first", "/notes/", f"/{made['posts'][2]}", made["image"],
                 "/alice/feed/", "/alice/sitemap.xml", f"/{made['posts'][0]}.txt"):
        assert stranger.get(path).status_code == 404, path
    for post_id in made["posts"]:
        assert_error(api.call("GET", f"/api/posts/{post_id}"), 404)
    assert api.call("GET", "/api/me", token=alice).status_code == 401
    assert api.call("POST", "/api/auth/login", json={"alias": "alice", "pass": "correct horse"}
                    ).status_code == 404
    counts = _counts(app)
    assert counts["Post"] == 1 and counts["Collection"] == 1  # bob's
    assert counts["AccessToken"] == 1 and counts["UserSession"] == 0
    assert {name: n for name, n in counts.items() if name not in (
        "Post", "Collection", "AccessToken", "FederatedObject")} == dict.fromkeys(
        ("MediaFile", "Channel", "CrosspostBatch", "UserSession", "IdempotencyRecord",
         "Follower"), 0)
    with app.app_context():
        assert db.session.scalar(select(User.username)) == "bob"
        assert db.session.get(FederatedObject, made["posts"][0]) is None
    assert stranger.get("/bob/stays").status_code == 200 and bobs["id"]


def test_the_aliases_are_retired(app, api, alice, client):
    api.call("POST", "/api/collections", token=alice, json={"alias": "notes", "title": "N"})
    login(client, "alice")
    assert _delete(client).status_code == 303
    assert_error(api.call("POST", "/api/auth/signup", json={"alias": "alice",
                                                             "pass": "correct horse"}), 409)
    again = submit(client, "/signup", {"alias": "notes", "pass": "correct horse"}, page="/signup")
    assert again.status_code == 409
    carol = api.signup("carol")
    taken = api.call("POST", "/api/collections", token=carol, json={"alias": "alice", "title": "A"})
    assert taken.status_code == 409
    for alias in ("alice", "notes"):
        actor = client.get(f"/{alias}/", headers=AP)
        assert actor.status_code == 410, alias
        assert actor.json["type"] == "Tombstone" and actor.json["id"].endswith(f"/{alias}")
        assert client.get(f"/api/collections/{alias}", headers=AP).status_code == 410
    assert client.get("/alice/").status_code == 404  # a page for people: not found
    assert client.get("/nobody-ever/", headers=AP).status_code == 404


def test_followers_get_the_actor_delete_signed_by_the_gone_blog(app, api, alice, client,
                                                                inbox, remote):
    inbox.public_key = follow(app, remote, count=3)
    blog_post(api, alice, body="federated first")
    assert [seen["json"]["type"] for seen in inbox.received] == ["Create"]
    login(client, "alice")
    assert _delete(client).status_code == 303

    assert len(inbox.received) == 2  # one request for the three followers on that server
    sent = inbox.received[-1]
    assert sent["verified"] is True
    actor = "http://localhost/api/collections/alice"
    assert sent["json"]["type"] == "Delete"
    assert sent["json"]["actor"] == actor and sent["json"]["object"] == actor
    assert sent["headers"]["Signature"].startswith(f'keyId="{actor}#main-key"')
    with app.app_context():
        assert db.session.scalar(select(Collection.id)) is None
        [delivery] = db.session.scalars(
            select(FederationDelivery).where(FederationDelivery.kind == "Delete")
        ).all()
        assert delivery.status == "delivered" and delivery.collection_id is None
        activity = db.session.get(Activity, delivery.activity_id)
        assert activity.collection_id is None and activity.signer["key_id"].endswith("#main-key")


def test_a_blog_nobody_follows_sends_nothing(app, api, alice, client, inbox, remote):
    blog_post(api, alice, body="nobody reads this")
    login(client, "alice")
    assert _delete(client).status_code == 303
    assert inbox.received == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FederationDelivery)) == 0
