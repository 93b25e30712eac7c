"""The instance's administration through HTTP and the CLI: who reaches /admin, the
settings an admin changes live, invite links and registration, instance pages, and what a
suspension does everywhere a user's writing can be seen or sent."""

from datetime import timedelta

import pytest
from calls import assert_error, blog_post
from pages import PASSWORD, csrf_token, location, log_in, login, submit, text
from sqlalchemy import select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Invite, InviteUse, OutgoingMail, Post, User
from writeas.services.visibility import not_shareable

ACTIVITY = {"Accept": "application/activity+json"}


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def root(app):
    """An admin, made as the operator makes the first one; signed in on the returned client."""
    cli(app, "user", "create", "sam", "--admin", "--password", PASSWORD)
    return login(app.test_client(), "sam")


def settings(admin_client, **values):
    response = submit(admin_client, "/admin/settings", values, page="/admin/")
    assert response.status_code == 303, text(response)[:500]


def make_invite(admin_client, **fields) -> str:
    response = submit(admin_client, "/invites", fields, page="/admin/invites")
    assert response.status_code == 303, text(response)[:500]
    return location(response).split("new=")[1]


def sign_up_through(client, code, alias):
    page = client.get(f"/invite/{code}")
    assert page.status_code == 200, text(page)[:300]
    return client.post("/signup", data={
        "csrf_token": csrf_token(client, f"/invite/{code}"), "alias": alias, "pass": PASSWORD,
        "invite": code,
    })


# --- who reaches /admin ---


ADMIN_GETS = ["/admin/", "/admin/users", "/admin/invites"]
ADMIN_POSTS = [
    "/admin/settings", "/admin/users/alice/suspend", "/admin/users/alice/unsuspend",
    "/admin/users/alice/reset", "/admin/users/alice/delete",
]


def test_only_admins_reach_admin(app, alice, root):
    user = login(app.test_client(), "alice")
    anonymous = app.test_client()
    for path in ADMIN_GETS:
        assert root.get(path).status_code == 200, path
        assert anonymous.get(path).status_code == 404, path
        assert user.get(path).status_code == 404, path
    for path in ADMIN_POSTS:
        assert submit(user, path, {"registration": "closed"}).status_code == 404, path
    assert 'value="open" selected' in text(root.get("/admin/"))  # nothing changed
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.username == "alice")).suspended
    assert 'href="/admin/"' in text(root.get("/me/"))
    assert 'href="/admin/"' not in text(user.get("/me/"))


def test_admin_role_from_the_cli_and_back(app, alice):
    assert "now an admin" in cli(app, "user", "admin", "alice")
    client = login(app.test_client(), "alice")
    assert client.get("/admin/").status_code == 200
    assert "no longer an admin" in cli(app, "user", "admin", "alice", "--revoke")
    assert client.get("/admin/").status_code == 404
    result = app.test_cli_runner().invoke(args=["user", "admin", "nobody"])
    assert result.exit_code != 0 and "doesn't exist" in result.output


def test_an_admin_cannot_suspend_or_demote_themselves(root):
    response = submit(root, "/admin/users/sam/suspend", page="/admin/")
    assert response.status_code == 400 and "yourself" in text(response)


# --- settings ---


def test_settings_change_live_and_bad_values_change_nothing(app, api, root):
    settings(root, site_name="My Writing Place", site_description="Words.", max_blogs="2",
             default_visibility="unlisted", registration="open")
    page = text(root.get("/admin/"))
    assert 'value="My Writing Place"' in page and 'value="Words."' in page
    token = api.signup("dora")
    blog = api.call("GET", "/api/collections/dora", token=token).json["data"]
    assert blog["visibility"] == "unlisted"
    second = api.call("POST", "/api/collections", token=token, json={"title": "Two"})
    assert second.status_code == 201
    assert_error(api.call("POST", "/api/collections", token=token, json={"title": "3"}), 412)

    for bad in ({"registration": "sometimes"}, {"max_blogs": "0"}, {"site_name": " "},
                {"default_visibility": "password"}, {"federation": "maybe"}):
        response = submit(root, "/admin/settings", {"site_name": "Changed", **bad}, page="/admin/")
        assert response.status_code == 400, bad
        assert "Parameter" in text(response)
    assert 'value="My Writing Place"' in text(root.get("/admin/"))


def test_unticked_checkboxes_turn_the_reader_and_federation_off(app, api, alice, root):
    blog_post(api, alice, title="Hello")
    assert app.test_client().get("/read").status_code == 200
    settings(root, flags="public_reader,federation,user_invites")  # nothing ticked
    anonymous = app.test_client()
    assert anonymous.get("/read").status_code == 404
    assert anonymous.get("/api/collections/alice", headers=ACTIVITY).status_code == 404
    assert anonymous.get("/.well-known/webfinger?resource=acct:alice@localhost").status_code == 404
    assert anonymous.post("/ap/blogs/alice/inbox", data=b"{}").status_code == 404
    settings(root, public_reader="on", federation="on", flags="public_reader,federation")
    assert anonymous.get("/read").status_code == 200
    assert anonymous.get("/api/collections/alice", headers=ACTIVITY).status_code == 200


