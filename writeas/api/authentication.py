"""`Authorization: Token <uuid>` for every API request.

No header, or an empty one, is an anonymous request; a token we don't know (or that was
logged out) is refused outright rather than silently downgraded to anonymous, so a client
never publishes anonymously by mistake. The API ignores the session cookie on purpose: a
cookie would let other sites make requests on a reader's behalf.
"""

from flask import g, request

from writeas.core.errors import ServiceError
from writeas.core.models import User
from writeas.http import ratelimits
from writeas.http.auth_header import bearer_token
from writeas.services import accounts
from writeas.services.visibility import Reader


def authenticate() -> None:
    g.api_user = None
    raw = bearer_token()
    if raw:
        g.api_user = accounts.user_for_token(raw)
        if g.api_user is None:
            raise ServiceError(401, "Invalid access token.")


def current_user() -> User | None:
    return g.get("api_user")


def require_user() -> User:
    user = current_user()
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    return user


def current_reader() -> Reader:
    """Readers of a password-protected blog prove they know its password with a header;
    wrong guesses count as failed log-ins do."""
    return Reader(
        user=current_user(),
        password=request.headers.get("X-Collection-Password"),
        attempts=ratelimits.password_attempts,
    )
