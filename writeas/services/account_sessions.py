"""Browser sessions as rows, so a person can see where they are logged in and end any one
of them. The session cookie carries the row's id beside the account's session generation:
loading the visitor is one read by primary key (the session joined to its user), and a
revoked session is simply a missing row."""

from datetime import timedelta

from sqlalchemy import delete, select, update

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import User, UserSession
from writeas.core.tokens import new_uid

# `last_seen` is a write: made at most this often per session, not on every page.
SEEN_EVERY = timedelta(minutes=5)
_AGENT_MAX = 300


def start(user: User, user_agent: str | None) -> str:
    row = UserSession(id=new_uid(), user=user, user_agent=(user_agent or "")[:_AGENT_MAX])
    db.session.add(row)
    db.session.commit()
    return row.id


def load(user_id: int, session_id: str) -> User | None:
    found = db.session.execute(
        select(User, UserSession.last_seen)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id == session_id, User.id == user_id)
    ).first()
    if found is None:
        return None
    user, last_seen = found
    now = utcnow()
    if now - last_seen >= SEEN_EVERY:
        db.session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen=now)
        )
        db.session.commit()
    return user


def of_user(user: User) -> list[UserSession]:
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen.desc(), UserSession.id)
    ))


def revoke(user: User, session_id: str) -> None:
    done = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if done.rowcount == 0:
        raise ServiceError(404, "Session not found.")
    db.session.commit()


def end_all(user: User, keep: str | None = None) -> None:
    """Every session of the account but `keep` (not committed: part of a larger change)."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.id != keep)
    db.session.execute(query)
