"""Password reset by email. A link carries a random secret, kept here only as its digest,
good for one use within an hour; using it sets the new password and ends every session and
token of the account. Asking for a link answers the same whether or not the address
belongs to anyone, so the form can't be used to learn who has an account here."""

from datetime import timedelta

from sqlalchemy import func, select, update

from writeas import settings
from writeas.core import tokens
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import PasswordReset, User
from writeas.services import accounts, mail, payload

LIFETIME = timedelta(hours=1)
KIND = "password_reset"
INVALID = "This password-reset link is invalid, used or expired. Ask for a new one."


def send_password_reset(user: User) -> None:
    """Queue a reset link to the account's address; the caller commits."""
    if not user.email:
        raise ServiceError(400, "This account has no email address to send a link to.")
    raw = tokens.new_access_token()
    db.session.add(
        PasswordReset(token_hash=tokens.digest(raw), user_id=user.id,
                      expires_at=utcnow() + LIFETIME)
    )
    link = f"{mail.base_url()}/reset/{raw}"
    site = settings.current().site_name
    mail.queue(
        KIND,
        user.email,
        f"Reset your password on {site}",
        f"Someone (hopefully you) asked to reset the password of {user.username} on {site}.\n\n"
        f"Choose a new password here, within the hour:\n\n{link}\n\n"
        "The link works once. If you didn't ask, ignore this email: nothing changes.\n",
    )


def request_reset(data) -> None:
    """A link to every account with this address, if any; the same answer either way."""
    data = payload.require_mapping(data)
    address = payload.required_text(data, "email", max_length=1000).strip()
    if not mail.valid_address(address):
        raise ServiceError(400, "Parameter `email` is not a valid email address.")
    users = db.session.scalars(
        select(User).where(func.lower(User.email) == address.lower(), User.suspended.is_(False))
    ).all()
    for user in users:
        send_password_reset(user)


def _pending(raw: str) -> PasswordReset:
    row = db.session.get(PasswordReset, tokens.digest(raw))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ServiceError(400, INVALID)
    return row


def check(raw: str) -> User:
    """The account a link is for, while the link still works."""
    return _pending(raw).user


def reset_password(raw: str, data) -> User:
    """Use the link: the first use wins, even against a concurrent one. The caller commits."""
    password = payload.required_text(
        payload.require_mapping(data), "pass", max_length=accounts.PASSWORD_MAX * 4
    )
    row = _pending(raw)
    user = row.user
    accounts.replace_password(user, password)
    now = utcnow()
    used = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.token_hash == row.token_hash, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not used:
        db.session.rollback()
        raise ServiceError(400, INVALID)
    # The other links sent to this account die with the old password.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return user
