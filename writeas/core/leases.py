"""Claiming a queued row for one worker: both delivery engines (crossposts, federation)
keep their truth in rows with the same columns, and move a row from queued to sending
with one conditional UPDATE, so of several workers handed the same id only one wins, and
its lease tells the sweep when that worker must be presumed dead."""

from datetime import datetime, timedelta

from sqlalchemy import or_, update

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import DeliveryStatus, FederationStatus, MailStatus

# The engines (crossposts, federation, mail) name these states alike.
assert DeliveryStatus.QUEUED == FederationStatus.QUEUED == MailStatus.QUEUED
assert DeliveryStatus.SENDING == FederationStatus.SENDING == MailStatus.SENDING
QUEUED, SENDING = DeliveryStatus.QUEUED, DeliveryStatus.SENDING


def claim(model, row_id: str, lease: timedelta) -> bool:
    """Take the row if it is queued and due; counts the attempt. Commits."""
    now = utcnow()
    claimed = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.status == QUEUED,
            or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        )
        .values(
            status=SENDING,
            locked_until=now + lease,
            attempts=model.attempts + 1,
            updated=now,
        )
    ).rowcount
    db.session.commit()
    return bool(claimed)


def renew(model, row_id: str, held_until: datetime, lease: timedelta) -> datetime | None:
    """Extend a lease the caller still holds: `held_until` is the expiry it was given, and
    the row keeps it only while nobody has taken the row since. None when the lease is
    lost. The sweep takes an expired row over with this same conditional UPDATE, so a
    worker renewing at the last moment and the sweep can't both win. The caller commits."""
    until = max(utcnow() + lease, held_until)
    renewed = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status == SENDING, model.locked_until == held_until)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    return until if renewed else None
