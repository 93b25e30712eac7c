"""The rules for crossposting requests: which targets a post goes to, what each may carry,
when it is sent, and what the user is told.

Everything a request asks for is checked before anything is stored (a text over a
platform's limit, too many images, an alt text too long: 400 naming the platform and the
limit). Deliveries are written in the same transaction as the post they belong to; the
queue is only told afterwards, and the sweep finds anything it was never told about.
"""

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import BatchStatus, DeliveryStatus
from writeas.core.errors import ServiceError
from writeas.core.models import Channel, CrosspostBatch, Delivery, Post, User
from writeas.crossposting import channels, formatting
from writeas.http.urls import site_url
from writeas.services import media, payload, posts
from writeas.services.visibility import is_scheduled, not_shareable

log = logging.getLogger(__name__)

TARGETS_MAX = 25
# Longer than any short-form platform's limit could hold, links counted short included.
SHORT_TEXT_MAX = 10_000
LIST_MAX = 100
QUEUED, SCHEDULED, SENDING = DeliveryStatus.QUEUED, DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING
PUBLISHED, FAILED = DeliveryStatus.PUBLISHED, DeliveryStatus.FAILED
UNCONFIRMED, CANCELLED = DeliveryStatus.UNCONFIRMED, DeliveryStatus.CANCELLED
FINAL = {PUBLISHED, FAILED, UNCONFIRMED, CANCELLED}


def _new_id() -> str:
    return secrets.token_hex(12)


def _channel_for(user: User, ref: Any) -> Channel | None:
    """A target names a channel by id, or (the spec's `crosspost` shape) by platform and
    handle."""
    if isinstance(ref, Mapping):
        return db.session.scalar(
            select(Channel).where(
                Channel.user_id == user.id,
                Channel.platform == ref.get("platform"),
                Channel.handle == str(ref.get("handle", "")).lstrip("@"),
            )
        )
    try:
        return channels.owned(ref, user)
    except ServiceError:
        return None


def _check_target(platform_name: str, text: str | None, media_files: list) -> None:
    platform = channels.platform_of(platform_name)
    spec = formatting.PLATFORMS[platform_name]
    if text is not None and spec.limit is not None:
        # Measuring costs microseconds a character (graphemes, X's weights): a text far
        # beyond any short-form limit is refused before it is measured.
        if len(text) > SHORT_TEXT_MAX:
            raise ServiceError(
                400,
                f"Text for {platform_name} is over {SHORT_TEXT_MAX} characters; "
                f"{platform_name} allows {spec.limit}.",
            )
        size = formatting.measure(text, platform_name)
        if size > spec.limit:
            raise ServiceError(
                400,
                f"Text for {platform_name} is {size} characters; "
                f"{platform_name} allows {spec.limit}.",
            )
    limits = platform.media_limits
    if len(media_files) > limits.max_images:
        raise ServiceError(
            400, f"{platform_name} accepts at most {limits.max_images} images per post."
        )
    for item in media_files:
        if len(item.alt_text) > limits.max_alt_text:
            raise ServiceError(
                400,
                f"Alt text for {platform_name} may be at most {limits.max_alt_text} "
                f"characters (image {item.id} has {len(item.alt_text)}).",
            )
        if item.mime_type not in limits.mime_types:
            raise ServiceError(400, f"{platform_name} doesn't accept {item.mime_type} images.")


def _parse_targets(user: User, targets: Any) -> list[dict]:
    if not isinstance(targets, list) or not 1 <= len(targets) <= TARGETS_MAX:
        raise ServiceError(400, f"Parameter `targets` must be an array of 1 to {TARGETS_MAX}.")
    parsed = []
    for index, target in enumerate(targets):
        if not isinstance(target, Mapping) or "channel" not in target:
            raise ServiceError(400, f"targets[{index}] must be an object with a `channel`.")
        text = payload.text(target, "text", max_length=100_000)
        ids = target.get("media") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ServiceError(400, f"targets[{index}].media must be an array of media ids.")
        files = [media.owned(i, user) for i in ids]
        channel = _channel_for(user, target["channel"])
        if channel is not None:
            _check_target(channel.platform, text, files)
        parsed.append(
            {
                "ref": target["channel"],
                "channel": channel,
                "text": text,
                "media": [f.id for f in files],
            }
        )
    return parsed


