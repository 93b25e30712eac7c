"""Running one delivery, and the sweep that keeps every delivery moving.

The row in `deliveries` is the truth. A worker claims a row with a conditional UPDATE
(only one worker can move it from queued to sending) and holds a lease on it and on its
channel (one publish at a time per account). Whatever happens, the outcome is written
back: published; retried later with full-jitter exponential backoff, or after the
platform's own reset time (which pauses every delivery to that account); failed with the
platform's own words; or `unconfirmed` when a request may have been applied and the
platform gives us no way to make a retry safe. A worker that dies mid-delivery leaves an
expired lease, which the sweep resolves the same way.

A live worker renews its lease before each step that could create something (after the
media are converted, and whenever the adapter stores a handle), so an upload or a
conversion longer than the lease is not mistaken for a dead worker. A worker that finds its
lease gone (it stalled past it and the sweep passed the delivery on) stops at once and
writes nothing: the delivery is the next worker's.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from writeas import settings
from writeas.core import leases
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import DeliveryStatus as Status
from writeas.core.errors import ServiceError
from writeas.core.models import Channel, Delivery, MediaFile, Post
from writeas.crossposting import channels
from writeas.crossposting import content as content_builder
from writeas.crossposting.platforms.base import (
    AUTH,
    NOT_LANDED,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Outcome,
    Platform,
)
from writeas.services.visibility import not_shareable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 3600.0
BUSY_RETRY = timedelta(seconds=2)
# A platform still processing a video or a media container is polled at the pace it
# suggests, without counting attempts, but not for ever.
PROCESSING_MAX_SECONDS = 24 * 3600.0
# The platform state's key for "the last attempt's outcome is unknown: look before sending".
LOOK_FIRST = "look_first"
NO_SAFE_RESEND = "offers no way to resend safely, so check the account before retrying."


def lease() -> timedelta:
    """How long a worker may hold a delivery (and its account) before the sweep assumes
    it died: longer than any one attempt can take, with every call's timeout."""
    return timedelta(seconds=settings.current().delivery_lease_seconds)


def backoff(attempt: int) -> float:
    """Full jitter: a random wait up to an exponentially growing cap."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))  # noqa: S311


def _claim(delivery_id: str) -> bool:
    return leases.claim(Delivery, delivery_id, lease())


def _hold_channel(channel: Channel) -> bool:
    now = utcnow()
    held = db.session.execute(
        update(Channel)
        .where(
            Channel.id == channel.id,
            or_(Channel.busy_until.is_(None), Channel.busy_until < now),
            or_(Channel.paused_until.is_(None), Channel.paused_until <= now),
        )
        .values(busy_until=now + lease())
    ).rowcount
    db.session.commit()
    return bool(held)


def _requeue(delivery: Delivery, delay: timedelta, *, count_attempt: bool = True) -> None:
    delivery.status = Status.QUEUED
    delivery.locked_until = None
    delivery.next_attempt_at = utcnow() + delay
    if not count_attempt:
        delivery.attempts -= 1


def _fail(delivery: Delivery, status: str, error: str) -> None:
    delivery.status = status
    delivery.error = error
    delivery.locked_until = None


class LeaseLost(Exception):
    """The sweep took the delivery from this worker."""


@dataclass
class _Lease:
    """The lease a worker holds on a delivery and on its account."""

    delivery_id: str
    channel_id: int
    until: datetime

    def keep(self) -> None:
        """Renew both, or raise `LeaseLost`; the caller commits."""
        until = leases.renew(Delivery, self.delivery_id, self.until, lease())
        if until is None:
            raise LeaseLost(self.delivery_id)
        self.until = until
        db.session.execute(
            update(Channel)
            .where(Channel.id == self.channel_id)
            .values(busy_until=until)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class Attempt:
    """What a run did: when to run the delivery again (None: no need), and whether it held
    its account — then the next delivery waiting for that account can go at once."""

    again_in: float | None = None
    held_account: bool = False


def run(delivery_id: str) -> Attempt:
    """Attempt one delivery."""
    if not _claim(delivery_id):
        return Attempt()
    delivery = db.session.get(Delivery, delivery_id)
    channel = delivery.channel
    held = False
    hidden = _no_longer_public(delivery.post)
    if hidden is not None:
        _fail(delivery, Status.FAILED, hidden)
    elif channel is None:
        _fail(delivery, Status.FAILED, "The channel was disconnected.")
    elif channel.status != channels.ACTIVE:
        _fail(delivery, Status.FAILED, f"The channel needs reconnecting: {channel.status_reason}")
    elif not _hold_channel(channel):
        wait = BUSY_RETRY
        if channel.paused_until and channel.paused_until > utcnow():
            wait = channel.paused_until - utcnow()
        _requeue(delivery, wait, count_attempt=False)
    else:
        held = True
        lease_held = _Lease(delivery.id, channel.id, delivery.locked_until)
        try:
            outcome = _send(delivery, channel, lease_held)
        except LeaseLost:
            db.session.rollback()
            log.warning("Delivery %s outlived its lease; the sweep passed it on.", delivery_id)
            return Attempt()
        channel.busy_until = None
        _apply(delivery, channel, outcome)
    delivery.updated = utcnow()
    db.session.commit()
    again = None
    if delivery.status == Status.QUEUED:
        again = max(0.0, (delivery.next_attempt_at - utcnow()).total_seconds())
    return Attempt(again, held)


def _no_longer_public(post: Post | None) -> str | None:
    """Between the request and the sending (a scheduled crosspost waits for days) the
    author may have unpublished the post or closed its blog (a standalone post has none)."""
    if post is None:
        return None
    reason = not_shareable(post)
    return f"Not sent when due: {reason}." if reason else None


def next_for_account(delivery_id: str) -> str | None:
    """The delivery that was waiting for this one's account (it found the account busy),
    made due now: with one publish at a time per account, a burst to one account then
    moves as fast as the account allows, instead of at the pace of the busy retries."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.channel_id is None:
        return None
    now = utcnow()
    waiting = db.session.scalar(
        select(Delivery)
        .where(
            Delivery.channel_id == delivery.channel_id,
            Delivery.id != delivery.id,  # its own retry keeps its backoff
            Delivery.status == Status.QUEUED,
            Delivery.next_attempt_at <= now + BUSY_RETRY,
        )
        .order_by(Delivery.next_attempt_at, Delivery.created)
        .limit(1)
    )
    if waiting is None:
        return None
    waiting.next_attempt_at = min(waiting.next_attempt_at, now)
    db.session.commit()
    return waiting.id


