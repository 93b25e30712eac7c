"""The session cookie: HttpOnly and SameSite=Lax always, and Secure whenever the request
came over HTTPS (directly, or through a proxy trusted via TRUSTED_PROXIES) — not only when
an operator remembered to set SESSION_COOKIE_SECURE."""

from flask import request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