def test_federation_off_queues_no_activities(app, api, alice, root):
    from writeas.core.models import Activity

    settings(root, flags="federation")
    blog_post(api, alice, title="Quiet")
    with app.app_context():
        assert db.session.scalars(select(Activity)).all() == []


def test_cli_settings_show_and_change(app, root):
    shown = cli(app, "admin", "settings")
    assert "registration=open" in shown and "site_name=" in shown
    changed = cli(app, "admin", "settings", "registration=invite", "max_blogs=3")
    assert "registration=invite" in changed and "max_blogs=3" in changed
    assert 'value="invite" selected' in text(root.get("/admin/"))
    for bad in ("registration=never", "nonsense=1", "noequals"):
        assert app.test_cli_runner().invoke(args=["admin", "settings", bad]).exit_code != 0


# --- registration and invites ---


def test_closed_registration_refuses_sign_ups_but_not_the_cli(app, api, root):
    settings(root, registration="closed")
    anonymous = app.test_client()
    page = anonymous.get("/signup")
    assert page.status_code == 403 and "Registration is closed" in text(page)
    assert 'name="pass"' not in text(page)
    response = anonymous.post("/signup", data={
        "csrf_token": csrf_token(anonymous, "/login"), "alias": "eve", "pass": PASSWORD})
    assert response.status_code == 403
    response = api.call("POST", "/api/auth/signup", json={"alias": "eve", "pass": PASSWORD})
    assert_error(response, 403)
    assert "closed" in response.json["error_msg"]
    assert "Created user eve" in cli(app, "user", "create", "eve", "--password", PASSWORD)


def test_invite_only_registration(app, api, root):
    settings(root, registration="invite")
    assert app.test_client().get("/signup").status_code == 403
    assert_error(api.call("POST", "/api/auth/signup", json={"alias": "eve", "pass": PASSWORD}), 403)
    code = make_invite(root, max_uses="2", expires_days="1")
    assert code in text(root.get("/admin/invites"))

    newcomer = app.test_client()
    response = sign_up_through(newcomer, code, "eve")
    assert response.status_code == 303 and location(response) == "/me/"
    assert newcomer.get("/me/").status_code == 200
    response = api.call("POST", "/api/auth/signup",
                        json={"alias": "finn", "pass": PASSWORD, "invite": code})
    assert response.status_code == 201
    with app.app_context():
        invite = db.session.get(Invite, code)
        assert invite.uses == 2
        used = db.session.scalars(select(InviteUse).where(InviteUse.invite_code == code)).all()
        assert sorted(use.user.username for use in used) == ["eve", "finn"]
    assert "used by eve, finn" in text(root.get("/admin/invites"))

    used_up = app.test_client().get(f"/invite/{code}")
    assert used_up.status_code == 410 and "used up" in text(used_up)
    response = api.call("POST", "/api/auth/signup",
                        json={"alias": "gus", "pass": PASSWORD, "invite": code})
    assert_error(response, 410)
    unknown = app.test_client().get("/invite/not-a-code")
    assert unknown.status_code == 404 and "exist" in text(unknown)


def test_an_expired_invite_says_so(app, api, root):
    settings(root, registration="invite")
    code = make_invite(root, max_uses="", expires_days="1")
    with app.app_context():
        db.session.get(Invite, code).expires = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = app.test_client().get(f"/invite/{code}")
    assert page.status_code == 410 and "expired" in text(page)
    response = api.call("POST", "/api/auth/signup",
                        json={"alias": "eve", "pass": PASSWORD, "invite": code})
    assert_error(response, 410)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "eve")) is None


def test_a_failed_sign_up_spends_no_invite(app, api, alice, root):
    settings(root, registration="invite")
    code = make_invite(root, max_uses="1")
    response = api.call("POST", "/api/auth/signup",
                        json={"alias": "alice", "pass": PASSWORD, "invite": code})
    assert_error(response, 409)
    with app.app_context():
        assert db.session.get(Invite, code).uses == 0


