"""/me/settings through HTTP: changing the password (which ends the other sessions and
every API token), the email, named API tokens, and the list of sessions with each one
revocable on its own. Forms are sent as a browser sends them, with the CSRF token."""

import re

from calls import Api
from pages import PASSWORD, csrf_token, login, submit, text
from sqlalchemy import select

from writeas.core import tokens
from writeas.core.db import db
from writeas.core.models import AccessToken, User, UserSession

NEW_PASSWORD = "battery staple"


def _browser(app, agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _session_ids(page: str) -> list[str]:
    return re.findall(r'action="/me/settings/sessions/([0-9a-f]+)/revoke"', page)


def _settings(client, form: str, data: dict):
    return submit(client, f"/me/settings/{form}", data, page="/me/settings")


def test_settings_are_linked_and_need_a_login(alice, client):
    assert client.get("/me/settings").status_code == 302
    login(client, "alice")
    assert 'href="/me/settings"' in text(client.get("/me/"))
    page = text(client.get("/me/settings"))
    assert 'name="current"' in page and 'name="email"' in page and "/me/delete" in page


def test_every_form_needs_its_csrf_token(app, alice, client):
    login(client, "alice")
    for path in ("password", "email", "tokens"):
        answer = client.post(f"/me/settings/{path}", data={"current": PASSWORD, "new": "x" * 9,
                                                           "email": "a@b.example", "name": "n"})
        assert answer.status_code == 400, path
    with app.app_context():
        assert db.session.scalar(select(User.email)) is None


def test_changing_the_password_ends_other_sessions_and_every_token(app, api, alice):
    here, elsewhere = _browser(app, "Here/1.0"), _browser(app, "Elsewhere/2.0")
    login(here, "alice")
    login(elsewhere, "alice")
    wrong = _settings(here, "password", {"current": "not it at all", "new": NEW_PASSWORD})
    assert wrong.status_code == 401 and 'class="error"' in text(wrong)
    short = _settings(here, "password", {"current": PASSWORD, "new": "short"})
    assert short.status_code == 400 and "at least 8" in text(short)
    assert api.call("GET", "/api/me", token=alice).status_code == 200

    done = _settings(here, "password", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert done.status_code == 303
    assert here.get("/me/").status_code == 200  # this session stays
    assert elsewhere.get("/me/").status_code == 302  # the other one is over
    assert api.call("GET", "/api/me", token=alice).status_code == 401
    assert api.call("POST", "/api/auth/login", json={"alias": "alice", "pass": PASSWORD}
                    ).status_code == 401
    assert api.call("POST", "/api/auth/login", json={"alias": "alice", "pass": NEW_PASSWORD}
                    ).status_code == 200


def test_changing_the_email_validates_it(app, alice, client):
    login(client, "alice")
    bad = _settings(client, "email", {"email": "not an address"})
    assert bad.status_code == 400 and "valid email" in text(bad)
    assert _settings(client, "email", {"email": "alice@example.org"}).status_code == 303
    assert 'value="alice@example.org"' in text(client.get("/me/settings"))
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "alice@example.org"
    assert _settings(client, "email", {"email": ""}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.email)) is None


def test_a_named_token_is_shown_once_stored_hashed_and_revocable(app, api, alice, client):
    login(client, "alice")
    assert _settings(client, "tokens", {"name": "  "}).status_code == 400
    made = _settings(client, "tokens", {"name": "my phone"})
    assert made.status_code == 200
    raw = re.search(r'<code id="new-token">([^<]+)</code>', text(made)).group(1)
    assert api.call("GET", "/api/me", token=raw).json["data"]["username"] == "alice"
    with app.app_context():
        row = db.session.scalar(select(AccessToken).where(AccessToken.name == "my phone"))
        assert row.token_hash == tokens.digest(raw) and raw not in row.token_hash
    listing = text(client.get("/me/settings"))
    assert "my phone" in listing and raw not in listing

    revoked = _settings(client, f"tokens/{row.id}/revoke", {})
    assert revoked.status_code == 303
    assert api.call("GET", "/api/me", token=raw).status_code == 401
    assert api.call("GET", "/api/me", token=alice).status_code == 200  # the others stay
    assert _settings(client, f"tokens/{row.id}/revoke", {}).status_code == 404


def test_sessions_are_listed_and_each_can_be_ended(app, alice, bob):
    here, elsewhere = _browser(app, "Here/1.0"), _browser(app, "Elsewhere/2.0")
    login(here, "alice")
    login(elsewhere, "alice")
    page = text(here.get("/me/settings"))
    assert "Here/1.0" in page and "Elsewhere/2.0" in page and "(this one)" in page
    with app.app_context():
        other = db.session.scalar(
            select(UserSession.id).where(UserSession.user_agent == "Elsewhere/2.0")
        )
    assert set(_session_ids(page)) >= {other}

    assert _settings(here, f"sessions/{other}/revoke", {}).status_code == 303
    assert elsewhere.get("/me/").status_code == 302
    assert here.get("/me/").status_code == 200
    assert "Elsewhere/2.0" not in text(here.get("/me/settings"))

    bobs = login(_browser(app, "Bob/1.0"), "bob")  # nobody ends another's session
    with app.app_context():
        theirs = db.session.scalar(
            select(UserSession.id).where(UserSession.user_agent == "Bob/1.0")
        )
    assert _settings(here, f"sessions/{theirs}/revoke", {}).status_code == 404
    assert bobs.get("/me/").status_code == 200


def test_a_copied_cookie_without_its_session_row_is_no_session(app, alice, client):
    login(client, "alice")
    token = csrf_token(client, "/me/settings")
    with app.app_context():
        db.session.execute(UserSession.__table__.delete())
        db.session.commit()
    assert client.get("/me/").status_code == 302
    answer = client.post("/me/settings/email", data={"csrf_token": token, "email": "x@y.example"})
    assert answer.status_code == 302


def test_logging_out_ends_every_session_row(app, alice):
    here, elsewhere = _browser(app, "Here/1.0"), _browser(app, "Elsewhere/2.0")
    login(here, "alice")
    login(elsewhere, "alice")
    assert submit(here, "/logout", page="/logout").status_code == 303
    assert elsewhere.get("/me/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(UserSession.id)) is None


def test_guessing_the_current_password_is_rate_limited(make_app):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    Api(app.test_client()).signup("alice")
    client = login(app.test_client(), "alice")  # a successful log-in draws nothing
    codes = [
        _settings(client, "password", {"current": f"guess {n}", "new": NEW_PASSWORD})
        .status_code
        for n in range(3)
    ]
    assert codes == [401, 401, 429]
    deleting = submit(client, "/me/delete", {"pass": "guess 4"}, page="/me/delete")
    assert deleting.status_code == 429
