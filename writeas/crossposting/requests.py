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
from writeas.crossposting.platforms.base import IMAGE, MediaLimits, OptionError, VideoLimits
from writeas.http.urls import site_url
from writeas.services import media, paging, payload, posts
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


def _check_text(channel: Channel, text: str | None) -> None:
    spec = formatting.for_account(channel.platform, channel.details or {})
    name = channel.platform
    if text is None or spec.limit is None:
        return
    # Measuring costs microseconds a character (graphemes, X's weights): a text far
    # beyond any short-form limit is refused before it is measured.
    if len(text) > SHORT_TEXT_MAX:
        raise ServiceError(
            400, f"Text for {name} is over {SHORT_TEXT_MAX} characters; {name} allows {spec.limit}."
        )
    size = formatting.measure(text, spec)
    if size > spec.limit:
        raise ServiceError(
            400, f"Text for {name} is {size} characters; {name} allows {spec.limit}."
        )


def _check_images(name: str, limits: MediaLimits, images: list) -> None:
    if len(images) > limits.max_images:
        raise ServiceError(400, f"{name} accepts at most {limits.max_images} images per post.")
    for item in images:
        if len(item.alt_text) > limits.max_alt_text:
            raise ServiceError(
                400,
                f"Alt text for {name} may be at most {limits.max_alt_text} "
                f"characters (image {item.id} has {len(item.alt_text)}).",
            )
        if item.mime_type not in limits.mime_types:
            raise ServiceError(400, f"{name} doesn't accept {item.mime_type} images.")


def _check_videos(name: str, limits: VideoLimits | None, videos: list, images: list) -> None:
    if not videos:
        return
    if limits is None:
        raise ServiceError(400, f"{name} doesn't take video.")
    if len(videos) > limits.max_videos:
        raise ServiceError(400, f"{name} accepts at most {limits.max_videos} video per post.")
    if images and not limits.mixes_with_images:
        raise ServiceError(400, f"{name} doesn't take images and video in one post.")
    for item in videos:
        problem = _video_problem(limits, item)
        if problem:
            raise ServiceError(400, f"Video {item.id} is too {problem} for {name}.")


def _video_problem(limits: VideoLimits, item) -> str:
    """What about the video breaks the platform's limit, said as the end of "too …"."""
    if limits.max_bytes and item.size > limits.max_bytes:
        return f"large: {name_bytes(item.size)}; the limit is {name_bytes(limits.max_bytes)}"
    if limits.max_seconds and item.duration > limits.max_seconds:
        return f"long: {item.duration:.1f} s; the limit is {limits.max_seconds:g} s"
    if item.duration < limits.min_seconds:
        return f"short: {item.duration:.1f} s; the minimum is {limits.min_seconds:g} s"
    # A container or codec the platform refuses is transcoded by the worker to an
    # H.264/AAC MP4, if it takes that.
    if item.mime_type not in limits.containers and not limits.takes_h264_copy:
        return f"odd a file: {item.mime_type} isn't one of {', '.join(sorted(limits.containers))}"
    codec = (getattr(item, "video_codec", "") or "").lower()
    if codec and codec not in limits.codecs and not limits.takes_h264_copy:
        return f"odd an encoding: {codec} isn't one of {', '.join(sorted(limits.codecs))}"
    if limits.aspect_ratios and item.height:
        low, high = limits.aspect_ratios
        ratio = item.width / item.height
        if not low <= ratio <= high:
            return f"wide or tall: its aspect ratio is {ratio:.2f}; {low:g} to {high:g} is allowed"
    return ""


def name_bytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def _check_target(channel: Channel, target: dict, files: list, index: int) -> None:
    """Everything the target asks of its platform, refused now rather than failed later."""
    platform = channels.platform_of(channel.platform)
    name = platform.name
    _check_text(channel, target["text"])
    images = [f for f in files if getattr(f, "kind", IMAGE) == IMAGE]
    videos = [f for f in files if getattr(f, "kind", IMAGE) != IMAGE]
    _check_images(name, platform.limits_for(channel.details or {}), images)
    _check_videos(name, platform.video_limits, videos, images)
    if platform.needs_board and not target["board_id"]:
        raise ServiceError(400, f"targets[{index}]: {name} needs a `board_id` to pin to.")
    try:
        target["options"] = platform.check_options(target["options"])
    except OptionError as error:
        raise ServiceError(400, f"targets[{index}].options: {error}") from None
    refusal = platform.refuse(files, target["options"])
    if refusal:
        raise ServiceError(400, f"targets[{index}]: {refusal}")


