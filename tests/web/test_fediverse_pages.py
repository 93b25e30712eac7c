"""A blog on the fediverse, as its author and its readers see it in pages: follower counts,
the deliveries' state, replies held for approval (and shown once approved, at once, past
the page cache), likes and boosts, the blog's handle, and how titled posts federate.

Blogs and posts are made through HTTP. Followers, deliveries, replies and reactions come
from other servers, and no peer runs in these tests: they are written with the models, as
the inbox and the worker write them (replies sanitised as the inbox sanitises them)."""

import re
from datetime import datetime

import pytest
from calls import Api, blog_post, update_blog
from pages import location, login, submit, text
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import (
    Activity,
    Collection,
    Comment,
    FederationDelivery,
    Follower,
    Reaction,
)
from writeas.core.tokens import new_uid
from writeas.text.rendering import sanitize

HANDLE = "@alice@localhost"


@pytest.fixture
def app(make_app):
    """The handle needs SITE_URL: without it the host would come from a forgeable header."""
    return make_app(SITE_URL="http://localhost")


def test_without_site_url_no_handle_is_shown_so_a_forged_host_cant_poison_the_cache(
    make_app,
):
    app = make_app()
    client = app.test_client()
    Api(client).signup("alice")
    forged = client.get("/alice/", headers={"Host": "evil.example"})
    assert forged.status_code == 200
    for response in (forged, app.test_client().get("/alice/")):
        assert b"evil.example" not in response.data and b"fediverse-handle" not in response.data


# --- helpers ------------------------------------------------------------------------------------


def _blog_id(app, alias="alice") -> int:
    with app.app_context():
        return db.session.scalar(select(Collection.id).where(Collection.alias == alias))


def _followers(app, number: int, alias="alice") -> None:
    blog_id = _blog_id(app, alias)
    with app.app_context():
        for n in range(number):
            actor = f"https://social{n}.example/users/reader{n}"
            db.session.add(
                Follower(collection_id=blog_id, actor_id=actor, inbox=f"{actor}/inbox",
                         follow_id=f"{actor}#follow")
            )
        db.session.commit()


def _deliveries(app, statuses: list[tuple[str, str | None]], alias="alice") -> None:
    """One delivery per (status, error) of one Create, each to its own server."""
    blog_id = _blog_id(app, alias)
    with app.app_context():
        activity = Activity(id=new_uid(), collection_id=blog_id, kind="Create",
                            object_id="http://localhost/ap/objects/x", fanned_out=True)
        db.session.add(activity)
        for n, (status, error) in enumerate(statuses):
            db.session.add(
                FederationDelivery(
                    id=new_uid(), activity_id=activity.id, collection_id=blog_id, kind="Create",
                    object_id=activity.object_id, inbox=f"https://host{n}.example/inbox",
                    host=f"host{n}.example", status=status, attempts=n + 1, error=error,
                )
            )
        db.session.commit()


