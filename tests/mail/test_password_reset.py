"""Password reset by email, end to end: the form, the worker's SMTP delivery to a real
server on loopback, the link in the message it received, and what using it does."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from pages import csrf_token, log_in, login, submit, text
from smtp import link_in
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import OutgoingMail, PasswordReset


@pytest.fixture
def site(make_app, smtp):
    app = make_app(**smtp.settings(), MAIL_FROM="Blog <blog@example.test>")
    client = app.test_client()
    client.post("/api/auth/signup", json={"alias": "alice", "pass": "correct horse",
                                          "email": "Alice@Example.test"})
    return app, client


def ask(client, address):
    return submit(client, "/reset", {"email": address}, page="/reset")


def reset_path(message) -> str:
    return urlsplit(link_in(message, "/reset/")).path


def test_login_page_links_to_the_forgot_form(site):
    _app, client = site
    assert 'href="/reset"' in text(client.get("/login"))
    assert "Email isn't configured" not in text(client.get("/reset"))


def test_the_link_arrives_and_sets_a_new_password(site, smtp):
    _app, client = site
    response = ask(client, "alice@example.test")  # any case of the address
    assert response.status_code == 200
    assert "If an account here has that address" in text(response)
    [message] = smtp.received
    assert message["To"] == "Alice@Example.test"
    assert message["From"] == "Blog <blog@example.test>"
    assert "Reset your password" in message["Subject"]
    path = reset_path(message)
    page = client.get(path)
    assert page.status_code == 200 and "alice" in text(page)
    assert page.headers["Cache-Control"] == "private, no-store"
    response = submit(client, path, {"pass": "a brand new one"}, page=path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert log_in(client, "alice", "correct horse").status_code == 401
    assert log_in(client, "alice", "a brand new one").status_code == 303


def test_the_answer_is_the_same_for_an_unknown_address(site, smtp):
    _app, client = site
    known, unknown = ask(client, "alice@example.test"), ask(client, "nobody@example.test")
    assert known.status_code == unknown.status_code == 200
    # Each answer carries its own CSRF token, timestamped to the second: compare without it.
    strip = lambda response: re.sub(r'name="csrf_token" value="[^"]*"', "", text(response))  # noqa: E731
    assert strip(known).replace("alice@example.test", "") == strip(unknown).replace(
        "nobody@example.test", ""
    )
    assert len(smtp.received) == 1


def test_the_link_works_once_and_ends_every_session_and_token(site, smtp):
    app, client = site
    token = client.post("/api/auth/login", json={"alias": "alice", "pass": "correct horse"})
    token = token.json["data"]["access_token"]
    other_browser = login(app.test_client(), "alice")
    assert other_browser.get("/me/").status_code == 200
    ask(client, "alice@example.test")
    path = reset_path(smtp.received[0])
    assert submit(client, path, {"pass": "a brand new one"}, page=path).status_code == 303
    assert other_browser.get("/me/").status_code in (302, 303)
    me = client.get("/api/me", headers={"Authorization": f"Token {token}"})
    assert me.status_code == 401
    again = client.get(path)
    assert again.status_code == 400 and "invalid, used or expired" in text(again)
    refused = client.post(path, data={"csrf_token": csrf_token(client, "/reset"),
                                      "pass": "yet another one"})
    assert refused.status_code == 400
    assert log_in(client, "alice", "a brand new one").status_code == 303


def test_a_link_expires_after_an_hour(site, smtp):
    app, client = site
    ask(client, "alice@example.test")
    path = reset_path(smtp.received[0])
    with app.app_context():
        row = db.session.scalar(select(PasswordReset))
        row.expires_at -= timedelta(hours=1, seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 400


def test_only_the_digest_is_stored(site, smtp):
    app, client = site
    ask(client, "alice@example.test")
    secret = reset_path(smtp.received[0]).rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalar(select(PasswordReset))
        assert secret not in row.token_hash and len(row.token_hash) == 64


def test_a_short_password_is_refused_and_the_link_still_works(site, smtp):
    _app, client = site
    ask(client, "alice@example.test")
    path = reset_path(smtp.received[0])
    short = submit(client, path, {"pass": "short"}, page=path)
    assert short.status_code == 400 and "at least 8" in text(short)
    assert submit(client, path, {"pass": "long enough now"}, page=path).status_code == 303


def test_bad_addresses_get_a_clear_error(site, smtp):
    _app, client = site
    assert ask(client, "not an address").status_code == 400
    assert ask(client, "").status_code == 400
    assert smtp.received == []


def test_asking_is_rate_limited(make_app, smtp):
    app = make_app(**smtp.settings(), RESET_LINK_RATE_LIMIT="2 per hour")
    client = app.test_client()
    assert ask(client, "a@example.test").status_code == 200
    assert ask(client, "b@example.test").status_code == 200
    limited = ask(client, "c@example.test")
    assert limited.status_code == 429 and "Too many" in text(limited)


def test_without_smtp_the_page_says_so_and_the_mail_waits(make_app):
    app = make_app()
    client = app.test_client()
    client.post("/api/auth/signup", json={"alias": "alice", "pass": "correct horse",
                                          "email": "alice@example.test"})
    assert "Email isn't configured" in text(client.get("/reset"))
    assert ask(client, "alice@example.test").status_code == 200
    with app.app_context():
        mail = db.session.scalar(select(OutgoingMail))
        assert mail.status == "queued" and "SMTP_HOST" in mail.error


def test_unknown_link_is_refused(site):
    _app, client = site
    response = client.get("/reset/nothing-like-a-real-one")
    assert response.status_code == 400 and "Ask for a new link" in text(response)


def test_a_suspended_account_gets_no_reset_link(site, smtp):
    app, client = site
    assert app.test_cli_runner().invoke(args=["admin", "suspend", "alice"]).exit_code == 0
    answer = ask(client, "alice@example.test")
    assert answer.status_code in (200, 303)  # the same answer as for any address
    assert smtp.received == []
