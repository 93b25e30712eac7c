"""Fanning an activity out to its inboxes, and delivering it to each, durably.

The fan-out runs in the worker: one delivery row per inbox (a shared inbox stands for all
its followers on that server), inserted in one transaction with the activity marked done,
so a crash repeats the whole fan-out or none of it. A newer Update or a Delete makes the
queued Updates of the same object to the same inbox moot, and a Delete cancels a Create
that never left (nothing to take back).

Each delivery is claimed with a conditional UPDATE and a lease, signed when sent (so a
retry is signed afresh), and its outcome written back. Receivers dedupe on the activity's
id, so resending after a timeout or a dead worker can't post twice: retries run from
minutes to days, honour `Retry-After`, and stop for good on a 410 or any other refusal.
A host that has failed everything for days is marked unavailable; it is skipped until it
is heard from again (any signed request from it).
"""

from __future__ import annotations

import json
import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update

from writeas import settings
from writeas.core import leases
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import FederationStatus as Status
from writeas.core.lazy_imports import lazy
from writeas.core.models import (
    Activity,
    Block,
    Collection,
    FederatedObject,
    FederationDelivery,
    Follower,
    Post,
    RemoteHost,
)
from writeas.core.tokens import new_uid
from writeas.federation import documents, ids, keys, signatures
from writeas.federation.outbox import shareable
from writeas.services.visibility import is_scheduled

# The HTTP client loads with the first request this process sends out.
httpx = lazy("httpx")
outbound = lazy("writeas.core.outbound")

log = logging.getLogger(__name__)

# Multiples of FEDERATION_RETRY_SECONDS (a minute by default): a minute, five, half an
# hour, two hours, six, twelve, then a day, two and three.
RETRY_STEPS = (1, 5, 30, 120, 360, 720, 1440, 2880, 4320)
UNAVAILABLE_AFTER = timedelta(days=3)
RETRY_AFTER_CAP = 86400.0
PENDING = (Status.QUEUED, Status.SCHEDULED)


