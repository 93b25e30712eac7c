"""Flask-Limiter: counters live in memory by default and in Redis when configured, so every
worker on every host sees the same counts."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code in (401, 404)


# Only failed attempts count, so a user who types their password right is never locked out.
login_limit = limiter.shared_limit(
    _login_limit, scope="login", deduct_when=_failed, methods=["POST"]
)