def _comment(app, post_id: str, content: str, status="pending", name="Bea Reader",
             url="https://social.example/@bea", n=1) -> int:
    with app.app_context():
        comment = Comment(
            post_id=post_id, object_id=f"https://social.example/notes/{post_id}/{n}",
            actor_id="https://social.example/users/bea", author_name=name, author_url=url,
            content_html=sanitize(content), url=f"https://social.example/@bea/{n}",
            status=status, published=datetime(2024, 5, n, 12, 0, 0),
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id


def _comment_status(app, comment_id: int) -> str | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.status if comment is not None else None


def _reactions(app, post_id: str, likes: int, boosts: int) -> None:
    with app.app_context():
        for kind, number in (("like", likes), ("announce", boosts)):
            for n in range(number):
                db.session.add(
                    Reaction(post_id=post_id, kind=kind,
                             actor_id=f"https://social.example/users/r{n}",
                             activity_id=f"https://social.example/{kind}/{post_id}/{n}")
                )
        db.session.commit()


def _replies(page: str) -> str:
    """The post page's replies section, or "" when it has none."""
    match = re.search(r'<section class="replies".*?</section>', page, re.S)
    return match.group(0) if match else ""


FEDIVERSE = "/me/blogs/alice/fediverse"


# --- the author's pages -------------------------------------------------------------------------


def test_dashboard_shows_follower_count_and_links_to_the_fediverse_page(api, alice, client):
    _followers(client.application, 3)
    login(client, "alice")
    page = text(client.get("/me/"))
    assert "3 followers on the fediverse" in page
    assert f'href="{FEDIVERSE}"' in page


def test_dashboard_says_one_follower(api, alice, client):
    _followers(client.application, 1)
    login(client, "alice")
    assert "1 follower on the fediverse" in text(client.get("/me/"))


def test_fediverse_page_shows_handle_followers_and_deliveries(app, api, alice, client):
    _followers(app, 2)
    _deliveries(app, [("delivered", None), ("delivered", None),
                      ("failed", "HTTP 410 from host2.example"), ("queued", None)])
    login(client, "alice")
    response = client.get(FEDIVERSE)
    assert response.status_code == 200
    page = text(response)
    assert f'<code class="fediverse-handle">{HANDLE}</code>' in page
    assert "2 followers on the fediverse" in page
    summary = dict(re.findall(
        r'<li data-status="(\w+)"><span class="badge status-\w+">\w+</span> (\d+)</li>', page
    ))
    assert summary == {"delivered": "2", "failed": "1", "queued": "1"}
    assert "host2.example" in page and "HTTP 410 from host2.example" in page
    assert "does not federate" not in page


def test_fediverse_page_needs_log_in(alice, client):
    response = client.get(FEDIVERSE)
    assert response.status_code in (302, 303, 401)


def test_fediverse_page_of_a_private_blog_says_it_does_not_federate(api, alice, client):
    update_blog(api, alice, visibility="private")
    login(client, "alice")
    page = text(client.get(FEDIVERSE))
    assert "This blog is private, so it does not federate" in page


def test_fediverse_page_of_a_protected_blog_says_it_does_not_federate(api, alice, client):
    update_blog(api, alice, visibility="password", password="sesame")
    login(client, "alice")
    assert "password-protected, so it does not federate" in text(client.get(FEDIVERSE))


def test_fediverse_page_shows_likes_and_boosts_per_post(app, api, alice, client):
    first = blog_post(api, alice, title="Liked Post", body="Read me.")
    blog_post(api, alice, title="Quiet Post", body="Nobody came.")
    _reactions(app, first["id"], likes=3, boosts=2)
    login(client, "alice")
    page = text(client.get(FEDIVERSE))
    row = re.search(rf'<tr data-post="{first["id"]}">(.*?)</tr>', page, re.S).group(1)
    assert "Liked Post" in row
    assert "<td data-likes>3</td>" in row and "<td data-boosts>2</td>" in row
    assert "Quiet Post" not in page


def test_someone_elses_fediverse_page_is_not_found(api, alice, bob, client):
    login(client, "bob")
    assert client.get(FEDIVERSE).status_code == 404
    assert client.get("/me/blogs/nosuchblog/fediverse").status_code == 404


# --- moderating replies -------------------------------------------------------------------------


def test_approving_a_reply_shows_it_under_the_post_at_once(app, api, alice, client, stranger):
    post = blog_post(api, alice, title="Hello", body="A post with replies.")
    comment_id = _comment(app, post["id"], "<p>Lovely post!</p>")
    # A visitor reads the page first: it is rendered and cached without the reply.
    before = text(stranger.get("/alice/hello"))
    assert "A post with replies." in before
    assert "Lovely post!" not in before and not _replies(before)
    assert "Lovely post!" not in text(stranger.get("/alice/hello"))

    login(client, "alice")
    pending = text(client.get(FEDIVERSE))
    assert "Lovely post!" in pending
    assert f'action="/me/comments/{comment_id}/approve"' in pending
    response = submit(client, f"/me/comments/{comment_id}/approve", {"next": FEDIVERSE},
                      page=FEDIVERSE)
    assert response.status_code == 303 and location(response) == FEDIVERSE
    assert "Reply approved" in text(client.get(FEDIVERSE))
    assert _comment_status(app, comment_id) == "approved"

    after = _replies(text(stranger.get("/alice/hello")))
    assert "Replies from the fediverse" in after
    assert "<p>Lovely post!</p>" in after
    author = '<a href="https://social.example/@bea" rel="nofollow ugc noopener">Bea Reader</a>'
    assert author in after
    assert "May 1, 2024" in after


def test_approved_replies_read_oldest_first(app, api, alice, client, stranger):
    post = blog_post(api, alice, title="Hello", body="Body.")
    _comment(app, post["id"], "<p>Second</p>", status="approved", n=2)
    _comment(app, post["id"], "<p>First</p>", status="approved", n=1)
    replies = _replies(text(stranger.get("/alice/hello")))
    assert replies.index("First") < replies.index("Second")


def test_deleting_an_approved_reply_removes_it_from_the_post_at_once(
    app, api, alice, client, stranger
):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Soon gone</p>", status="approved")
    assert "Soon gone" in text(stranger.get("/alice/hello"))
    login(client, "alice")
    assert "Soon gone" in text(client.get(FEDIVERSE))
    response = submit(client, f"/me/comments/{comment_id}/delete", {"next": FEDIVERSE},
                      page=FEDIVERSE)
    assert response.status_code == 303 and location(response) == FEDIVERSE
    assert _comment_status(app, comment_id) is None
    assert "Soon gone" not in text(stranger.get("/alice/hello"))
    page = text(client.get(FEDIVERSE))
    assert "Reply deleted." in page and "Soon gone" not in page


def test_deleting_a_pending_reply(app, api, alice, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Spam</p>")
    login(client, "alice")
    response = submit(client, f"/me/comments/{comment_id}/delete", page=FEDIVERSE)
    assert response.status_code == 303 and location(response) == "/me/"
    assert _comment_status(app, comment_id) is None


def test_a_redirect_back_stays_on_the_dashboard_pages(app, api, alice, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Hi</p>")
    login(client, "alice")
    response = submit(client, f"/me/comments/{comment_id}/approve",
                      {"next": "https://evil.example/me/"}, page=FEDIVERSE)
    assert response.status_code == 303 and location(response) == "/me/"


def test_only_the_blogs_owner_may_moderate_its_replies(app, api, alice, bob, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Hi</p>")
    login(client, "bob")
    for action in ("approve", "delete"):
        response = submit(client, f"/me/comments/{comment_id}/{action}", page="/me/")
        assert response.status_code == 404
        assert "Comment not found." in text(response)
    assert _comment_status(app, comment_id) == "pending"
    assert submit(client, "/me/comments/999999/approve", page="/me/").status_code == 404


def test_moderating_needs_log_in(app, api, alice, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Hi</p>")
    response = submit(client, f"/me/comments/{comment_id}/approve", page="/login")
    assert response.status_code in (302, 303, 401)
    assert _comment_status(app, comment_id) == "pending"


def test_a_forged_moderation_post_without_csrf_token_is_refused(app, api, alice, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    comment_id = _comment(app, post["id"], "<p>Hi</p>")
    login(client, "alice")
    for action in ("approve", "delete"):
        assert client.post(f"/me/comments/{comment_id}/{action}").status_code == 400
        forged = client.post(f"/me/comments/{comment_id}/{action}", data={"csrf_token": "x"})
        assert forged.status_code == 400
    assert _comment_status(app, comment_id) == "pending"


def test_every_moderation_form_carries_the_csrf_token(app, api, alice, client):
    post = blog_post(api, alice, title="Hello", body="Body.")
    _comment(app, post["id"], "<p>One</p>", n=1)
    _comment(app, post["id"], "<p>Two</p>", status="approved", n=2)
    login(client, "alice")
    page = text(client.get(FEDIVERSE))
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert len(forms) == 3  # approve and delete the pending one, delete the approved one
    # (a token carries its time, so it is read from this very page, not fetched again)
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', form)[1] for form in forms}
    assert len(tokens) == 1
    approve = re.search(r'action="([^"]+/approve)"', page)[1]
    assert client.post(approve, data={"csrf_token": tokens.pop()}).status_code == 303


def test_a_script_in_a_reply_is_inert(app, api, alice, client, stranger):
    post = blog_post(api, alice, title="Hello", body="Body.")
    hostile = (
        '<p>Nice<script>alert(1)</script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">link</a></p>'
    )
    _comment(app, post["id"], hostile, status="approved",
             name="<script>alert(4)</script>", url="javascript:alert(5)")
    replies = _replies(text(stranger.get("/alice/hello")))
    assert "Nice" in replies
    assert "<script" not in replies
    assert "onerror" not in replies
    assert "javascript:" not in replies
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in replies  # the name, as text
    login(client, "alice")
    page = text(client.get(FEDIVERSE))
    assert "<script>alert" not in page and "javascript:" not in page


def test_pending_replies_are_not_shown_to_readers(app, api, alice, stranger):
    post = blog_post(api, alice, title="Hello", body="Body.")
    _comment(app, post["id"], "<p>Waiting</p>")
    page = text(stranger.get("/alice/hello"))
    assert "Waiting" not in page and not _replies(page)


# --- blog settings: how titled posts federate --------------------------------------------------


@pytest.mark.parametrize("value", ["note", "article", "auto"])
def test_federate_as_is_saved_from_the_settings_form(app, api, alice, client, value):
    login(client, "alice")
    page = text(client.get("/me/blogs/alice"))
    assert '<select id="federate_as" name="federate_as">' in page
    assert '<option value="auto" selected>' in page
    response = submit(client, "/me/blogs/alice", {"title": "Alice", "federate_as": value},
                      page="/me/blogs/alice")
    assert response.status_code == 303
    with app.app_context():
        blog = db.session.scalar(select(Collection).where(Collection.alias == "alice"))
        assert blog.federate_as == value
    assert f'<option value="{value}" selected>' in text(client.get("/me/blogs/alice"))


def test_a_bad_federate_as_is_refused_with_the_allowed_values(app, api, alice, client):
    login(client, "alice")
    submit(client, "/me/blogs/alice", {"federate_as": "note"}, page="/me/blogs/alice")
    response = submit(client, "/me/blogs/alice", {"title": "Renamed", "federate_as": "tweet"},
                      page="/me/blogs/alice")
    assert response.status_code == 400
    assert "Parameter `federate_as` must be one of: auto, article, note." in text(response)
    with app.app_context():
        blog = db.session.scalar(select(Collection).where(Collection.alias == "alice"))
        assert blog.federate_as == "note" and blog.title != "Renamed"


def test_federate_as_through_the_api(api, alice):
    assert update_blog(api, alice, federate_as="note")
    response = api.call("POST", "/api/collections/alice", token=alice, json={"federate_as": 1})
    assert response.status_code == 400
    assert "auto, article, note" in response.json["error_msg"]


# --- the public blog page -----------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_a_federated_blog_page_shows_its_handle(api, alice, stranger, visibility):
    update_blog(api, alice, visibility=visibility)
    page = text(stranger.get("/alice/"))
    assert "Follow from the fediverse" in page
    assert f">{HANDLE}</code>" in page


def test_a_private_blog_page_shows_no_handle(api, alice, client):
    update_blog(api, alice, visibility="private")
    login(client, "alice")
    page = text(client.get("/alice/"))
    assert client.get("/alice/").status_code == 200
    assert "Follow from the fediverse" not in page and HANDLE not in page


def test_a_protected_blog_page_shows_no_handle(api, alice, client):
    update_blog(api, alice, visibility="password", password="sesame")
    login(client, "alice")
    page = text(client.get("/alice/"))
    assert "Follow from the fediverse" not in page and HANDLE not in page


def test_no_handle_when_the_site_does_not_federate(make_app):
    app = make_app(FEDERATION=False)
    client = app.test_client()
    Api(client).signup("alice")
    page = text(client.get("/alice/"))
    assert "Nothing here yet." in page
    assert "Follow from the fediverse" not in page


def test_the_fediverse_page_says_when_the_site_does_not_federate(make_app):
    app = make_app(FEDERATION=False)
    client = app.test_client()
    Api(client).signup("alice")
    login(client, "alice")
    assert "Federation is turned off on this site" in text(client.get(FEDIVERSE))


def test_the_handle_follows_a_change_of_visibility_past_the_cache(api, alice, client, stranger):
    assert "Follow from the fediverse" in text(stranger.get("/alice/"))
    update_blog(api, alice, visibility="password", password="sesame")
    login(client, "alice")
    assert "Follow from the fediverse" not in text(client.get("/alice/"))
    update_blog(api, alice, visibility="public")
    assert "Follow from the fediverse" in text(stranger.get("/alice/"))
