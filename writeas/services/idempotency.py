"""`Idempotency-Key` bookkeeping: a replay of a create within 24 hours gets the first
response instead of a second post; the same key while the first request is still running
is a 409 `idempotency_in_progress`, and the same key with a different request is a 409
`idempotency_conflict` (seed 002's codes, in `error_code` beside `error_msg`).

The key is claimed with an INSERT under a unique constraint before the work starts, so two
concurrent requests with one key can't both run, on any number of workers or hosts.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import IdempotencyRecord

KEY_MAX = 128
# Visible ASCII, as HTTP header values are, without spaces at either end.
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{KEY_MAX - 2}}}[!-~])?$"
REPLAY_WINDOW = timedelta(hours=24)
# A request that claimed a key and never finished (its process died) frees it after this.
ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _expired(record: IdempotencyRecord) -> bool:
    age = utcnow() - record.created
    return age > REPLAY_WINDOW or (record.status is None and age > ABANDONED_AFTER)


def claim(scope: str, key: str, print_: str) -> IdempotencyRecord | Replay:
    """The new record to complete, or the stored response to replay."""
    if not re.fullmatch(KEY_PATTERN, key):
        raise ServiceError(
            400, f"Idempotency-Key must be 1 to {KEY_MAX} visible ASCII characters."
        )
    # Old keys of this client go first (the unique index's scope prefix finds them).
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.created < utcnow() - REPLAY_WINDOW
        )
    )
    for _attempt in range(3):
        record = IdempotencyRecord(scope=scope, key=key, fingerprint=print_)
        db.session.add(record)
        try:
            db.session.commit()
            return record
        except IntegrityError:
            db.session.rollback()
        existing = db.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        )
        if existing is None:
            continue  # it was released between our insert and our read
        if _expired(existing):
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
            db.session.commit()
            continue
        if existing.fingerprint != print_:
            raise ServiceError(
                409,
                "This Idempotency-Key was used with a different request.",
                code="idempotency_conflict",
            )
        if existing.status is None:
            raise _in_progress()
        return Replay(existing.status, existing.response or "")
    raise _in_progress()


def _in_progress() -> ServiceError:
    return ServiceError(
        409,
        "A request with this Idempotency-Key is still in progress.",
        code="idempotency_in_progress",
    )


def complete(record_id: int, status: int, body: str) -> None:
    record = db.session.get(IdempotencyRecord, record_id)
    if record is not None:
        record.status = status
        record.response = body
        db.session.commit()


def release(record_id: int) -> None:
    """Forget a key whose request failed on our side, so the client can retry it."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()
