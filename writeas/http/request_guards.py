"""Checks every request passes before any view sees it: no NUL in the path or query, and
a CSRF token on every form POST."""

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFError

from writeas.extensions import csrf
from writeas.http import errors, request_body
from writeas.http.urls import is_api, is_federation


def refuse_nul():
    """No route takes a NUL in its path or query, and PostgreSQL can't even compare with
    one: such a request is refused before anything looks it up."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        return errors.error_response(400, "The query string contains a NUL character.")
    return None


# RFC 8058's one-click unsubscribe, which mail clients POST without any token.
CSRF_FREE_MAIL = ("/mail/unsubscribe/",)


def check_csrf() -> None:
    """Every form POST carries a CSRF token. The API is exempt: it authenticates by header
    only (never the session cookie), so a cross-site form can't act through it; the same
    holds for the JSON-only /auth/login, and for the ActivityPub inboxes, which take
    only signed requests."""
    if request.method not in current_app.config["WTF_CSRF_METHODS"] or is_api(request.path):
        return
    if is_federation(request.path):
        return
    if request.path == "/auth/login" and request.is_json:
        return
    if request.path.startswith(CSRF_FREE_MAIL):
        return
    csrf.protect()


def _expired_form(_error: CSRFError):
    return errors.error_response(
        400, "This form has expired. Go back, reload the page and try again."
    )


def register(app: Flask) -> None:
    app.before_request(refuse_nul)
    app.before_request(request_body.size_uploads)
    app.before_request(check_csrf)
    app.register_error_handler(CSRFError, _expired_form)
