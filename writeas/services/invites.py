"""Registration: whether a sign-up may happen (`open`, `invite`, `closed`), and the invite
links (/invite/{code}) that let people in while it is `invite`.

An invite is spent in the sign-up's own transaction, by a conditional UPDATE: two people
using the last seat of an invite at once can't both get in. The operator's CLI creates
accounts whatever the setting says.
"""

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import Invite, InviteUse, User
from writeas.services import instance, payload

CLOSED = "Registration is closed on this instance."
INVITE_ONLY = "Registration on this instance is by invitation only."
UNKNOWN = "This invite link doesn't exist."
USED_UP = "This invite link has been used up."
EXPIRED = "This invite link has expired."
USES_MAX = 10_000
DAYS_MAX = 3650


def may_invite(user: User | None) -> bool:
    return user is not None and not user.suspended and (
        user.is_admin or instance.current().user_invites
    )


def create(creator: User | None, data: Any) -> Invite:
    """`max_uses` (empty: no limit) and `expires_days` (empty: never)."""
    if not may_invite(creator):
        raise ServiceError(403, "You may not make invite links on this instance.")
    data = payload.require_mapping(data)
    invite = Invite(code=secrets.token_urlsafe(12), creator_id=creator.id)
    uses = data.get("max_uses")
    if uses not in (None, ""):
        invite.max_uses = payload.whole_number(uses)
        if invite.max_uses is None or not 1 <= invite.max_uses <= USES_MAX:
            raise ServiceError(400, f"Parameter `max_uses` must be a number from 1 to {USES_MAX}.")
    days = data.get("expires_days")
    if days not in (None, ""):
        number = payload.whole_number(days)
        if number is None or not 1 <= number <= DAYS_MAX:
            raise ServiceError(
                400, f"Parameter `expires_days` must be a number from 1 to {DAYS_MAX}."
            )
        invite.expires = utcnow() + timedelta(days=number)
    db.session.add(invite)
    db.session.commit()
    return invite


def _problem(invite: Invite | None) -> str | None:
    if invite is None:
        return UNKNOWN
    if invite.expires is not None and invite.expires <= utcnow():
        return EXPIRED
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return USED_UP
    return None


def usable(code: str | None) -> Invite:
    """The invite of a link, or a 404 (unknown) or 410 (used up, expired) saying why not."""
    invite = db.session.get(Invite, code) if code and len(code) <= 32 else None
    problem = _problem(invite)
    if problem is not None:
        raise ServiceError(404 if invite is None else 410, problem)
    return invite


def check_open(code: str | None) -> Invite | None:
    """Before a sign-up: 403 when registration is closed, or is by invite and the invite
    is missing; the invite to spend, when one was given and works."""
    mode = instance.current().registration
    if mode == "closed":
        raise ServiceError(403, CLOSED)
    if not code:
        if mode == "invite":
            raise ServiceError(403, INVITE_ONLY)
        return None
    return usable(code)


def spend(invite: Invite | None, user: User) -> None:
    """In the sign-up's transaction (not committed here): count the use, record who."""
    if invite is None:
        return
    now = utcnow()
    spent = db.session.execute(
        update(Invite)
        .where(
            Invite.code == invite.code,
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
            or_(Invite.expires.is_(None), Invite.expires > now),
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise ServiceError(410, USED_UP)
    db.session.add(InviteUse(invite_code=invite.code, user_id=user.id))


def listed(creator: User | None = None) -> list[Invite]:
    """Invites, newest first: an admin's list holds everyone's, a user's their own."""
    query = select(Invite).order_by(Invite.created.desc())
    if creator is not None:
        query = query.where(Invite.creator_id == creator.id)
    return list(db.session.scalars(query.limit(200)))


def used_by(invite: Invite) -> list[str]:
    return list(
        db.session.scalars(
            select(User.username)
            .join(InviteUse, InviteUse.user_id == User.id)
            .where(InviteUse.invite_code == invite.code)
            .order_by(InviteUse.id)
        )
    )


def revoke(code: str, user: User) -> None:
    invite = db.session.get(Invite, code) if len(code) <= 32 else None
    if invite is None or not (user.is_admin or invite.creator_id == user.id):
        raise ServiceError(404, UNKNOWN)
    db.session.delete(invite)
    db.session.commit()
