"""The Posts section of the spec through HTTP: publish, retrieve, update, unpublish,
delete, claim, and view counting."""

import re

import pytest
from calls import count

from writeas.core.db import db
from writeas.core.models import Post

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_publish_returns_the_documented_fields(api):
    response = api.call(
        "POST", "/api/posts", json={"body": "This is a post.", "title": "My First Post"}
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.json["code"] == 201
    post = response.json["data"]
    assert list(post) == [
        "id",
        "slug",
        "token",
        "appearance",
        "language",
        "rtl",
        "created",
        "updated",
        "title",
        "body",
        "tags",
    ]
    assert re.fullmatch(r"[a-z0-9]{13}", post["id"])
    assert post["slug"] is None
    assert re.fullmatch(r"[A-Za-z0-9]{32}", post["token"])
    assert post["appearance"] == "norm"
    assert post["language"] == "" and post["rtl"] is False
    assert RFC3339.match(post["created"]) and post["updated"] == post["created"]
    assert post["title"] == "My First Post" and post["body"] == "This is a post."
    assert post["tags"] == []


def test_publish_with_every_option(api):
    post = api.publish(body="Salaam #عربي #News", font="code", lang="ar", rtl=True, title=" T ")
    assert post["appearance"] == "code"
    assert post["language"] == "ar" and post["rtl"] is True
    assert post["title"] == "T"
    assert post["tags"] == ["عربي", "News"]


def test_publish_form_body(api):
    response = api.call(
        "POST",
        "/api/posts",
        data={"body": "form #post", "font": "mono", "rtl": "true", "lang": "he"},
    )
    assert response.status_code == 201
    post = response.json["data"]
    assert (post["appearance"], post["rtl"], post["language"], post["tags"]) == (
        "mono",
        True,
        "he",
        ["post"],
    )


@pytest.mark.parametrize(
    ("font", "stored"),
    [("serif", "norm"), ("sans", "sans"), ("wrap", "wrap"), ("bogus", "norm"), (None, "norm")],
)
def test_publish_font_mapping(api, font, stored):
    assert api.publish(font=font)["appearance"] == stored


def test_retrieve_has_views_and_no_token(api):
    created = api.publish(body="Read me", title="Title")
    response = api.call("GET", f"/api/posts/{created['id']}")
    assert response.status_code == 200
    post = response.json["data"]
    assert "token" not in post
    assert post["views"] == 1  # an anonymous API read is a read
    assert {k: post[k] for k in ("id", "title", "body", "created")} == {
        k: created[k] for k in ("id", "title", "body", "created")
    }


def test_retrieve_unknown_is_404(api):
    response = api.call("GET", "/api/posts/doesnotexist1")
    assert response.status_code == 404
    assert response.json == {"code": 404, "error_msg": "Post not found."}


def test_views_count_page_reads_but_not_the_owners_api_reads(api, app):
    token = api.signup("owner")
    post = api.publish(token, body="counted")
    for _ in range(3):
        assert api.call("GET", f"/{post['id']}").status_code == 200
    for _ in range(2):
        owner_read = api.call("GET", f"/api/posts/{post['id']}", token=token)
    assert owner_read.json["data"]["views"] == 3
    # the tally reaches the database on flush, not on the read itself
    with app.app_context():
        assert db.session.get(Post, post["id"]).views == 0
    app.extensions["writeas.reads"].views.flush()
    with app.app_context():
        assert db.session.get(Post, post["id"]).views == 3
    assert api.call("GET", f"/api/posts/{post['id']}", token=token).json["data"]["views"] == 3


def test_update_with_modify_token_in_json_body(api):
    post = api.publish(body="original", title="Keep", font="sans", lang="en")
    response = api.call(
        "POST",
        f"/api/posts/{post['id']}",
        json={"token": post["token"], "body": "My post is updated. #new"},
    )
    assert response.status_code == 200
    updated = response.json["data"]
    assert updated["body"] == "My post is updated. #new"
    assert updated["tags"] == ["new"]
    # absent keys keep their values
    assert (updated["title"], updated["appearance"], updated["language"]) == ("Keep", "sans", "en")
    assert "views" in updated and "token" not in updated


def test_update_with_put_and_query_token_and_null_fields(api):
    post = api.publish(body="original", title="Keep", rtl=True)
    response = api.call(
        "PUT",
        f"/api/posts/{post['id']}?token={post['token']}",
        json={"title": None, "rtl": None, "body": None, "font": "wrap", "unknown_key": 1},
    )
    assert response.status_code == 200
    data = response.json["data"]
    assert (data["title"], data["rtl"], data["body"], data["appearance"]) == (
        "Keep",
        True,
        "original",
        "wrap",
    )


def test_update_form_body(api):
    post = api.publish(body="original")
    response = api.call(
        "POST",
        f"/api/posts/{post['id']}",
        data={"token": post["token"], "body": "via form", "rtl": "1"},
    )
    assert response.status_code == 200
    assert response.json["data"]["body"] == "via form" and response.json["data"]["rtl"] is True


def test_update_blank_title_removes_it_and_invalid_font_is_unchanged(api):
    post = api.publish(body="text", title="Old title", font="code")
    data = api.call(
        "POST",
        f"/api/posts/{post['id']}",
        json={"token": post["token"], "title": "", "font": "nonsense"},
    ).json["data"]
    assert data["title"] == "" and data["appearance"] == "code"


def test_update_changes_updated_but_not_created(api, app):
    post = api.publish(body="text")
    with app.app_context():
        row = db.session.get(Post, post["id"])
        row.updated = row.created = row.created.replace(year=2020)
        db.session.commit()
    data = api.call(
        "POST", f"/api/posts/{post['id']}", json={"token": post["token"], "body": "new"}
    ).json["data"]
    assert data["created"].startswith("2020-")
    assert not data["updated"].startswith("2020-")


def test_update_authorisation(api):
    owner = api.signup("owner")
    stranger = api.signup("stranger")
    post = api.publish(owner, body="mine")
    path = f"/api/posts/{post['id']}"
    assert api.call("POST", path, token=owner, json={"body": "owner edit"}).status_code == 200
    assert api.call("POST", path, json={"body": "x"}).status_code == 401
    wrong = api.call("POST", path, json={"body": "x", "token": "wrongtoken"})
    assert wrong.status_code == 403 and wrong.json["error_msg"] == "Invalid post token."
    assert api.call("POST", path, token=stranger, json={"body": "x"}).status_code == 403
    # a stranger holding the modify token is the author, as far as the post knows
    assert (
        api.call(
            "POST", path, token=stranger, json={"body": "token edit", "token": post["token"]}
        ).status_code
        == 200
    )
    assert api.call("POST", "/api/posts/nosuchpost123", json={"body": "x"}).status_code == 404
    assert api.call("GET", path).json["data"]["body"] == "token edit"


def test_unpublish_then_restore(api):
    post = api.publish(body="soon gone")
    path = f"/api/posts/{post['id']}"
    response = api.call("POST", path, json={"token": post["token"], "body": ""})
    assert response.status_code == 410
    assert response.json == {"code": 410, "error_msg": "Post unpublished by author."}
    assert api.call("GET", path).status_code == 410
    assert api.call("GET", f"/{post['id']}").status_code == 410
    restored = api.call("POST", path, json={"token": post["token"], "body": "back again"})
    assert restored.status_code == 200
    assert api.call("GET", path).json["data"]["body"] == "back again"


@pytest.mark.parametrize("where", ["query", "form", "json"])
def test_delete_with_modify_token(api, app, where):
    post = api.publish(body="delete me")
    path = f"/api/posts/{post['id']}"
    kwargs = {
        "query": {"query_string": {"token": post["token"]}},
        "form": {"data": {"token": post["token"]}},
        "json": {"json": {"token": post["token"]}},
    }[where]
    response = api.call("DELETE", path, **kwargs)
    assert response.status_code == 204 and response.data == b""
    assert api.call("GET", path).status_code == 404
    assert count(app, Post) == 0


def test_delete_by_owner_and_refusals(api, app):
    owner = api.signup("owner")
    stranger = api.signup("stranger")
    post = api.publish(owner, body="mine")
    path = f"/api/posts/{post['id']}"
    assert api.call("DELETE", path).status_code == 401
    assert api.call("DELETE", path, query_string={"token": "bad"}).status_code == 403
    assert api.call("DELETE", path, token=stranger).status_code == 403
    assert count(app, Post) == 1
    response = api.call("DELETE", path, token=owner, headers={"Content-Type": "application/json"})
    assert response.status_code == 204 and response.data == b""
    assert api.call("DELETE", path, token=owner).status_code == 404


def test_claim_returns_one_result_per_post(api):
    token = api.signup("claimer")
    other = api.signup("other")
    mine = api.publish(None, body="anonymous one")
    already = api.publish(token, body="already mine")
    theirs = api.publish(other, body="someone else's")
    response = api.call(
        "POST",
        "/api/posts/claim",
        token=token,
        json=[
            {"id": mine["id"], "token": mine["token"]},
            {"id": "missingpost12", "token": "x"},
            {"id": already["id"]},
            {"id": theirs["id"], "token": theirs["token"]},
            {"id": mine["id"], "token": "wrong"},
            "not an object",
            {"token": "no id"},
        ],
    )
    assert response.status_code == 200
    results = response.json["data"]
    assert [r["code"] for r in results] == [200, 404, 200, 404, 200, 400, 400]
    assert results[0]["post"]["id"] == mine["id"] and "error_msg" not in results[0]
    assert results[1]["error_msg"] == "Post not found."
    assert "post" not in results[3] and results[3]["error_msg"] == "Post not found."
    owned = {p["id"] for p in api.call("GET", "/api/me/posts", token=token).json["data"]}
    assert owned == {mine["id"], already["id"]}
    # the claimer now edits without the modify token
    edit = api.call("POST", f"/api/posts/{mine['id']}", token=token, json={"body": "claimed"})
    assert edit.status_code == 200


def test_claim_needs_auth_and_an_array(api):
    post = api.publish(body="x")
    assert (
        api.call(
            "POST", "/api/posts/claim", json=[{"id": post["id"], "token": post["token"]}]
        ).status_code
        == 401
    )
    token = api.signup("claimer")
    response = api.call("POST", "/api/posts/claim", token=token, json={"id": post["id"]})
    assert response.status_code == 400


def test_owner_is_set_when_publishing_authenticated(api):
    token = api.signup("writer")
    post = api.publish(token, body="mine")
    listed = api.call("GET", "/api/me/posts", token=token).json["data"]
    assert [p["id"] for p in listed] == [post["id"]]
    assert api.call("DELETE", f"/api/posts/{post['id']}", token=token).status_code == 204


def test_crosspost_requires_auth_and_the_documented_shape(api, app):
    bad = api.call("POST", "/api/posts", json={"body": "x", "crosspost": [{"mastodon": "me"}]})
    assert bad.status_code == 401
    token = api.signup("poster")
    shape = api.call(
        "POST", "/api/posts", token=token, json={"body": "x", "crosspost": [{"a": "b", "c": "d"}]}
    )
    assert shape.status_code == 400 and "crosspost" in shape.json["error_msg"]
    assert count(app, Post) == 0
    good = api.call(
        "POST",
        "/api/posts",
        token=token,
        json={"body": "x", "crosspost": [{"mastodon": "me"}, {"tumblr": "blog"}]},
    )
    assert good.status_code == 201
    with app.app_context():
        assert db.session.get(Post, good.json["data"]["id"]).crosspost == [
            {"mastodon": "me"},
            {"tumblr": "blog"},
        ]
