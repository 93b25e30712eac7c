"""What a person changes about their own account on /me/settings: the password (which
ends every other session and every API token, since a changed password usually means a
leaked one), the email, and the named API tokens they make and revoke."""

from typing import Any

from sqlalchemy import delete, select

from writeas.core import tokens
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import AccessToken, User
from writeas.core.passwords import hash_password, verify_password
from writeas.services import account_sessions, payload
from writeas.services.accounts import PASSWORD_MAX, _normalise_email, _validate_password

TOKEN_NAME_MAX = 100


def check_password(user: User, data: Any, field: str = "current") -> None:
    given = payload.required_text(payload.require_mapping(data), field, max_length=PASSWORD_MAX * 4)
    if not verify_password(user.password_hash, given):
        raise ServiceError(401, "Incorrect password.")


def change_password(user: User, data: Any, keep_session: str | None) -> None:
    check_password(user, data)
    new = payload.required_text(data, "new", max_length=PASSWORD_MAX * 4)
    _validate_password(new)
    user.password_hash = hash_password(new)
    account_sessions.end_all(user, keep=keep_session)
    db.session.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
    db.session.commit()


def change_email(user: User, data: Any) -> None:
    user.email = _normalise_email(payload.text(payload.require_mapping(data), "email",
                                               max_length=1000))
    db.session.commit()


def tokens_of(user: User) -> list[AccessToken]:
    return list(db.session.scalars(
        select(AccessToken).where(AccessToken.user_id == user.id)
        .order_by(AccessToken.created.desc(), AccessToken.id.desc())
    ))


def create_token(user: User, data: Any) -> tuple[AccessToken, str]:
    """The raw token is answered once; only its hash is kept."""
    name = payload.required_text(payload.require_mapping(data), "name",
                                 max_length=TOKEN_NAME_MAX).strip()
    if not name:
        raise ServiceError(400, "Parameter `name` is required.")
    raw = tokens.new_access_token()
    row = AccessToken(user=user, token_hash=tokens.digest(raw), name=name)
    db.session.add(row)
    db.session.commit()
    return row, raw


def revoke_token(user: User, token_id: Any) -> None:
    number = payload.whole_number(token_id)
    done = db.session.execute(
        delete(AccessToken).where(AccessToken.id == number, AccessToken.user_id == user.id)
    ) if number is not None else None
    if done is None or done.rowcount == 0:
        raise ServiceError(404, "Token not found.")
    db.session.commit()
