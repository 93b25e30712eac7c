"""Paging a list newest first with a cursor (`?limit=&cursor=`).

The cursor names the last row of the page (its time and id), not an offset, so rows
created between two requests neither repeat nor push others out of sight. It is opaque to
clients: URL-safe base64 of that pair.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.services import payload


def _encode(moment: datetime, row_id: Any) -> str:
    raw = json.dumps([moment.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        return datetime.fromisoformat(moment), row_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ServiceError(400, "Parameter `cursor` is not one this server gave.") from None


@dataclass(frozen=True)
class Page:
    size: int
    after: tuple[datetime, Any] | None

    @classmethod
    def read(cls, args: Mapping, most: int, default: int = 50) -> "Page":
        size = default
        limit = args.get("limit")
        if limit not in (None, ""):
            size = payload.whole_number(limit)
            if size is None or not 1 <= size <= most:
                raise ServiceError(400, f"Parameter `limit` must be 1 to {most}.")
        cursor = args.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ServiceError(400, "Parameter `cursor` must be a string.")
        return cls(size, _decode(cursor) if cursor else None)

    def run(self, query, created, row_id) -> tuple[list, str | None]:
        """The page's rows, and the cursor of the next page (None on the last one)."""
        if self.after is not None:
            moment, last = self.after
            query = query.where(
                or_(created < moment, and_(created == moment, row_id < last))
            )
        rows = list(
            db.session.scalars(query.order_by(created.desc(), row_id.desc()).limit(self.size + 1))
        )
        if len(rows) <= self.size:
            return rows, None
        rows = rows[: self.size]
        last_row = rows[-1]
        return rows, _encode(getattr(last_row, created.key), getattr(last_row, row_id.key))