def _ids(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ServiceError(400, f"{where} must be an array of media ids.")
    return value


def _link(data: Mapping, where: str) -> str:
    link = payload.text(data, "link", max_length=2000) or ""
    if link and not link.startswith(("https://", "http://")):
        raise ServiceError(400, f"{where}.link must be an http(s) URL.")
    return link


def _parse_target(user: User, index: int, target: Any, defaults: Mapping) -> dict:
    where = f"targets[{index}]"
    if not isinstance(target, Mapping) or "channel" not in target:
        raise ServiceError(400, f"{where} must be an object with a `channel`.")
    text = payload.text(target, "text", max_length=100_000)
    if text is None:
        text = defaults.get("text")
    ids = _ids(target["media"], f"{where}.media") if "media" in target else defaults["media"]
    options = target.get("options") or {}
    if not isinstance(options, Mapping):
        raise ServiceError(400, f"{where}.options must be an object.")
    parsed = {
        "ref": target["channel"],
        "channel": _channel_for(user, target["channel"]),
        "text": text,
        "files": [media.owned(i, user) for i in ids],
        "title": payload.text(target, "title", max_length=1000) or "",
        "link": _link(target, where),
        "board_id": payload.text(target, "board_id", max_length=200) or "",
        "options": dict(options),
        "first_comment": defaults["first_comment"],
    }
    if parsed["channel"] is not None:
        _check_target(parsed["channel"], parsed, parsed["files"], index)
    return parsed


def _first_comment(data: Mapping) -> str:
    """A string, or seed 002's object form `{"text": …}`."""
    value = data.get("first_comment")
    if isinstance(value, Mapping):
        value = value.get("text")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > SHORT_TEXT_MAX:
        raise ServiceError(
            400, f"Parameter `first_comment` must be a string of at most {SHORT_TEXT_MAX}."
        )
    return value.strip()


def _parse_targets(user: User, data: Mapping) -> list[dict]:
    targets = data.get("targets")
    if not isinstance(targets, list) or not 1 <= len(targets) <= TARGETS_MAX:
        raise ServiceError(400, f"Parameter `targets` must be an array of 1 to {TARGETS_MAX}.")
    defaults = {
        "text": payload.text(data, "text", max_length=100_000),
        "media": _ids(data.get("media") or [], "Parameter `media`"),
        "first_comment": _first_comment(data),
    }
    parsed = [_parse_target(user, i, target, defaults) for i, target in enumerate(targets)]
    seen: dict[Any, int] = {}
    for index, target in enumerate(parsed):
        channel = target["channel"]
        key = ("channel", channel.id) if channel is not None else ("ref", repr(target["ref"]))
        if key in seen:
            raise ServiceError(
                400, f"targets[{index}] names the same channel as targets[{seen[key]}]."
            )
        seen[key] = index
    return parsed


def _plan(
    post: Post | None, user: User, targets: list[dict], scheduled_at=None
) -> CrosspostBatch:
    """Adds the batch and its deliveries to the session (the caller commits)."""
    batch = CrosspostBatch(
        id=_new_id(),
        post_id=post.id if post is not None else None,
        user_id=user.id,
        scheduled_at=scheduled_at,
        site_url=site_url(),
    )
    db.session.add(batch)
    start = scheduled_at or (post.created if post is not None and is_scheduled(post) else utcnow())
    waiting = SCHEDULED if start > utcnow() else QUEUED
    for position, target in enumerate(targets):
        channel = target["channel"]
        delivery = Delivery(
            id=_new_id(),
            batch=batch,
            post_id=batch.post_id,
            user_id=user.id,
            position=position,
            text=target["text"],
            media_ids=[f.id for f in target["files"]],
            target={
                key: target[key]
                for key in ("title", "link", "board_id", "options", "first_comment")
                if target[key]
            },
            platform_state={},
            next_attempt_at=start,
            idempotency_key="",
            attempts=0,
        )
        if channel is None:
            delivery.platform = _describe(target["ref"])
            delivery.status = FAILED
            delivery.error = "No connected channel matches this target."
            delivery.idempotency_key = "-"
        else:
            platform = channels.platform_of(channel.platform)
            delivery.channel = channel
            delivery.platform = channel.platform
            delivery.handle = channel.handle
            delivery.status = waiting
            delivery.idempotency_key = platform.new_idempotency_key()
            if target["first_comment"] and not platform.first_comments:
                delivery.platform_state = {
                    "first_comment": {
                        "status": "skipped",
                        "error": f"{platform.name} doesn't take first comments.",
                    }
                }
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


def _spec_target(ref: Mapping, user: User) -> dict:
    return {
        "ref": ref, "channel": _channel_for(user, ref), "text": None, "files": [], "title": "",
        "link": "", "board_id": "", "options": {}, "first_comment": "",
    }


def plan_from_spec(post: Post, user: User, spec: list[dict]) -> CrosspostBatch:
    """The spec's `crosspost: [{"mastodon": "handle"}, …]` on publish. A target the user
    hasn't connected becomes a failed result; it never fails the publish; the same account
    named twice is sent once."""
    targets, seen = [], set()
    for item in spec:
        [(platform, handle)] = item.items()
        target = _spec_target({"platform": platform, "handle": handle}, user)
        channel = target["channel"]
        if channel is not None and channel.id in seen:
            continue
        if channel is not None:
            seen.add(channel.id)
        targets.append(target)
    return _plan(post, user, targets)


def _when(data: Mapping) -> Any:
    """`scheduled_at`, checked against seed 002's `publish_now`."""
    scheduled_at = payload.timestamp(data, "scheduled_at")
    if payload.flag(data, "publish_now") and scheduled_at is not None:
        raise ServiceError(
            400, "Give `publish_now` or `scheduled_at`, not both.", code="mode_conflict"
        )
    if scheduled_at is not None and scheduled_at <= utcnow():
        raise ServiceError(400, "Parameter `scheduled_at` must be in the future.")
    return scheduled_at


def _authenticated(user: User | None) -> User:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    return user


def request(post_id: str, data: Any, user: User | None) -> CrosspostBatch:
    user = _authenticated(user)
    post = posts.find(post_id)
    if not posts.is_owner(post, user):
        raise ServiceError(403, "You can only crosspost your own posts.")
    if post.unpublished:
        raise ServiceError(410, posts.UNPUBLISHED)
    closed = not_shareable(post)
    if closed:
        raise ServiceError(400, f"This post can't be crossposted: {closed}.")
    data = payload.require_mapping(data)
    scheduled_at = _when(data)
    targets = _parse_targets(user, data)
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


def request_standalone(data: Any, user: User | None) -> CrosspostBatch:
    """A social post of its own (seed 002's shape), with no blog post behind it: every
    target needs something to say, its own text or media or the request's defaults."""
    user = _authenticated(user)
    data = payload.require_mapping(data)
    scheduled_at = _when(data)
    targets = _parse_targets(user, data)
    for index, target in enumerate(targets):
        if not (target["text"] or "").strip() and not target["files"]:
            raise ServiceError(
                400,
                f"targets[{index}] has nothing to post: "
                "give it (or the request) `text` or `media`.",
            )
    batch = _plan(None, user, targets, scheduled_at)
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
    user = _authenticated(user)
    post = posts.find(post_id)
    if not posts.is_owner(post, user):
        raise ServiceError(404, "Post not found.")
    query = select(CrosspostBatch).where(CrosspostBatch.post_id == post.id)
    return list(db.session.scalars(query.order_by(CrosspostBatch.created.desc())))


def batch(batch_id: Any, user: User | None) -> CrosspostBatch:
    """A request by its id, or the request one of its deliveries belongs to."""
    user = _authenticated(user)
    found = db.session.get(CrosspostBatch, batch_id) if isinstance(batch_id, str) else None
    if found is None and isinstance(batch_id, str):
        delivery = db.session.get(Delivery, batch_id)
        found = delivery.batch if delivery is not None else None
    if found is None or found.user_id != user.id:
        raise ServiceError(404, "Crosspost not found.")
    return found


def of_user(user: User | None, args: Mapping) -> tuple[list[Delivery], str | None]:
    """The user's deliveries, newest first, a page at a time: with the cursor of the page's
    last row, the next page starts after it, however many rows arrived in between."""
    user = _authenticated(user)
    query = select(Delivery).where(Delivery.user_id == user.id)
    status, platform = args.get("status"), args.get("platform")
    if status:
        if status not in set(DeliveryStatus):
            allowed = ", ".join(sorted(DeliveryStatus))
            raise ServiceError(400, f"Parameter `status` must be one of: {allowed}.")
        query = query.where(Delivery.status == status)
    if platform:
        channels.platform_of(platform)
        query = query.where(Delivery.platform == platform)
    page = paging.Page.read(args, LIST_MAX, default=50)
    return page.run(query, Delivery.created, Delivery.id)


def cancel(delivery_or_batch_id: str, user: User | None) -> None:
    """Cancels a queued or scheduled delivery, or every such delivery of a batch; one
    already sending or finished can't be taken back (409)."""
    user = _authenticated(user)
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
    """Send a failed or unconfirmed delivery again (the dashboard's Retry, and
    `POST /api/crossposts/{id}/retry`): the user has checked the account, so what the
    last attempts left behind (a lookup still to make) no longer holds."""
    user = _authenticated(user)
    delivery = db.session.get(Delivery, delivery_id) if isinstance(delivery_id, str) else None
    if delivery is None or delivery.user_id != user.id:
        raise ServiceError(404, "Crosspost not found.")
    if delivery.status not in (FAILED, UNCONFIRMED) or delivery.channel_id is None:
        raise ServiceError(409, "Only a failed delivery to a connected channel can be retried.")
    delivery.status = QUEUED
    delivery.error = None
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0
    state = dict(delivery.platform_state or {})
    state.pop("look_first", None)
    delivery.platform_state = state
    db.session.commit()
    dispatch(delivery.batch)
    return delivery