def _plan(post: Post, user: User, targets: list[dict], scheduled_at=None) -> CrosspostBatch:
    """Adds the batch and its deliveries to the session (the caller commits)."""
    batch = CrosspostBatch(
        id=_new_id(),
        post_id=post.id,
        user_id=user.id,
        scheduled_at=scheduled_at,
        site_url=site_url(),
    )
    db.session.add(batch)
    start = scheduled_at or (post.created if is_scheduled(post) else utcnow())
    waiting = SCHEDULED if start > utcnow() else QUEUED
    seen: set[int] = set()
    for position, target in enumerate(targets):
        channel = target["channel"]
        delivery = Delivery(
            id=_new_id(),
            batch=batch,
            post_id=post.id,
            user_id=user.id,
            position=position,
            text=target["text"],
            media_ids=target["media"],
            next_attempt_at=start,
            idempotency_key="",
            attempts=0,
        )
        if channel is None:
            delivery.platform = _describe(target["ref"])
            delivery.status = FAILED
            delivery.error = "No connected channel matches this target."
            delivery.idempotency_key = "-"
        elif channel.id in seen:
            continue  # the same account twice in one request is one delivery
        else:
            seen.add(channel.id)
            platform = channels.platform_of(channel.platform)
            delivery.channel = channel
            delivery.platform = channel.platform
            delivery.handle = channel.handle
            delivery.status = waiting
            delivery.idempotency_key = platform.new_idempotency_key()
        db.session.add(delivery)
    return batch


def _describe(ref: Any) -> str:
    if isinstance(ref, Mapping):
        return str(ref.get("platform", ""))[:20]
    return "unknown"


def _already(post_id: str, channel_id: int) -> bool:
    return (
        db.session.scalar(
            select(Delivery.id).where(
                Delivery.post_id == post_id, Delivery.channel_id == channel_id
            )
        )
        is not None
    )


def plan_from_spec(post: Post, user: User, spec: list[dict]) -> CrosspostBatch:
    """The spec's `crosspost: [{"mastodon": "handle"}, …]` on publish. A target the user
    hasn't connected becomes a failed result; it never fails the publish."""
    targets = []
    for item in spec:
        [(platform, handle)] = item.items()
        ref = {"platform": platform, "handle": handle}
        targets.append({"ref": ref, "channel": _channel_for(user, ref), "text": None, "media": []})
    return _plan(post, user, targets)


def request(post_id: str, data: Any, user: User | None) -> CrosspostBatch:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    post = posts.find(post_id)
    if not posts.is_owner(post, user):
        raise ServiceError(403, "You can only crosspost your own posts.")
    if post.unpublished:
        raise ServiceError(410, posts.UNPUBLISHED)
    closed = not_shareable(post)
    if closed:
        raise ServiceError(400, f"This post can't be crossposted: {closed}.")
    data = payload.require_mapping(data)
    scheduled_at = payload.timestamp(data, "scheduled_at")
    if scheduled_at is not None and scheduled_at <= utcnow():
        raise ServiceError(400, "Parameter `scheduled_at` must be in the future.")
    targets = _parse_targets(user, data.get("targets"))
    for target in targets:
        channel = target["channel"]
        if channel is not None and _already(post.id, channel.id):
            raise ServiceError(
                409,
                f"This post was already crossposted to {channel.platform} "
                f"@{channel.handle}; see GET /api/posts/{post.id}/crossposts.",
            )
    batch = _plan(post, user, targets, scheduled_at)
    db.session.commit()
    dispatch(batch)
    return batch


