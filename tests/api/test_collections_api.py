"""The Collections section of the spec through HTTP: blogs, their posts, slugs, moving,
pinning, visibility and scheduling."""

from datetime import UTC, datetime, timedelta

import pytest
from calls import Api, blog_post, iso
from sqlalchemy import event, insert, select

from writeas.core.db import db
from writeas.core.models import Collection, Post


def test_create_collection(api, alice):
    response = api.call(
        "POST", "/api/collections", token=alice, json={"alias": "new-blog", "title": "The Best"}
    )
    assert response.status_code == 201
    data = response.json["data"]
    assert {k: data[k] for k in ("alias", "title", "description", "style_sheet", "email")} == {
        "alias": "new-blog",
        "title": "The Best",
        "description": "",
        "style_sheet": "",
        "email": "",
    }
    assert data["total_posts"] == 0
    assert data["url"] == "http://localhost/new-blog/"


def test_create_collection_generates_a_unique_alias_from_the_title(api, alice):
    first = api.call("POST", "/api/collections", token=alice, json={"title": "My Great Blog!"})
    second = api.call("POST", "/api/collections", token=alice, json={"title": "My great blog"})
    cyrillic = api.call("POST", "/api/collections", token=alice, json={"title": "Мой блог"})
    reserved = api.call("POST", "/api/collections", token=alice, json={"title": "Admin"})
    assert first.json["data"]["alias"] == "my-great-blog"
    assert second.json["data"]["alias"] == "my-great-blog-2"
    assert cyrillic.json["data"]["alias"] == "moy-blog"
    assert reserved.json["data"]["alias"] == "admin-2"


def test_create_collection_errors(api, alice, make_app):
    path = "/api/collections"
    assert api.call("POST", path, json={"title": "x"}).status_code == 401
    assert api.call("POST", path, token=alice, json={}).status_code == 400
    assert api.call("POST", path, token=alice, json={"title": "   "}).status_code == 400
    bad = api.call("POST", path, token=alice, json={"title": "x", "alias": "Bad Alias"})
    assert bad.status_code == 400 and "lowercase" in bad.json["error_msg"]
    for taken in ("alice", "api", "login"):
        response = api.call("POST", path, token=alice, json={"title": "x", "alias": taken})
        assert response.status_code == 409, taken
        assert response.json == {"code": 409, "error_msg": "Alias is taken."}


def test_collection_limit_is_412(make_app):

    api = Api(make_app(MAX_COLLECTIONS_PER_USER=2).test_client())
    token = api.signup("limited")  # the first blog comes with the account
    assert (
        api.call("POST", "/api/collections", token=token, json={"title": "two"}).status_code == 201
    )
    response = api.call("POST", "/api/collections", token=token, json={"title": "three"})
    assert response.status_code == 412 and "maximum" in response.json["error_msg"]


def test_retrieve_and_update_collection(api, alice, bob):
    response = api.call("GET", "/api/collections/alice")
    assert response.status_code == 200
    assert response.json["data"]["alias"] == "alice" and "email" not in response.json["data"]
    update = api.call(
        "POST",
        "/api/collections/alice",
        token=alice,
        json={"title": "Alice's", "description": "Notes", "style_sheet": "body{color:red}"},
    )
    assert update.status_code == 200
    data = api.call("GET", "/api/collections/alice").json["data"]
    assert (data["title"], data["description"], data["style_sheet"]) == (
        "Alice's",
        "Notes",
        "body{color:red}",
    )
    # absent keys unchanged
    api.call("POST", "/api/collections/alice", token=alice, json={"description": "More"})
    assert api.call("GET", "/api/collections/alice").json["data"]["title"] == "Alice's"
    assert api.call("GET", "/api/collections/nobody").status_code == 404
    bad = api.call("POST", "/api/collections/alice", token=alice, json={"visibility": "secret"})
    assert bad.status_code == 400 and "visibility" in bad.json["error_msg"]


def test_publish_into_collection_and_read_it_back(api, alice):
    post = blog_post(api, alice, title="My First Post", body="This is a post. #hello")
    assert post["slug"] == "my-first-post"
    assert re_token(post["token"])
    assert post["collection"]["alias"] == "alice"
    by_slug = api.call("GET", "/api/collections/alice/posts/my-first-post")
    assert by_slug.status_code == 200
    assert by_slug.json["data"]["id"] == post["id"]
    assert api.call("GET", f"/api/posts/{post['id']}").json["data"]["slug"] == "my-first-post"
    listing = api.call("GET", "/api/collections/alice/posts").json["data"]
    assert listing["total_posts"] == 1
    assert [p["id"] for p in listing["posts"]] == [post["id"]]
    assert api.call("GET", "/api/collections/alice/posts/nope").status_code == 404