def host_of(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def block_names(actor_or_host: str) -> set[str]:
    """Every block that would cover this actor id (or host): blocks name an actor id or a
    whole domain, its subdomains included."""
    host = host_of(actor_or_host) if "://" in actor_or_host else actor_or_host.lower()
    hostname = host.split(":", 1)[0]
    names = {actor_or_host, host, hostname}
    parts = hostname.split(".")
    names.update(".".join(parts[i:]) for i in range(1, len(parts) - 1))
    return names


def blocked(actor_or_host: str) -> bool:
    found = select(Block.id).where(Block.target.in_(block_names(actor_or_host)))
    return db.session.scalar(found) is not None


# --- fan-out ---------------------------------------------------------------------------


def fan_out(activity_id: str) -> list[str]:
    """One delivery per inbox for a due activity; answers the ids to run now."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.fanned_out:
        return []
    now = utcnow()
    if activity.due_at > now:
        return []
    if activity.kind == "Create" and activity.post_id:
        post = db.session.get(Post, activity.post_id)
        if post is not None and is_scheduled(post, now):
            activity.due_at = post.created  # its author moved it later
            db.session.commit()
            return []
    inboxes = _inboxes(activity)
    unavailable = set(
        db.session.scalars(select(RemoteHost.host).where(RemoteHost.unavailable_since.is_not(None)))
    )
    rows, ready = [], []
    for inbox in inboxes:
        status = _supersede(activity, inbox)
        host = host_of(inbox)
        if status is None and host in unavailable:
            status = Status.SKIPPED
        delivery_id = new_uid()
        rows.append(
            {
                "id": delivery_id, "activity_id": activity.id,
                "collection_id": activity.collection_id, "kind": activity.kind,
                "object_id": activity.object_id, "inbox": inbox, "host": host,
                "status": status or Status.QUEUED, "attempts": 0, "next_attempt_at": now,
                "error": "The host is unavailable." if status == Status.SKIPPED else None,
                "created": now, "updated": now,
            }
        )
        if status is None:
            ready.append(delivery_id)
    if rows:
        db.session.execute(insert(FederationDelivery), rows)
    activity.fanned_out = True
    db.session.commit()
    return ready


def _inboxes(activity: Activity) -> list[str]:
    if activity.target_inbox:
        return [] if blocked(activity.target_inbox) else [activity.target_inbox]
    if activity.inboxes is not None:  # its blog is gone, and the followers with it
        return [inbox for inbox in activity.inboxes if not blocked(inbox)]
    if activity.collection_id is None:
        return []
    found = db.session.execute(
        select(Follower.actor_id, Follower.inbox, Follower.shared_inbox).where(
            Follower.collection_id == activity.collection_id
        )
    ).all()
    blocks = set(db.session.scalars(select(Block.target)))
    inboxes: dict[str, None] = {}
    for actor_id, inbox, shared in found:
        if not (blocks and block_names(actor_id) & blocks):
            inboxes[shared or inbox] = None
    return list(inboxes)


def _supersede(activity: Activity, inbox: str) -> str | None:
    """What this activity's delivery to `inbox` is, given older ones still queued for the
    same object: None (send it), or superseded."""
    if activity.kind not in ("Update", "Delete"):
        return None
    older = db.session.execute(
        select(FederationDelivery.id, FederationDelivery.kind).where(
            FederationDelivery.object_id == activity.object_id,
            FederationDelivery.inbox == inbox,
            FederationDelivery.status.in_(PENDING),
        )
    ).all()
    moot = [row.id for row in older if row.kind == "Update" or activity.kind == "Delete"]
    if moot:
        db.session.execute(
            update(FederationDelivery)
            .where(FederationDelivery.id.in_(moot))
            .values(status=Status.SUPERSEDED, updated=utcnow())
        )
    unsent_create = any(row.kind == "Create" for row in older)
    return Status.SUPERSEDED if unsent_create else None


def heard_from(host: str) -> None:
    """A signed request from a host proves it is back."""
    db.session.execute(
        update(RemoteHost)
        .where(RemoteHost.host == host, RemoteHost.unavailable_since.is_not(None))
        .values(unavailable_since=None, failing_since=None)
    )


# --- one delivery ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What one attempt came to: `again_in` seconds until a retry, else None."""

    again_in: float | None = None


def _lease() -> timedelta:
    return timedelta(seconds=settings.current().delivery_lease_seconds)


def _claim(delivery_id: str) -> bool:
    return leases.claim(FederationDelivery, delivery_id, _lease())


_local = threading.local()


def _client() -> httpx.Client:
    """One client per worker thread, so connections to a busy shared inbox are reused."""
    current = settings.current()
    wanted = (current.allow_private_network_targets, current.outbound_timeout_seconds)
    if getattr(_local, "key", None) != wanted:
        seconds = current.outbound_timeout_seconds
        _local.client = outbound.client(
            wanted[0], httpx.Timeout(seconds, connect=min(5.0, seconds))
        )
        _local.key = wanted
    return _local.client


def run(delivery_id: str) -> Sent:
    if not _claim(delivery_id):
        return Sent()
    delivery = db.session.get(FederationDelivery, delivery_id)
    activity = delivery.activity
    try:
        document, signer = _document(activity)
    except _Moot as moot:
        _finish(delivery, Status.SUPERSEDED, str(moot))
        return Sent()
    if blocked(delivery.inbox):
        _finish(delivery, Status.SKIPPED, "The host is blocked.")
        return Sent()
    body = json.dumps(document, separators=(",", ":")).encode()
    key_id, private_key = signer
    headers = signatures.sign("POST", delivery.inbox, key_id=key_id, private_key=private_key,
                              body=body)
    headers["User-Agent"] = "writeas-py (ActivityPub)"
    try:
        response = _client().post(delivery.inbox, content=body, headers=headers)
    except outbound.RefusedTarget as error:
        _finish(delivery, Status.FAILED, str(error))
        return Sent()
    except httpx.HTTPError as error:
        return _failed_in_transit(delivery, f"{type(error).__name__}: {error}")
    return _answered(delivery, response)


class _Moot(Exception):
    """The activity no longer says what is true (the post changed, went or was closed)."""


def _document(activity: Activity) -> tuple[dict, tuple[str, object]]:
    base = settings.current().site_url or activity.site_url
    blog = db.session.get(Collection, activity.collection_id) if activity.collection_id else None
    if activity.signer is not None:  # signed by a blog that no longer exists
        signer = (activity.signer["key_id"],
                  keys.opened(activity.signer["sealed"], activity.signer["context"]))
    elif blog is None:
        signer = (ids.site_key(base), keys.site_key())
    else:
        signer = (ids.key(blog.alias, base), keys.blog_key(blog))
    if activity.document is not None:
        return activity.document, signer
    actor = ids.actor(blog.alias, base)
    activity_id = ids.activity(activity.id, base)
    followers = ids.blog_endpoint(blog.alias, "followers", base)
    if activity.kind == "Delete":
        obj = documents.tombstone(activity.object_id, deleted=activity.created)
        obj.pop("@context")
        return documents.activity("Delete", activity_id, actor, obj, to=[ids.PUBLIC],
                                  cc=[followers]), signer
    if activity.post_id is None:  # the actor itself changed
        if blog.visibility not in ("public", "unlisted"):
            raise _Moot("The blog is no longer public.")
        obj = documents.blog_actor(blog, base)
        obj.pop("@context")
        return documents.activity("Update", activity_id, actor, obj, to=[ids.PUBLIC],
                                  cc=[followers]), signer
    post = db.session.get(Post, activity.post_id)
    told = db.session.get(FederatedObject, activity.post_id)
    if (
        shareable(post) is None
        or told is None
        or told.state != "created"
        or told.epoch != activity.epoch
        or post.collection_id != blog.id
    ):
        raise _Moot("The post changed since: a later activity says so.")
    edited = activity.created if activity.kind == "Update" else None
    obj = documents.post_object(post, blog, activity.epoch, base, edited)
    obj.pop("@context")
    return documents.activity(activity.kind, activity_id, actor, obj, to=[ids.PUBLIC],
                              cc=[followers]), signer


def _finish(delivery: FederationDelivery, status: str, error: str | None = None) -> None:
    delivery.status = status
    delivery.error = error
    delivery.locked_until = None
    delivery.updated = utcnow()
    if status == Status.DELIVERED:
        delivery.delivered_at = utcnow()
    db.session.commit()


def _answered(delivery: FederationDelivery, response: httpx.Response) -> Sent:
    status = response.status_code
    if 200 <= status < 300:
        _host_ok(delivery.host)
        _finish(delivery, Status.DELIVERED)
        return Sent()
    excerpt = response.text[:300].strip() if response.content else ""
    error = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
    if status == 410:
        # The inbox is gone: so are the followers behind it.
        db.session.execute(delete(Follower).where(Follower.inbox == delivery.inbox))
        _finish(delivery, Status.FAILED, error)
        return Sent()
    if status in (408, 425, 429) or status >= 500:
        return _retry(delivery, error, _retry_after(response))
    _host_ok(delivery.host)  # it answered: a refusal is not an outage
    _finish(delivery, Status.FAILED, error)
    return Sent()


def _failed_in_transit(delivery: FederationDelivery, error: str) -> Sent:
    """Whether the request reached the inbox is unknown; the activity's id makes a resend
    safe (receivers ignore an id they have), so it is retried."""
    return _retry(delivery, error, None)


def _retry(delivery: FederationDelivery, error: str, retry_after: float | None) -> Sent:
    host = _host_failing(delivery.host)
    if host.unavailable_since is not None:
        _finish(delivery, Status.FAILED, f"The host has failed for days; gave up: {error}")
        return Sent()
    if delivery.attempts > len(RETRY_STEPS):
        _finish(delivery, Status.FAILED, f"Gave up after {delivery.attempts} attempts: {error}")
        return Sent()
    step = RETRY_STEPS[delivery.attempts - 1] * settings.current().federation_retry_seconds
    delay = random.uniform(step * 0.8, step * 1.2)  # noqa: S311 (spread, not secrecy)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    delivery.status = Status.QUEUED
    delivery.error = error
    delivery.locked_until = None
    delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    delivery.updated = utcnow()
    db.session.commit()
    return Sent(delay)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment.replace(tzinfo=None) - utcnow()).total_seconds())


