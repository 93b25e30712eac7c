"""One notion of "now" and one timestamp format, so every response agrees with the spec."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so everything stored is UTC by convention."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def rfc3339(moment: datetime | None) -> str | None:
    """Whole seconds, always a four-digit year (`strftime("%Y")` drops the zeros of years
    before 1000), and a fifth of strftime's cost, which every post in every listing pays
    twice."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"
