"""The closed sets of values the site stores and answers with, each named once.

`StrEnum`s: a member is the string it stands for, so it is stored, compared and answered
(JSON included) as that string, and a misspelt member is an error where it is written,
not a row that never matches.
"""

from enum import StrEnum


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"
    PASSWORD = "password"  # noqa: S105 (a visibility, not a secret)


class Appearance(StrEnum):
    """What a post's `font` becomes: `norm` is Write.as's stored name for serif."""

    SANS = "sans"
    NORM = "norm"
    WRAP = "wrap"
    MONO = "mono"
    CODE = "code"


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    CANCELLED = "cancelled"


class BatchStatus(StrEnum):
    QUEUED = "queued"
    PUBLISHED = "published"
    PARTIAL_FAILED = "partial_failed"
    FAILED = "failed"


class OutcomeKind(StrEnum):
    """What one attempt at a platform came to; the delivery engine decides what follows."""

    PUBLISHED = "published"
    RETRY = "retry"  # not done, safe to try again (nothing reached the platform, or it said so)
    UNKNOWN = "unknown"  # may have been applied: only retry with an idempotency handle
    AUTH = "auth"  # credentials rejected and could not be refreshed: reconnect the channel
    PERMANENT = "permanent"  # refused for good; the platform's message is kept verbatim


class FederateAs(StrEnum):
    """What a blog's titled posts become on the fediverse (untitled ones are always Notes)."""

    AUTO = "auto"
    ARTICLE = "article"
    NOTE = "note"


class FederationStatus(StrEnum):
    """Where one activity's delivery to one inbox stands."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer Update or a Delete of the same object made it moot
    SKIPPED = "skipped"  # the host was unavailable or blocked when it fanned out


class MailStatus(StrEnum):
    """Where one outgoing email stands (`outgoing_mail.status`)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # handed to the server, whose answer never came