def test_users_invite_only_when_the_instance_allows_it(app, api, alice, root):
    user = login(app.test_client(), "alice")
    assert user.get("/me/invites").status_code == 404
    assert submit(user, "/invites", {"max_uses": "1"}, page="/me/").status_code == 403
    settings(root, user_invites="on", registration="invite")
    assert user.get("/me/invites").status_code == 200
    response = submit(user, "/invites", {"max_uses": "1"}, page="/me/invites")
    assert response.status_code == 303 and location(response).startswith("/me/invites?new=")
    code = location(response).split("new=")[1]
    assert sign_up_through(app.test_client(), code, "hal").status_code == 303
    # Her own list holds her invite; the admin's holds everyone's.
    assert code in text(user.get("/me/invites")) and code in text(root.get("/admin/invites"))
    for bad in ({"max_uses": "0"}, {"max_uses": "x"}, {"expires_days": "99999"}):
        assert submit(user, "/invites", bad, page="/me/invites").status_code == 400


def test_cli_makes_invites(app, root):
    path = cli(app, "admin", "invite", "--by", "sam", "--max-uses", "1").strip()
    assert path.startswith("/invite/")
    assert app.test_client().get(path).status_code == 200


# --- instance pages ---


def test_instance_pages_are_markdown_sanitised_and_404_when_empty(app, root):
    anonymous = app.test_client()
    for name in ("about", "privacy", "contact"):
        assert anonymous.get(f"/{name}").status_code == 404
    settings(root, about="# About us\n\nWe *write*.<script>alert(1)</script>",
             privacy="No tracking.")
    page = text(anonymous.get("/about"))
    assert "<h1" in page and "<em>write</em>" in page and "<script>alert" not in page
    assert "No tracking." in text(anonymous.get("/privacy"))
    assert anonymous.get("/contact").status_code == 404
    settings(root, about="")
    assert anonymous.get("/about").status_code == 404


# --- users and suspension ---


def test_users_are_listed_searched_and_paged(app, api, root):
    for number in range(55):
        cli(app, "user", "create", f"writer{number:02d}", "--password", PASSWORD,
            "--email", f"w{number}@example.org")
    first = text(root.get("/admin/users"))
    assert "Page 1 of 2" in first and "writer54" in first and "writer00" not in first
    assert "writer00" in text(root.get("/admin/users?page=2"))
    found = text(root.get("/admin/users?q=w7@example"))
    assert "writer07" in found and "writer08" not in found
    assert "No users found." in text(root.get("/admin/users?q=%25%25nobody"))
    listed = cli(app, "admin", "users", "--search", "writer1")
    assert "writer10" in listed and "writer20" not in listed


def test_suspension_hides_everything_and_lifting_it_restores_it(app, api, alice, bob, root):
    post = blog_post(api, alice, title="Hello world", slug="hello-world")
    loose = api.publish(alice, body="A post in no blog.")
    reader = app.test_client()
    session = login(app.test_client(), "alice")
    places = [
        "/alice/", "/alice/hello-world", f"/{loose['id']}", f"/{loose['id']}.md", "/alice/feed/",
        "/alice/feed/rss", "/alice/sitemap.xml", f"/{post['id']}.txt",
        f"/api/posts/{post['id']}", "/api/collections/alice", "/api/collections/alice/posts",
    ]
    for path in places:  # seen once anonymously: cached pages and snapshots are warm
        assert reader.get(path).status_code == 200, path
    assert "/alice/sitemap.xml" in text(reader.get("/sitemap.xml"))
    assert "Hello world" in text(reader.get("/read"))

    response = submit(root, "/admin/users/alice/suspend", page="/admin/")
    assert response.status_code == 303
    assert "suspended" in text(root.get("/admin/users?q=alice"))

    for path in places:
        assert reader.get(path).status_code == 404, path
    assert reader.get(f"/{post['id']}").status_code == 404  # was a redirect to the blog's copy
    assert reader.get("/alice/", headers=ACTIVITY).status_code == 404
    assert reader.get("/.well-known/webfinger?resource=acct:alice@localhost").status_code == 404
    assert "/alice/sitemap.xml" not in text(reader.get("/sitemap.xml"))
    assert "Hello world" not in text(reader.get("/read"))
    # Her session is over, her token refused, and she can't log in again.
    assert session.get("/me/").status_code == 302
    response = api.call("POST", "/api/posts", token=alice, json={"body": "Still here?"})
    assert_error(response, 403)
    assert "suspended" in response.json["error_msg"]
    assert_error(api.call("GET", "/api/me", token=alice), 403)
    assert log_in(app.test_client(), "alice").status_code == 403
    response = api.call("POST", "/api/auth/login", json={"alias": "alice", "pass": PASSWORD})
    assert_error(response, 403)
    # Others are untouched.
    assert api.call("GET", "/api/collections/bob", token=bob).status_code == 200

    submit(root, "/admin/users/alice/unsuspend", page="/admin/")
    for path in places:
        assert reader.get(path).status_code == 200, path
    assert api.call("GET", "/api/me", token=alice).status_code == 200
    login(app.test_client(), "alice")


