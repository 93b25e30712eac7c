"""The session cookie: HttpOnly and SameSite=Lax always, and Secure whenever the request
came over HTTPS (directly, or through a proxy trusted via TRUSTED_PROXIES) — not only when
an operator remembered to set SESSION_COOKIE_SECURE.

A page made for a session that holds anything is marked `private, no-store` here, where
the session is saved, because only here is it known whether the page read the session.
API answers never touch the session (they vary on their own headers, `cache_headers`).

Flask builds a new signing serializer for every request (and for every save); building
one is a good share of what an anonymous page view costs, so it is built once per set of
keys instead. A request that neither has nor needs a session skips saving altogether."""

from flask import request
from flask.sessions import SecureCookieSessionInterface

from writeas.http.cache_headers import PRIVATE
from writeas.http.urls import is_api


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializer = (None, None)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]

    def save_session(self, app, session, response) -> None:
        # Static files are the same for everyone, whatever hooks read the session on the
        # way (their fingerprinted names are cached for a year).
        if is_api(request.path) or request.endpoint == "static":
            return
        if session.accessed and (session or session.modified):
            response.headers["Cache-Control"] = PRIVATE
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
