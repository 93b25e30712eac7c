"""Rate limits (Flask-Limiter). Counters live in memory by default and in Redis when
`RATELIMIT_STORAGE_URI`/`REDIS_URL` is set, so every worker on every host sees the same
counts.

- Log-ins: only failed attempts count, per client address, so a user who types their
  password right is never locked out.
- Writes (any POST, PUT, PATCH or DELETE): per account when the request is authenticated
  (API token or web session), per client address when it is anonymous, each with its own
  budget. A 429 carries `Retry-After`.
"""

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOGIN_ENDPOINTS = frozenset({"api.auth.login", "compat.login_compat", "sessions.login"})


def _writer() -> str:
    """`user:<id>` for an authenticated request, else `ip:<address>`; worked out once."""
    if "rate_limit_writer" not in g:
        from flask_login import current_user

        from .accounts import user_for_token
        from .api.authentication import bearer_token

        user = None
        if request.path.startswith("/api/"):
            raw = bearer_token()
            user = user_for_token(raw) if raw else None
        elif current_user.is_authenticated:
            user = current_user
        g.rate_limit_writer = f"user:{user.id}" if user else f"ip:{get_remote_address()}"
    return g.rate_limit_writer


def _write_limit() -> str:
    if _writer().startswith("user:"):
        return current_app.config["USER_WRITE_RATE_LIMIT"]
    return current_app.config["ANON_WRITE_RATE_LIMIT"]


def _not_a_write() -> bool:
    return request.method in _READS or request.endpoint in _LOGIN_ENDPOINTS


limiter = Limiter(
    key_func=_writer,
    headers_enabled=True,
    application_limits=[_write_limit],
    application_limits_exempt_when=_not_a_write,
)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code in (401, 404)


login_limit = limiter.shared_limit(
    _login_limit,
    scope="login",
    key_func=get_remote_address,
    deduct_when=_failed,
    methods=["POST"],
)