def test_a_suspended_users_posts_are_not_sent_anywhere(app, api, alice, root):
    post = blog_post(api, alice, title="Out")
    cli(app, "admin", "suspend", "alice")
    with app.app_context():
        assert not_shareable(db.session.get(Post, post["id"])) == "its author is suspended"
        from writeas.federation.outbox import shareable

        assert shareable(db.session.get(Post, post["id"])) is None
    assert "no longer suspended" in cli(app, "admin", "unsuspend", "alice")
    with app.app_context():
        assert not_shareable(db.session.get(Post, post["id"])) is None


def test_suspending_an_unknown_user_is_a_404(root):
    assert submit(root, "/admin/users/nobody/suspend", page="/admin/").status_code == 404


# --- deleting a user, sending a reset link ---


def test_an_admin_deletes_a_user_with_everything_of_theirs(app, api, alice, bob, root):
    post = blog_post(api, alice, title="Going away", slug="going-away")
    wrong = submit(root, "/admin/users/alice/delete", {"confirm": "alic"}, page="/admin/users")
    assert wrong.status_code == 400 and "Type alice to confirm" in text(wrong)
    assert app.test_client().get("/alice/going-away").status_code == 200
    mine = submit(root, "/admin/users/sam/delete", {"confirm": "sam"}, page="/admin/users")
    assert mine.status_code == 400

    done = submit(root, "/admin/users/alice/delete", {"confirm": "alice"}, page="/admin/users")
    assert done.status_code == 303
    reader = app.test_client()
    for path in ("/alice/", "/alice/going-away", f"/{post['id']}", f"/api/posts/{post['id']}"):
        assert reader.get(path).status_code == 404, path
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "alice")) is None
        assert db.session.get(Post, post["id"]) is None
        assert db.session.scalar(select(User).where(User.username == "bob")) is not None
    listed = text(root.get("/admin/users"))
    assert "alice and everything of theirs is deleted." in listed
    assert "Suspend alice" not in listed and "Suspend bob" in listed


def test_cli_deletes_a_user(app, alice):
    cli(app, "admin", "delete", "alice", "--yes")
    assert app.test_client().get("/alice/").status_code == 404
    refused = app.test_cli_runner().invoke(args=["admin", "delete", "nobody", "--yes"])
    assert refused.exit_code != 0 and "User doesn't exist." in refused.output


def test_an_admin_sends_a_reset_link_that_arrives_and_works(make_app):
    from smtp import SmtpServer, link_in

    with SmtpServer() as smtp:
        app = make_app(**smtp.settings())
        cli(app, "user", "create", "sam", "--admin", "--password", PASSWORD)
        cli(app, "user", "create", "dora", "--password", PASSWORD, "--email", "dora@example.test")
        cli(app, "user", "create", "ned", "--password", PASSWORD)
        root = login(app.test_client(), "sam")
        assert "Send dora a password-reset link" in text(root.get("/admin/users"))
        assert "Send ned a password-reset link" not in text(root.get("/admin/users"))
        sent = submit(root, "/admin/users/dora/reset", page="/admin/users")
        assert sent.status_code == 303
        [message] = smtp.received
        assert message["To"] == "dora@example.test"
        reset = app.test_client()
        path = "/" + link_in(message, "/reset/").split("/", 3)[3]
        form = reset.get(path)
        assert form.status_code == 200
        changed = submit(reset, path, {"pass": "a brand new password"}, page=path)
        assert changed.status_code in (302, 303)
        assert log_in(app.test_client(), "dora", "a brand new password").status_code == 303
        noaddress = submit(root, "/admin/users/ned/reset", page="/admin/users")
        assert noaddress.status_code == 400 and "no email address" in text(noaddress)
        cli(app, "admin", "reset", "dora")  # queued for the worker, outside any request
        with app.app_context():
            queued = db.session.scalars(select(OutgoingMail.to_address)).all()
        assert queued.count("dora@example.test") == 2


def test_a_new_site_name_shows_at_once_even_on_cached_pages(app, api, alice, root):
    loose = api.publish(alice, body="A post in no blog.")
    reader = app.test_client()
    paths = (f"/{loose['id']}", "/read", "/login")
    for path in paths:  # cached before the change
        assert "Paper Lantern" not in text(reader.get(path)), path
    settings(root, site_name="Paper Lantern", registration="open", max_blogs="5",
             default_visibility="public", public_reader="1", federation="1")
    for path in paths:
        assert "Paper Lantern" in text(reader.get(path)), path
    assert "Paper Lantern Reader" in text(reader.get("/read/feed/"))
    nodeinfo = reader.get("/nodeinfo/2.1").get_json()
    assert nodeinfo["metadata"]["nodeName"] == "Paper Lantern"