def _host(host: str) -> RemoteHost:
    known = db.session.get(RemoteHost, host)
    if known is None:
        known = RemoteHost(host=host)
        db.session.add(known)
    return known


def _host_ok(host: str) -> None:
    known = _host(host)
    known.last_success = utcnow()
    known.failing_since = known.unavailable_since = None


def _host_failing(host: str) -> RemoteHost:
    known = _host(host)
    now = utcnow()
    known.failing_since = known.failing_since or now  # a success clears it
    if known.unavailable_since is None and now - known.failing_since >= UNAVAILABLE_AFTER:
        known.unavailable_since = now
    return known


# --- the sweep -------------------------------------------------------------------------


def sweep(fan, deliver) -> int:
    """Fan out due activities, take back deliveries whose worker died (a resend is safe),
    and run queued ones nobody enqueued. Answers how many were enqueued."""
    now = utcnow()
    db.session.execute(
        update(FederationDelivery)
        .where(FederationDelivery.status == Status.SENDING, FederationDelivery.locked_until < now)
        .values(status=Status.QUEUED, locked_until=None, next_attempt_at=now, updated=now)
    )
    db.session.commit()
    due_activities = db.session.scalars(
        select(Activity.id).where(Activity.fanned_out.is_(False), Activity.due_at <= now)
    ).all()
    for activity_id in due_activities:
        fan(activity_id)
    due = db.session.scalars(
        select(FederationDelivery.id).where(
            FederationDelivery.status == Status.QUEUED, FederationDelivery.next_attempt_at <= now
        )
    ).all()
    for delivery_id in due:
        deliver(delivery_id)
    return len(due_activities) + len(due)
