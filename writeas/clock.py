"""One notion of "now" and one timestamp format, so every response agrees with the spec."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so everything stored is UTC by convention."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
