"""Users, sign-up and log-in, and the access tokens the API authenticates with."""

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from writeas.core import tokens
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import AccessToken, Collection, RetiredAlias, User
from writeas.core.passwords import hash_password, verify_password
from writeas.services import instance, invites, payload

ALIAS_MAX = 40
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # bounds the KDF's work per request
SUSPENDED = "This account is suspended."
_ALIAS = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
# The HTML standard's "valid email address", as browsers check <input type=email>.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

# Every first path segment the site routes itself, plus names that would mislead readers.
RESERVED_ALIASES = frozenset(
    """
    about abuse account accounts admin administrator ap api apps assets auth blog blogs c
    collections contact css dashboard delete docs edit editor favicon feed feeds fonts help
    img images inbox index interact invite js login logout mail me media new nodeinfo oauth p page
    pages paste post posts privacy read register reset robots root rss security settings
    signin signout signup sitemap static status support tag tags terms u user users
    webfinger well-known write www
    """.split()
)


def validate_alias(alias: str) -> str:
    if not alias:
        raise ServiceError(400, "Parameter `alias` is required.")
    if len(alias) > ALIAS_MAX:
        raise ServiceError(400, f"Alias must be at most {ALIAS_MAX} characters.")
    if not _ALIAS.match(alias):
        raise ServiceError(
            400,
            "Alias may contain only lowercase letters, digits and hyphens, "
            "and must start and end with a letter or digit.",
        )
    if alias in RESERVED_ALIASES:
        raise ServiceError(400, f"Alias `{alias}` is reserved.")
    return alias


def alias_taken(alias: str) -> bool:
    user = db.session.scalar(select(User.id).where(User.username == alias))
    collection = db.session.scalar(select(Collection.id).where(Collection.alias == alias))
    retired = db.session.get(RetiredAlias, alias)  # a deleted account's, never reused
    return user is not None or collection is not None or retired is not None


def _validate_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ServiceError(400, f"Password must be at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise ServiceError(400, f"Password must be at most {PASSWORD_MAX} characters.")


def _normalise_email(email: str | None) -> str | None:
    if email is None or email.strip() == "":
        return None
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ServiceError(400, "Parameter `email` is not a valid email address.")
    return email


def create_user(alias: str, password: str, email: str | None = None) -> User:
    """A user and the blog of the same alias that every account starts with."""
    alias = validate_alias(alias)
    _validate_password(password)
    email = _normalise_email(email)
    if alias_taken(alias):
        raise ServiceError(409, "Username is already taken.")
    user = User(username=alias, password_hash=hash_password(password), email=email)
    db.session.add(user)
    visibility = instance.current().default_visibility
    db.session.add(Collection(alias=alias, title=alias, owner=user, visibility=visibility))
    try:
        db.session.flush()
    except IntegrityError:  # lost a race with another sign-up of the same alias
        db.session.rollback()
        raise ServiceError(409, "Username is already taken.") from None
    return user


def signup_fields(data: Any) -> tuple[str, str, str | None, str | None]:
    """Alias, password, email and invite code from a sign-up request (JSON or form)."""
    data = payload.require_mapping(data)
    return (
        payload.required_text(data, "alias", max_length=ALIAS_MAX * 4).strip(),
        payload.required_text(data, "pass", max_length=PASSWORD_MAX * 4),
        payload.text(data, "email", max_length=1000),
        payload.text(data, "invite", max_length=100),
    )


def register(alias: str, password: str, email: str | None, invite: str | None) -> User:
    """A sign-up, as the instance's registration setting allows it (the CLI calls
    `create_user`, which always may); not committed."""
    usable = invites.check_open(invite)
    user = create_user(alias, password, email)
    invites.spend(usable, user)
    return user


def login_fields(data: Any) -> tuple[str, str]:
    data = payload.require_mapping(data)
    return (
        payload.required_text(data, "alias", max_length=1000),
        payload.required_text(data, "pass", max_length=PASSWORD_MAX * 4),
    )


def issue_token(user: User) -> str:
    raw = tokens.new_access_token()
    db.session.add(AccessToken(user=user, token_hash=tokens.digest(raw)))
    return raw


def signup(
    alias: str, password: str, email: str | None, invite: str | None = None
) -> tuple[User, str]:
    user = register(alias, password, email, invite)
    raw = issue_token(user)
    db.session.commit()
    return user, raw


def find_user(alias: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == alias.strip().lower()))


def check_credentials(alias: str, password: str) -> User:
    user = find_user(alias)
    if user is None:
        raise ServiceError(404, "User doesn't exist.")
    if not verify_password(user.password_hash, password):
        raise ServiceError(401, "Incorrect password.")
    if user.suspended:
        raise ServiceError(403, SUSPENDED)
    return user


def login(alias: str, password: str) -> tuple[User, str]:
    user = check_credentials(alias, password)
    raw = issue_token(user)
    db.session.commit()
    return user, raw


def user_for_token(raw: str) -> User | None:
    """The token's user; a suspended user's tokens are refused outright (403)."""
    row = db.session.scalar(select(AccessToken).where(AccessToken.token_hash == tokens.digest(raw)))
    if row is None or not tokens.matches(raw, row.token_hash):
        return None
    if row.user.suspended:
        raise ServiceError(403, SUSPENDED)
    return row.user


def revoke_token(raw: str) -> None:
    row = db.session.scalar(select(AccessToken).where(AccessToken.token_hash == tokens.digest(raw)))
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def replace_password(user: User, password: str) -> None:
    """A new password ends every way in that the old one opened: each browser session (by
    advancing the generation) and each API token. The caller commits."""
    _validate_password(password)
    user.password_hash = hash_password(password)
    user.session_generation += 1
    db.session.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