def _send(delivery: Delivery, channel: Channel, held: _Lease) -> Outcome:
    platform = channels.platform_of(channel.platform)
    try:
        files = [db.session.get(MediaFile, i) for i in delivery.media_ids]
        if None in files:
            # Deleting media a waiting delivery uses is refused (409); one deleted anyway
            # (with its account) must not be sent without it and called published.
            raise ValueError("Media this crosspost was to carry has been deleted.")
        refusal = platform.refuse(files, (delivery.target or {}).get("options") or {})
        if refusal:
            raise ValueError(refusal)
        body = content_builder.build(delivery, platform, files, channel.details or {})
        account = channels.account(channel)
    except (ServiceError, ValueError) as error:
        return Outcome(PERMANENT, error=getattr(error, "message", None) or str(error))
    held.keep()  # a conversion may have taken a while
    db.session.commit()
    body.saver = _saver(delivery.id, held)
    before = dict(account.credentials)
    outcome = _attempt(platform, channel, account, body, delivery.id)
    if not outcome.credentials and account.credentials != before:
        # A token refreshed during a lookup that found nothing must not be lost either.
        outcome.credentials = account.credentials
    return outcome


def _attempt(
    platform: Platform, channel: Channel, account: Account, body: Content, delivery_id: str
) -> Outcome:
    with channels.http_client() as http:
        try:
            if body.state.get(LOOK_FIRST):
                found = platform.landed(http, channel.base_url, account, body)
                if found is None:
                    return Outcome(UNKNOWN, error=body.state[LOOK_FIRST])
                if found != NOT_LANDED:
                    return found
                body.remember(**{LOOK_FIRST: ""})
            return platform.publish(http, channel.base_url, account, body)
        except LeaseLost:
            raise
        except Exception as error:  # a bug in an adapter must not lose the delivery
            log.exception("Adapter %s failed on delivery %s", platform.name, delivery_id)
            return Outcome(UNKNOWN, error=f"Internal error while sending: {type(error).__name__}")


def _saver(delivery_id: str, held: _Lease):
    """Stores an adapter's `Content.remember` at once, in its own commit: the handle must
    be on the row before the call that could create something is made. The lease is
    renewed in the same commit, or the adapter is stopped (`LeaseLost`) before that call."""

    def save(state: dict) -> None:
        held.keep()
        db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(platform_state=state)
        )
        db.session.commit()

    return save


def _can_look(platform: Platform) -> bool:
    """Whether the adapter has a lookup that can tell whether an attempt landed."""
    return type(platform).landed is not Platform.landed


def _after_unknown(delivery: Delivery, channel: Channel, error: str) -> str:
    """What an unknown outcome leads to: "resend" where a resend can't duplicate, "look"
    where the platform's lookup can tell on the next attempt, else "unconfirmed"."""
    platform = channels.platform_of(delivery.platform)
    state = dict(delivery.platform_state or {})
    if state.get(LOOK_FIRST):
        return "unconfirmed"  # the lookup itself could not tell
    if platform.resend_safe(channels.account(channel), state):
        return "resend"
    if _can_look(platform):
        delivery.platform_state = {**state, LOOK_FIRST: error or "The outcome was unknown."}
        return "look"
    return "unconfirmed"