def re_token(token: str) -> bool:
    return len(token) == 32 and token.isalnum()


def test_slugs_unique_stable_and_unicode(api, alice):
    first = blog_post(api, alice, title="Same Title")
    second = blog_post(api, alice, title="Same Title")
    untitled = blog_post(api, alice, body="Just some words in the body that go on and on")
    greek = blog_post(api, alice, title="Καλημέρα κόσμε")
    japanese = blog_post(api, alice, title="東京")
    reserved = blog_post(api, alice, title="Feed")
    assert (first["slug"], second["slug"]) == ("same-title", "same-title-2")
    assert untitled["slug"] == "just-some-words-in-the-body"
    assert greek["slug"] == "kalimera-kosme"
    assert japanese["slug"] == "dongjing"
    assert reserved["slug"] == "feed-2"
    renamed = api.call(
        "POST", f"/api/posts/{first['id']}", token=alice, json={"title": "A New Title"}
    ).json["data"]
    assert renamed["slug"] == "same-title" and renamed["title"] == "A New Title"


def test_a_slug_taken_by_a_concurrent_publish_moves_to_the_next(api, alice, app):
    """Another writer commits "race" after this publish found it free and before its
    INSERT: the unique constraint refuses the INSERT, and the publish retries on "race-2".
    The blog shows both posts at once (its content version moved with the retry)."""
    blog_post(api, alice, title="Warm")  # the blog's page is rendered and cached
    assert api.call("GET", "/alice/").status_code == 200
    with app.app_context():
        engine = db.engine
        blog_id = db.session.scalar(select(Collection.id).where(Collection.alias == "alice"))
    raced = []

    def concurrent_publish(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO posts") and not raced:
            raced.append(True)
            with engine.begin() as other:
                other.execute(
                    insert(Post.__table__).values(
                        id="racer0000000a",
                        collection_id=blog_id,
                        slug="race",
                        body="First!",
                        modify_token_hash="0" * 64,
                        display_title="First!",
                    )
                )

    event.listen(engine, "before_cursor_execute", concurrent_publish)
    try:
        mine = blog_post(api, alice, title="Race")
    finally:
        event.remove(engine, "before_cursor_execute", concurrent_publish)
    assert raced and mine["slug"] == "race-2"
    assert api.call("GET", "/alice/race-2").status_code == 200
    assert api.call("GET", f"/api/posts/{mine['id']}").json["data"]["slug"] == "race-2"
    page = api.call("GET", "/alice/").get_data(as_text=True)
    assert "Race" in page and "First!" in page


def test_collection_posts_are_paginated_newest_first(api, alice, app):
    ids = [blog_post(api, alice, body=f"Post number {i}")["id"] for i in range(12)]
    with app.app_context():
        for offset, post_id in enumerate(ids):
            db.session.get(Post, post_id).created = datetime(2024, 1, 1) + timedelta(hours=offset)
        db.session.commit()
    first = api.call("GET", "/api/collections/alice/posts").json["data"]
    second = api.call("GET", "/api/collections/alice/posts?page=2").json["data"]
    third = api.call("GET", "/api/collections/alice/posts?page=3").json["data"]
    assert [p["id"] for p in first["posts"]] == ids[::-1][:10]
    assert [p["id"] for p in second["posts"]] == ids[::-1][10:]
    assert third["posts"] == []
    assert first["total_posts"] == 12
    for bad in ("0", "-1", "x", "1.5"):
        response = api.call("GET", f"/api/collections/alice/posts?page={bad}")
        assert response.status_code == 400 and "page" in response.json["error_msg"]


def test_pinning_orders_nav_and_leaves_the_stream(api, alice):
    a, b, c, d = (blog_post(api, alice, title=t)["id"] for t in "ABCD")
    pin = api.call(
        "POST",
        "/api/collections/alice/pin",
        token=alice,
        json=[{"id": a}, {"id": b}, {"id": c, "position": 1}, {"id": "nope"}],
    )
    assert pin.status_code == 200
    assert pin.json["data"] == [
        {"id": a, "code": 200},
        {"id": b, "code": 200},
        {"id": c, "code": 200},
        {"id": "nope", "code": 404, "error_msg": "Post not found."},
    ]
    listing = api.call("GET", "/api/collections/alice/posts").json["data"]
    assert [p["id"] for p in listing["pinned"]] == [c, a, b]
    assert [p["pinned_position"] for p in listing["pinned"]] == [1, 2, 3]
    assert [p["id"] for p in listing["posts"]] == [d]
    assert listing["total_posts"] == 4
    # move b to the front, append d with a position beyond the end, then unpin a
    api.call(
        "POST",
        "/api/collections/alice/pin",
        token=alice,
        json=[{"id": b, "position": 1}, {"id": d, "position": 99}],
    )
    unpin = api.call("POST", "/api/collections/alice/unpin", token=alice, json=[{"id": a}])
    assert unpin.json["data"] == [{"id": a, "code": 200}]
    listing = api.call("GET", "/api/collections/alice/posts").json["data"]
    assert [(p["id"], p["pinned_position"]) for p in listing["pinned"]] == [(b, 1), (c, 2), (d, 3)]
    assert [p["id"] for p in listing["posts"]] == [a]


def test_pin_refuses_bad_items_one_by_one(api, alice):
    post = blog_post(api, alice)["id"]
    outside = api.publish(alice, body="not in the blog")["id"]
    response = api.call(
        "POST",
        "/api/collections/alice/pin",
        token=alice,
        json=[
            {"id": post, "position": "first"},
            {"id": outside},
            "junk",
            {"id": post, "position": 0},
            {"id": post},
        ],
    )
    codes = [r["code"] for r in response.json["data"]]
    assert codes == [400, 404, 400, 400, 200]
    assert (
        api.call("POST", "/api/collections/alice/pin", token=alice, json={"id": post}).status_code
        == 400
    )


def test_collect_moves_owned_and_anonymous_posts(api, alice, bob):
    mine = api.publish(alice, body="Mine to move", title="Moved")
    anonymous = api.publish(None, body="Anonymous post")
    theirs = api.publish(bob, body="Bob's")
    response = api.call(
        "POST",
        "/api/collections/alice/collect",
        token=alice,
        json=[
            {"id": mine["id"]},
            {"id": anonymous["id"], "token": anonymous["token"]},
            {"id": theirs["id"], "token": theirs["token"]},
            {"id": anonymous["id"], "token": "wrong"},
            {"id": "missing"},
            7,
        ],
    )
    assert response.status_code == 200
    results = response.json["data"]
    # Another user's post is answered as an unknown id is: nothing tells it exists.
    assert [r["code"] for r in results] == [200, 200, 404, 200, 404, 400]
    assert results[2]["error_msg"] == results[4]["error_msg"] == "Post not found."
    assert results[0]["post"]["slug"] == "moved"
    assert results[0]["post"]["collection"]["alias"] == "alice"
    assert results[1]["post"]["slug"] == "anonymous-post"
    assert "error_msg" in results[2] and "post" not in results[2]
    listing = api.call("GET", "/api/collections/alice/posts").json["data"]
    assert {p["id"] for p in listing["posts"]} == {mine["id"], anonymous["id"]}
    owned = {p["id"] for p in api.call("GET", "/api/me/posts", token=alice).json["data"]}
    assert anonymous["id"] in owned


def test_delete_collection_keeps_its_posts(api, alice):
    api.call("POST", "/api/collections", token=alice, json={"alias": "side", "title": "Side"})
    post = blog_post(api, alice, alias="side", title="Kept")
    response = api.call("DELETE", "/api/collections/side", token=alice)
    assert response.status_code == 204 and response.data == b""
    assert api.call("GET", "/api/collections/side").status_code == 404
    kept = api.call("GET", f"/api/posts/{post['id']}").json["data"]
    assert kept["slug"] is None and "collection" not in kept
    mine = api.call("GET", "/api/me/posts?anonymous=1", token=alice).json["data"]
    assert [p["id"] for p in mine] == [post["id"]]


def test_me_collections_and_me_posts_carry_collection(api, alice):
    api.call("POST", "/api/collections", token=alice, json={"alias": "second", "title": "Two"})
    blog_post(api, alice, alias="second", title="In second")
    collections = api.call("GET", "/api/me/collections", token=alice).json["data"]
    assert [(c["alias"], c["url"], c["total_posts"]) for c in collections] == [
        ("alice", "http://localhost/alice/", 0),
        ("second", "http://localhost/second/", 1),
    ]
    posts = api.call("GET", "/api/me/posts", token=alice).json["data"]
    assert posts[0]["collection"] == {
        "alias": "second",
        "title": "Two",
        "url": "http://localhost/second/",
    }
    assert api.call("GET", "/api/me/collections").status_code == 401


def test_scheduled_posts_hide_until_their_time(api, alice, bob):
    future = iso(datetime.now(UTC) + timedelta(days=2))
    past = "2020-05-01T10:00:00+02:00"
    later = blog_post(api, alice, title="Later", created=future)
    earlier = blog_post(api, alice, title="Backdated", created=past)
    assert later["created"] == future and earlier["created"] == "2020-05-01T08:00:00Z"
    for token in (None, bob):
        listing = api.call("GET", "/api/collections/alice/posts", token=token).json["data"]
        assert [p["id"] for p in listing["posts"]] == [earlier["id"]]
        assert listing["total_posts"] == 1
        assert api.call("GET", f"/api/posts/{later['id']}", token=token).status_code == 404
        assert api.call("GET", "/api/collections/alice/posts/later", token=token).status_code == 404
        assert (
            api.call("GET", "/api/collections/alice", token=token).json["data"]["total_posts"] == 1
        )
    owner = api.call("GET", "/api/collections/alice/posts", token=alice).json["data"]
    assert [p["id"] for p in owner["posts"]] == [later["id"], earlier["id"]]
    assert owner["total_posts"] == 2
    assert api.call("GET", f"/api/posts/{later['id']}", token=alice).status_code == 200
    assert api.call("GET", f"/{later['id']}").status_code == 404
    bad = api.call(
        "POST",
        "/api/collections/alice/posts",
        token=alice,
        json={"body": "x", "created": "next tuesday"},
    )
    assert bad.status_code == 400 and "created" in bad.json["error_msg"]


def test_scheduled_post_goes_live_when_its_time_comes(api, alice, app):
    post = blog_post(api, alice, created=iso(datetime.now(UTC) + timedelta(hours=1)))
    assert api.call("GET", f"/api/posts/{post['id']}").status_code == 404
    with app.app_context():
        db.session.get(Post, post["id"]).created = datetime(2020, 1, 1)
        db.session.commit()
    assert api.call("GET", f"/api/posts/{post['id']}").status_code == 200


def test_private_collections_leak_nothing(api, alice, bob):
    post = blog_post(api, alice, title="Secret Title", body="secret body")
    assert (
        api.call(
            "POST", "/api/collections/alice", token=alice, json={"visibility": "private"}
        ).status_code
        == 200
    )
    for token in (None, bob):
        for path in (
            "/api/collections/alice",
            "/api/collections/alice/posts",
            "/api/collections/alice/posts/secret-title",
            f"/api/posts/{post['id']}",
        ):
            response = api.call("GET", path, token=token)
            assert response.status_code == 404, path
            assert "Secret" not in response.get_data(as_text=True)
    assert api.call("GET", f"/{post['id']}").status_code == 404
    assert api.call("GET", "/api/collections/alice/posts", token=alice).status_code == 200
    assert api.call("GET", "/api/collections/alice", token=alice).json["data"]["private"] is True


def test_unlisted_collections_are_readable_by_link(api, alice):
    post = blog_post(api, alice, title="Unlisted")
    api.call("POST", "/api/collections/alice", token=alice, json={"visibility": "unlisted"})
    assert api.call("GET", "/api/collections/alice/posts").status_code == 200
    assert api.call("GET", f"/api/posts/{post['id']}").status_code == 200
    legacy = api.call("POST", "/api/collections/alice", token=alice, json={"visibility": 1})
    assert legacy.json["data"]["visibility"] == "public"


def test_password_protected_collections(api, alice, bob):
    post = blog_post(api, alice, title="Protected")
    missing = api.call(
        "POST", "/api/collections/alice", token=alice, json={"visibility": "password"}
    )
    assert missing.status_code == 400 and "password" in missing.json["error_msg"]
    api.call(
        "POST",
        "/api/collections/alice",
        token=alice,
        json={"visibility": "password", "password": "open sesame"},
    )
    for path in (
        "/api/collections/alice/posts",
        f"/api/posts/{post['id']}",
        "/api/collections/alice/posts/protected",
    ):
        denied = api.call("GET", path, token=bob)
        assert denied.status_code == 403, path
        assert "Protected" not in denied.get_data(as_text=True)
        wrong = api.call("GET", path, headers={"X-Collection-Password": "nope"})
        assert wrong.status_code == 403
        right = api.call("GET", path, headers={"X-Collection-Password": "open sesame"})
        assert right.status_code == 200, path
        assert api.call("GET", path, token=alice).status_code == 200


def test_total_posts_counts_only_visible(api, alice):
    blog_post(api, alice)
    gone = blog_post(api, alice, body="to be unpublished")
    api.call("POST", f"/api/posts/{gone['id']}", token=alice, json={"body": ""})
    assert api.call("GET", "/api/collections/alice").json["data"]["total_posts"] == 1


def test_crosspost_is_stored_on_collection_posts(api, alice, app):
    post = blog_post(api, alice, crosspost=[{"mastodon": "alice@example.social"}])
    with app.app_context():
        assert db.session.get(Post, post["id"]).crosspost == [{"mastodon": "alice@example.social"}]


# The authorisation matrix: each endpoint as anonymous, the owner, and another user.
MATRIX = [
    # (method, path, body, anonymous, owner, other)
    ("GET", "/api/collections/alice", None, 200, 200, 200),
    ("POST", "/api/collections/alice", {"title": "T"}, 401, 200, 403),
    ("POST", "/api/collections/alice/posts", {"body": "x"}, 401, 201, 403),
    ("GET", "/api/collections/alice/posts", None, 200, 200, 200),
    ("GET", "/api/collections/alice/posts/first", None, 200, 200, 200),
    ("POST", "/api/collections/alice/collect", [], 401, 200, 403),
    ("POST", "/api/collections/alice/pin", [], 401, 200, 403),
    ("POST", "/api/collections/alice/unpin", [], 401, 200, 403),
    ("DELETE", "/api/collections/alice", None, 401, 204, 403),
    ("POST", "/api/collections", {"title": "New"}, 401, 201, 201),
    ("GET", "/api/me/collections", None, 401, 200, 200),
]
PRIVATE_MATRIX = [
    ("GET", "/api/collections/alice", None, 404, 200, 404),
    ("POST", "/api/collections/alice", {"title": "T"}, 401, 200, 404),
    ("POST", "/api/collections/alice/posts", {"body": "x"}, 401, 201, 404),
    ("GET", "/api/collections/alice/posts", None, 404, 200, 404),
    ("GET", "/api/collections/alice/posts/first", None, 404, 200, 404),
    ("POST", "/api/collections/alice/pin", [], 401, 200, 404),
    ("DELETE", "/api/collections/alice", None, 401, 204, 404),
]


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("who", ["anonymous", "owner", "other"])
def test_authorisation_matrix(api, alice, bob, who, private):
    blog_post(api, alice, title="First")
    if private:
        api.call("POST", "/api/collections/alice", token=alice, json={"visibility": "private"})
    token = {"anonymous": None, "owner": alice, "other": bob}[who]
    column = {"anonymous": 3, "owner": 4, "other": 5}[who]
    for row in PRIVATE_MATRIX if private else MATRIX:
        method, path, body, expected = row[0], row[1], row[2], row[column]
        kwargs = {"json": body} if body is not None else {}
        response = api.call(method, path, token=token, **kwargs)
        assert response.status_code == expected, (method, path, response.json)
        if method == "DELETE" and expected == 204:
            break  # the blog is gone; later rows would test a different thing


# An admin is another user to the API (administration is /admin's, not the API's); while
# the owner is suspended their token is refused outright and the blog is gone for everyone.
SUSPENDED_OWNER = {
    # (method, path): (the owner's token, anyone else)
    row[:2]: (403, 404 if "/alice" in row[1] else row[5]) for row in MATRIX
}


@pytest.mark.parametrize("who", ["admin", "suspended owner", "other, owner suspended"])
def test_authorisation_matrix_of_admins_and_suspended_users(app, api, alice, bob, who):
    blog_post(api, alice, title="First")
    runner = app.test_cli_runner()
    if who == "admin":
        assert runner.invoke(args=["user", "admin", "bob"]).exit_code == 0
    else:
        assert runner.invoke(args=["admin", "suspend", "alice"]).exit_code == 0
    token = alice if who == "suspended owner" else bob
    for method, path, body, _anonymous, _owner, other in MATRIX:
        if who == "admin":
            expected = other
        else:
            expected = SUSPENDED_OWNER[method, path][0 if who == "suspended owner" else 1]
        kwargs = {"json": body} if body is not None else {}
        response = api.call(method, path, token=token, **kwargs)
        assert response.status_code == expected, (who, method, path, response.json)