def dispatch(batch: CrosspostBatch) -> None:
    """Tell the queue about deliveries that are due now. A failure here loses nothing: the
    rows are committed, and the sweep enqueues whatever is due."""
    from writeas.crossposting.queue import enqueue_delivery

    for delivery in batch.deliveries:
        if delivery.status == QUEUED:
            try:
                enqueue_delivery(delivery.id)
            except Exception:
                log.exception("Could not enqueue delivery %s; the sweep will", delivery.id)


def batch_status(deliveries: list[Delivery]) -> str:
    statuses = [d.status for d in deliveries]
    if not statuses or any(s in (QUEUED, SCHEDULED, SENDING) for s in statuses):
        return BatchStatus.QUEUED
    if all(s == PUBLISHED for s in statuses):
        return BatchStatus.PUBLISHED
    if any(s == PUBLISHED for s in statuses):
        return BatchStatus.PARTIAL_FAILED
    return BatchStatus.FAILED


def of_post(post_id: str, user: User | None) -> list[CrosspostBatch]:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    post = posts.find(post_id)
    if not posts.is_owner(post, user):
        raise ServiceError(404, "Post not found.")
    query = select(CrosspostBatch).where(CrosspostBatch.post_id == post.id)
    return list(db.session.scalars(query.order_by(CrosspostBatch.created.desc())))


def of_user(user: User | None, status: str | None, platform: str | None, limit: Any) -> list:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    query = select(Delivery).where(Delivery.user_id == user.id)
    if status:
        query = query.where(Delivery.status == status)
    if platform:
        query = query.where(Delivery.platform == platform)
    size = 50
    if limit not in (None, ""):
        size = payload.whole_number(limit)
        if size is None or not 1 <= size <= LIST_MAX:
            raise ServiceError(400, f"Parameter `limit` must be 1 to {LIST_MAX}.")
    return list(db.session.scalars(query.order_by(Delivery.created.desc()).limit(size)))


def cancel(delivery_or_batch_id: str, user: User | None) -> None:
    """Cancels a queued or scheduled delivery, or every such delivery of a batch; one
    already sending or finished can't be taken back (409)."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    deliveries = [db.session.get(Delivery, delivery_or_batch_id)]
    if deliveries[0] is None:
        batch = db.session.get(CrosspostBatch, delivery_or_batch_id)
        deliveries = list(batch.deliveries) if batch is not None else []
    deliveries = [d for d in deliveries if d is not None and d.user_id == user.id]
    if not deliveries:
        raise ServiceError(404, "Crosspost not found.")
    waiting = [d for d in deliveries if d.status in (QUEUED, SCHEDULED)]
    if not waiting:
        raise ServiceError(409, "This crosspost is already being sent or has finished.")
    # Only rows still waiting are changed, so a worker that just claimed one keeps it.
    for delivery in waiting:
        changed = db.session.execute(
            Delivery.__table__.update()
            .where(Delivery.id == delivery.id, Delivery.status.in_((QUEUED, SCHEDULED)))
            .values(status=CANCELLED, error="Cancelled by the user.", updated=utcnow())
        ).rowcount
        if not changed and len(deliveries) == 1:
            db.session.rollback()
            raise ServiceError(409, "This crosspost is already being sent or has finished.")
    db.session.commit()


def retry(delivery_id: str, user: User | None) -> Delivery:
    """Send a failed delivery again (the dashboard's Retry)."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.user_id != user.id:
        raise ServiceError(404, "Crosspost not found.")
    if delivery.status not in (FAILED, UNCONFIRMED) or delivery.channel_id is None:
        raise ServiceError(409, "Only a failed delivery to a connected channel can be retried.")
    delivery.status = QUEUED
    delivery.error = None
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0
    db.session.commit()
    dispatch(delivery.batch)
    return delivery
