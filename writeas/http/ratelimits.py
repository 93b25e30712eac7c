"""Rate limits (Flask-Limiter). Counters live in memory by default and in Redis when
`RATELIMIT_STORAGE_URI`/`REDIS_URL` is set, so every worker on every host sees the same
counts.

- Log-ins: only failed attempts count, per client address, so a user who types their
  password right is never locked out.
- Writes (any POST, PUT, PATCH or DELETE): per account when the request is authenticated
  (API token or web session), per client address when it is anonymous, each with its own
  budget. A 429 carries `Retry-After`.
- Blog passwords (the unlock form and `X-Collection-Password` alike): failed guesses, per
  client address and blog, under the log-in limit; a client over it is refused before the
  KDF runs, so guessing can neither go on nor cost the server its time.
- Renders that reading can trigger and the cache doesn't hold (code highlighted for an
  extension): per client address.
- Media uploads: per account.
- ActivityPub inboxes: per client address, with a budget of their own (`INBOX_RATE_LIMIT`):
  a busy server delivers far more than any person writes, and every request there is
  signed and checked anyway.
"""

import math
import time

from flask import g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from writeas import settings
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, User
from writeas.http.auth_header import bearer_token
from writeas.http.urls import is_api
from writeas.services.accounts import user_for_token

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOGIN_ENDPOINTS = frozenset({"api.auth.login", "compat.login_compat", "sessions.login"})
INBOX_ENDPOINTS = frozenset({"activitypub.blog_inbox", "activitypub.shared_inbox"})


def _writer() -> str:
    """`user:<id>` for an authenticated request, else `ip:<address>`; worked out once."""
    if "rate_limit_writer" not in g:
        user = None
        if request.endpoint in INBOX_ENDPOINTS:
            pass  # servers, known by their address; no session or token is read
        elif is_api(request.path):
            raw = bearer_token()
            user = user_for_token(raw) if raw else None
        elif current_user.is_authenticated:
            user = current_user
        g.rate_limit_writer = f"user:{user.id}" if user else f"ip:{get_remote_address()}"
    return g.rate_limit_writer


def _write_limit() -> str:
    if request.endpoint in INBOX_ENDPOINTS:
        return settings.current().inbox_rate_limit
    if _writer().startswith("user:"):
        return settings.current().user_write_rate_limit
    return settings.current().anon_write_rate_limit


def _not_a_write() -> bool:
    return request.method in _READS or request.endpoint in _LOGIN_ENDPOINTS


limiter = Limiter(
    key_func=_writer,
    headers_enabled=True,
    application_limits=[_write_limit],
    application_limits_exempt_when=_not_a_write,
)


def _login_limit() -> str:
    return settings.current().login_rate_limit


def _failed(response) -> bool:
    return response.status_code in (401, 404)


login_limit = limiter.shared_limit(
    _login_limit,
    scope="login",
    key_func=get_remote_address,
    deduct_when=_failed,
    methods=["POST"],
)


def _over(limit_setting: str, *key: str) -> int | None:
    """Seconds until a budget named by a setting has room again, or None when it has."""
    if not settings.current().ratelimit_enabled:
        return None
    strategy = limiter.limiter
    for item in parse_many(getattr(settings.current(), limit_setting)):
        if not strategy.test(item, *key):
            reset, _remaining = strategy.get_window_stats(item, *key)
            return max(1, math.ceil(reset - time.time()))
    return None


def _check(limit_setting: str, message: str, *key: str) -> None:
    """429 with `Retry-After` when the budget is spent."""
    seconds = _over(limit_setting, *key)
    if seconds is not None:
        raise ServiceError(429, message, retry_after=seconds)


def _hit(limit_setting: str, *key: str) -> None:
    if settings.current().ratelimit_enabled:
        for item in parse_many(getattr(settings.current(), limit_setting)):
            limiter.limiter.hit(item, *key)


def _spend(limit_setting: str, message: str, *key: str) -> None:
    """One more against a budget, refused once the budget is spent."""
    _check(limit_setting, message, *key)
    _hit(limit_setting, *key)


class _BlogPasswordAttempts:
    """`visibility.PasswordAttempts` for the client making this request."""

    MESSAGE = "Too many wrong passwords for this blog. Please wait and try again."

    @staticmethod
    def _key(collection: Collection) -> tuple[str, str, str]:
        return ("blog-password", get_remote_address(), collection.uid)

    def before(self, collection: Collection) -> None:
        _check("login_rate_limit", self.MESSAGE, *self._key(collection))

    def failed(self, collection: Collection) -> None:
        _hit("login_rate_limit", *self._key(collection))


password_attempts = _BlogPasswordAttempts()


def spend_render() -> None:
    _spend(
        "render_rate_limit",
        "Too many pages rendered for you at once. Please wait and try again.",
        "render",
        get_remote_address(),
    )


def spend_upload(user: User) -> None:
    _spend(
        "media_upload_rate_limit",
        "Too many uploads from this account. Please wait and try again.",
        "upload",
        f"user:{user.id}",
    )


def spend_password_reset(address: str) -> None:
    """Reset links asked for, per client address and per email address: neither one
    visitor nor many can flood an inbox or use the form to probe for accounts."""
    message = "Too many password-reset requests. Please wait and try again."
    _spend("reset_link_rate_limit", message, "reset", f"ip:{get_remote_address()}")
    _spend("reset_link_rate_limit", message, "reset", f"to:{address.strip().lower()}")