def _apply(delivery: Delivery, channel: Channel, outcome: Outcome) -> None:
    if outcome.credentials:
        channels.store_credentials(channel, outcome.credentials)
    if outcome.first_comment is not None:
        delivery.platform_state = {
            **(delivery.platform_state or {}), "first_comment": outcome.first_comment
        }
    if outcome.kind == PUBLISHED:
        delivery.status = Status.PUBLISHED
        delivery.remote_id, delivery.url = outcome.post_id, outcome.url
        delivery.uri, delivery.cid = outcome.uri, outcome.cid
        delivery.error = None
        delivery.published_at = utcnow()
        delivery.locked_until = None
    elif outcome.kind == RETRY and outcome.processing:
        _wait_for_processing(delivery, channel, outcome)
    elif outcome.kind == RETRY:
        _retry(delivery, channel, outcome)
    elif outcome.kind == UNKNOWN:
        decision = _after_unknown(delivery, channel, outcome.error or "")
        if decision == "resend" or (decision == "look" and delivery.attempts < MAX_ATTEMPTS):
            _retry(delivery, channel, outcome)
        else:
            message = f"{outcome.error} — {delivery.platform} {NO_SAFE_RESEND}"
            _fail(delivery, Status.UNCONFIRMED, message)
    elif outcome.kind == AUTH:
        channels.needs_reconnect(channel, outcome.error or "Credentials were rejected.")
        _fail(
            delivery,
            Status.FAILED,
            f"{delivery.platform} rejected the credentials: "
            f"{outcome.error}. Reconnect the channel, then retry.",
        )
    else:
        _fail(delivery, Status.FAILED, outcome.error or "Refused by the platform.")


def _wait_for_processing(delivery: Delivery, channel: Channel, outcome: Outcome) -> None:
    state = dict(delivery.platform_state or {})
    since = state.setdefault("processing_since", utcnow().isoformat())
    waited = (utcnow() - datetime.fromisoformat(since)).total_seconds()
    if waited > PROCESSING_MAX_SECONDS:
        _fail(
            delivery,
            Status.FAILED,
            f"{delivery.platform} was still processing after {waited / 3600:.0f} hours: "
            f"{outcome.error}",
        )
        return
    delivery.platform_state = state
    delivery.error = outcome.error
    delay = outcome.retry_after if outcome.retry_after is not None else BACKOFF_BASE
    _requeue(delivery, timedelta(seconds=delay), count_attempt=False)


def _retry(delivery: Delivery, channel: Channel, outcome: Outcome) -> None:
    if delivery.attempts >= MAX_ATTEMPTS:
        _fail(
            delivery, Status.FAILED, f"Gave up after {delivery.attempts} attempts: {outcome.error}"
        )
        return
    delay = backoff(delivery.attempts)
    if outcome.retry_after is not None:
        channels.pause(channel, outcome.retry_after)
        delay = max(delay, outcome.retry_after)
    delivery.error = outcome.error
    _requeue(delivery, timedelta(seconds=delay))


def sweep(enqueue) -> int:
    """Make everything due move: scheduled deliveries whose time came, deliveries whose
    worker died (expired lease), and queued ones nobody enqueued. Answers how many were
    enqueued."""
    now = utcnow()
    db.session.execute(
        update(Delivery)
        .where(Delivery.status == Status.SCHEDULED, Delivery.next_attempt_at <= now)
        .values(status=Status.QUEUED, updated=now)
    )
    stuck = db.session.scalars(
        select(Delivery).where(Delivery.status == Status.SENDING, Delivery.locked_until < now)
    ).all()
    for delivery in stuck:
        if leases.renew(Delivery, delivery.id, delivery.locked_until, lease()) is None:
            continue  # its worker renewed the lease after all: it is alive
        stopped = "The worker stopped while sending"
        decision = "unconfirmed"
        if delivery.channel is not None:
            decision = _after_unknown(delivery, delivery.channel, f"{stopped}.")
            delivery.channel.busy_until = None
        if decision == "unconfirmed":
            _fail(delivery, Status.UNCONFIRMED, f"{stopped}; {delivery.platform} {NO_SAFE_RESEND}")
        else:
            _requeue(delivery, timedelta(0))
    db.session.commit()
    due_by = utcnow()  # not `now`: a delivery taken back above is due from a later second
    due = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status == Status.QUEUED, Delivery.next_attempt_at <= due_by
        )
    ).all()
    for delivery_id in due:
        enqueue(delivery_id)
    return len(due)
