"""Email subscriptions to a blog, end to end through a real SMTP server on loopback:
subscribing from the blog's page, the double opt-in, each new public post by email when
it goes live (and never twice), one-click unsubscribe, and the author's side."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from calls import Api, blog_post, iso
from pages import csrf_token, login, submit, text
from smtp import link_in, text_of
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from writeas.core.db import db
from writeas.core.models import NewsletterIssue, OutgoingMail, Subscriber
from writeas.crossposting import queue as task_queue
from writeas.services import newsletters


@pytest.fixture
def site(make_app, smtp):
    app = make_app(**smtp.settings())
    client = app.test_client()
    token = Api(client).signup("alice")
    return app, client, token


def subscribe(client, address, alias="alice"):
    page = f"/mail/subscribe/{alias}"
    return submit(client, page, {"email": address}, page=page)


def path_of(message, kind) -> str:
    return urlsplit(link_in(message, f"/mail/{kind}/")).path


def confirmed_reader(client, smtp, address="reader@example.test"):
    subscribe(client, address)
    path = path_of(smtp.received[-1], "confirm")
    assert client.get(path).status_code == 200  # shows the button, confirms nothing
    assert submit(client, path, page=path).status_code == 200
    return address


def posts_to(smtp, address):
    return [m for m in smtp.received if m["To"] == address and "List-Unsubscribe" in m]


def test_the_blog_page_links_to_the_form_and_subscribing_needs_confirmation(site, smtp):
    app, client, token = site
    page = text(client.get("/alice/"))
    assert 'href="/mail/subscribe/alice"' in page and "<form" not in page
    answer = subscribe(client, "Reader@Example.test")
    assert answer.status_code == 200 and "check your inbox" in text(answer).lower()
    [confirmation] = smtp.received
    assert confirmation["To"] == "reader@example.test"
    blog_post(Api(client), token, title="Before confirming", body="Not for you yet.")
    assert len(smtp.received) == 1  # unconfirmed: nothing but the confirmation
    subscribe(client, "reader@example.test")
    assert len(smtp.received) == 1  # asking again within the hour sends nothing
    path = path_of(confirmation, "confirm")
    assert submit(client, path, page=path).status_code == 200
    blog_post(Api(client), token, title="After confirming", body="Hello, **reader**.")
    [issue] = posts_to(smtp, "reader@example.test")
    assert issue["Subject"] == "After confirming"
    assert "Hello, **reader**." in text_of(issue)
    assert "<strong>reader</strong>" in issue.get_body(preferencelist=("html",)).get_content()
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_each_post_goes_once_and_edits_send_nothing(site, smtp):
    app, client, token = site
    api = Api(client)
    confirmed_reader(client, smtp)
    post = blog_post(api, token, title="One", body="First.")
    response = api.call("POST", f"/api/posts/{post['id']}", token=token,
                        json={"title": "One, edited", "body": "First, edited."})
    assert response.status_code == 200
    with app.app_context():
        assert task_queue.current().sweep() == 0
    assert [m["Subject"] for m in posts_to(smtp, "reader@example.test")] == ["One"]


def test_a_scheduled_post_waits_for_its_time(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="Later", created=iso(datetime.now(UTC) + timedelta(days=1)))
    with app.app_context():
        task_queue.current().sweep()
    assert posts_to(smtp, "reader@example.test") == []
    with app.app_context():
        db.session.execute(update(NewsletterIssue).values(due_at=datetime(2020, 1, 1)))
        db.session.commit()
        task_queue.current().sweep()
        task_queue.current().sweep()  # a second sweep finds nothing left to send
    assert [m["Subject"] for m in posts_to(smtp, "reader@example.test")] == ["Later"]


def test_old_imported_writing_is_not_emailed(site, smtp):
    _app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="From 2019", created="2019-01-01T00:00:00Z")
    assert posts_to(smtp, "reader@example.test") == []


def test_one_click_unsubscribe_without_csrf(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="One")
    [issue] = posts_to(smtp, "reader@example.test")
    unsubscribe = issue["List-Unsubscribe"].strip().strip("<>")
    assert link_in(issue, "/mail/unsubscribe/") == unsubscribe
    path = urlsplit(unsubscribe).path
    assert client.get(path).status_code == 200
    mail_client = app.test_client()  # no session, no token: as a mail client posts it
    answer = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "Unsubscribed" in text(answer)
    blog_post(Api(client), token, title="Two")
    assert len(posts_to(smtp, "reader@example.test")) == 1
    assert mail_client.post(path).status_code == 404


def test_subscribing_needs_the_forms_csrf_token_and_a_real_address(site, smtp):
    _app, client, _token = site
    assert client.post("/mail/subscribe/alice", data={"email": "a@example.test"}).status_code == 400
    assert subscribe(client, "not an address").status_code == 400
    token = csrf_token(client, "/mail/subscribe/alice")
    missing = client.post("/mail/subscribe/nobody", data={"csrf_token": token, "email": "a@b.c"})
    assert missing.status_code == 404
    assert len(smtp.received) == 0


def test_forged_links_are_refused(site, smtp):
    _app, client, _token = site
    subscribe(client, "reader@example.test")
    good = path_of(smtp.received[0], "confirm")
    assert client.get(good[:-2] + "00").status_code == 404
    assert client.get("/mail/unsubscribe/1.0000").status_code == 404
    assert client.get("/mail/confirm/abc").status_code == 404


@pytest.mark.parametrize("visibility", ["private", "password"])
def test_closed_blogs_have_no_form_and_send_nothing(site, smtp, visibility):
    app, client, token = site
    confirmed_reader(client, smtp)
    login(client, "alice")
    fields = {"visibility": visibility, "password": "a blog password"}
    assert submit(client, "/me/blogs/alice", fields).status_code == 303
    blog_post(Api(client), token, title="Secret")
    assert posts_to(smtp, "reader@example.test") == []
    anonymous = app.test_client()
    assert "/mail/subscribe/alice" not in text(anonymous.get("/alice/"))
    assert anonymous.get("/mail/subscribe/alice").status_code == 404
    forged = anonymous.post("/mail/subscribe/alice", data={"email": "other@example.test"})
    assert forged.status_code == 400  # no CSRF token


def test_a_post_hidden_before_its_email_goes_is_not_sent(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="Later", created=iso(datetime.now(UTC) + timedelta(days=1)))
    login(client, "alice")
    submit(client, "/me/blogs/alice", {"visibility": "private"})
    with app.app_context():
        db.session.execute(update(NewsletterIssue).values(due_at=datetime(2020, 1, 1)))
        db.session.commit()
        task_queue.current().sweep()
        newsletter = select(OutgoingMail).where(OutgoingMail.post_id.is_not(None))
        assert db.session.scalar(newsletter) is None
    assert posts_to(smtp, "reader@example.test") == []


def test_a_crash_never_sends_a_post_twice(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="Once")
    with app.app_context():
        # A second fan-out (a repeated queue message, a sweep racing the worker).
        db.session.execute(update(NewsletterIssue).values(fanned_out_at=None))
        db.session.commit()
        with pytest.raises(IntegrityError):  # the unique (post, subscriber) pair
            newsletters.fan_out(db.session.scalar(select(NewsletterIssue.post_id)))
        db.session.rollback()
    assert len(posts_to(smtp, "reader@example.test")) == 1


def test_the_author_sees_exports_and_removes_subscribers(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp, "first@example.test")
    subscribe(client, "=cmd@example.test")
    login(client, "alice")
    settings_page = text(client.get("/me/blogs/alice"))
    assert "1 confirmed, 1 awaiting confirmation" in settings_page
    listing = client.get("/me/blogs/alice/subscribers")
    assert listing.status_code == 200 and "first@example.test" in text(listing)
    exported = client.get("/me/blogs/alice/subscribers.csv")
    assert exported.mimetype == "text/csv"
    rows = text(exported).splitlines()
    assert rows[0] == "email,confirmed,subscribed"
    assert rows[1].startswith("first@example.test,20") and rows[2].startswith("'=cmd@")
    with app.app_context():
        first = db.session.scalar(select(Subscriber.id).where(Subscriber.email.like("first%")))
    page = "/me/blogs/alice/subscribers"
    removed = submit(client, f"{page}/remove", {"id": str(first)}, page=page)
    assert removed.status_code == 303
    assert "first@example.test" not in text(client.get(page))
    assert submit(client, f"{page}/remove", {"id": str(first)}, page=page).status_code == 404
    other = app.test_client()
    Api(other).signup("bob")
    login(other, "bob")
    assert other.get(page).status_code in (403, 404)
    assert other.get("/me/blogs/alice/subscribers.csv").status_code in (403, 404)


def test_a_suspended_authors_blog_takes_no_subscribers_and_sends_nothing(site, smtp):
    app, client, token = site
    confirmed_reader(client, smtp)
    blog_post(Api(client), token, title="Later", created=iso(datetime.now(UTC) + timedelta(days=1)))
    suspended = app.test_cli_runner().invoke(args=["admin", "suspend", "alice"])
    assert suspended.exit_code == 0, suspended.output
    assert client.get("/mail/subscribe/alice").status_code == 404
    with app.app_context():
        db.session.execute(update(NewsletterIssue).values(due_at=datetime(2020, 1, 1)))
        db.session.commit()
        task_queue.current().sweep()
    assert posts_to(smtp, "reader@example.test") == []
