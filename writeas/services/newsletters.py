"""Email subscriptions to a blog (Write.as's newsletters).

A reader subscribes with an address and gets one confirmation message; only a confirmed
address (double opt-in) gets anything else, and subscribing again within the hour sends
no second message. Which posts go out is decided the way federation decides what to
tell the fediverse: in the transaction that changes a post, a post that has just become
live in a public or unlisted blog gets one `NewsletterIssue` row, due at its `created`
(a scheduled post waits for its time). When due, the worker fans the issue out into one
`outgoing_mail` row per confirmed subscriber, in one transaction, and the unique
(post, subscriber) pair means no crash or repeat can email a post twice to anyone. An
issue exists once per post, so edits and re-publishing send nothing more.

A post counts as new when its `created` is at most `NEW_FOR` before the moment it
becomes public: an import of old writing, which keeps its dates, doesn't email years of
posts to every subscriber.

Links in emails carry the subscriber's id signed with the site's secret key, so nothing
secret is stored, and a removed subscriber's links stop working (ids are never reused).
"""

import csv
import hashlib
import hmac
import io
from datetime import timedelta

from sqlalchemy import delete, event, func, inspect, select, update
from sqlalchemy.orm import Session

from writeas import settings
from writeas.core.clock import utcnow
from writeas.core.db import INSERTED_POSTS, db, forget_on_rollback
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, NewsletterIssue, Post, Subscriber
from writeas.services import mail, payload

NEW_FOR = timedelta(days=7)
ASK_AGAIN_AFTER = timedelta(hours=1)
OPEN_BLOGS = (Visibility.PUBLIC, Visibility.UNLISTED)
NOTED = "newsletter.posts"
DUE = "newsletter.due"
# What makes a post newly live: it appears, gets a body, moves into a blog, or its time
# changes (a scheduled post rescheduled).
_LIVE_FIELDS = ("body", "collection_id", "created")
CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
CHECK_INBOX = (
    "Almost done: check your inbox for a message to confirm the subscription. "
    "Nothing else is sent until you do."
)
BAD_LINK = "This link is not valid (the subscription may have been removed)."


def track() -> None:
    """Listen to every session. `before_commit` goes first (`insert=True`): it must read
    the posts written with a plain INSERT before federation's planner takes them."""
    listeners = (("before_flush", _noted, False), ("before_commit", _plan, True))
    for name, listener, first in listeners:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener, insert=first)
    forget_on_rollback(NOTED, DUE)


def _noted(session: Session, _context, _instances) -> None:
    posts = session.info.setdefault(NOTED, {})
    for obj in session.new:
        if isinstance(obj, Post):
            posts[obj.id] = obj
    for obj in session.dirty:
        if isinstance(obj, Post):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _LIVE_FIELDS):
                posts[obj.id] = obj


def _open(post: Post) -> bool:
    blog = post.collection
    return blog is not None and blog.visibility in OPEN_BLOGS and not post.unpublished


def _plan(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    posts = dict(session.info.pop(NOTED, None) or {})
    for post in session.info.get(INSERTED_POSTS, ()):
        posts[post.id] = post
    now = utcnow()
    fresh = {
        post_id: post for post_id, post in posts.items()
        if not inspect(post).deleted and _open(post) and post.created >= now - NEW_FOR
    }
    if not fresh:
        return
    known = set(session.scalars(
        select(NewsletterIssue.post_id).where(NewsletterIssue.post_id.in_(fresh))
    ))
    base = mail.base_url()
    for post_id, post in fresh.items():
        if post_id in known:
            continue
        due = max(post.created, now)
        session.add(NewsletterIssue(post_id=post_id, due_at=due, site_url=base))
        if due <= now:
            session.info.setdefault(DUE, []).append(post_id)
    session.flush()


def _signed(purpose: str, subscriber: Subscriber) -> str:
    key = settings.current().secret_key.encode()
    material = f"{purpose}:{subscriber.id}:{subscriber.email}".encode()
    return f"{subscriber.id}.{hmac.new(key, material, hashlib.sha256).hexdigest()[:32]}"


def _from_link(purpose: str, token: str) -> Subscriber:
    number = payload.whole_number(token.partition(".")[0])
    subscriber = db.session.get(Subscriber, number) if number is not None else None
    if subscriber is None or not hmac.compare_digest(_signed(purpose, subscriber), token):
        raise ServiceError(404, BAD_LINK)
    return subscriber


def _link(base: str, purpose: str, subscriber: Subscriber) -> str:
    return f"{base}/mail/{purpose}/{_signed(purpose, subscriber)}"


def open_blog(alias: str) -> Collection:
    blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
    if blog is None or blog.visibility not in OPEN_BLOGS or blog.owner_suspended:
        raise ServiceError(404, "Collection not found.")
    return blog


def subscribe(alias: str, data) -> None:
    """Queue a confirmation message, unless one went out within the hour or the address is
    already confirmed; the answer is the same either way. The caller commits."""
    blog = open_blog(alias)
    address = payload.required_text(payload.require_mapping(data), "email", max_length=1000)
    address = address.strip().lower()
    if len(address) > 254 or not mail.valid_address(address):
        raise ServiceError(400, "Parameter `email` is not a valid email address.")
    subscriber = db.session.scalar(
        select(Subscriber).where(Subscriber.collection_id == blog.id, Subscriber.email == address)
    )
    now = utcnow()
    if subscriber is None:
        subscriber = Subscriber(collection_id=blog.id, email=address, asked_at=now)
        db.session.add(subscriber)
        db.session.flush()
    elif subscriber.confirmed_at is not None or subscriber.asked_at > now - ASK_AGAIN_AFTER:
        return
    subscriber.asked_at = now
    name = blog.title or blog.alias
    mail.queue(
        "newsletter_confirm",
        address,
        f"Confirm your subscription to {name}",
        f"Someone (hopefully you) asked to get new posts of {name} by email.\n\n"
        f"Confirm here:\n\n{_link(mail.base_url(), CONFIRM, subscriber)}\n\n"
        "If you didn't ask, ignore this message: you won't hear from us again.\n",
    )


def pending_confirmation(token: str) -> Subscriber:
    return _from_link(CONFIRM, token)


def confirm(token: str) -> Subscriber:
    subscriber = _from_link(CONFIRM, token)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = utcnow()
    return subscriber


def subscription(token: str) -> Subscriber:
    return _from_link(UNSUBSCRIBE, token)


def unsubscribe(token: str) -> Collection:
    """One click, no sign-in (RFC 8058); the caller commits."""
    subscriber = _from_link(UNSUBSCRIBE, token)
    blog = subscriber.collection
    db.session.delete(subscriber)
    return blog


# The author's side.


def counts(collection_id: int) -> tuple[int, int]:
    """(confirmed, awaiting confirmation)."""
    rows = db.session.execute(
        select(Subscriber.confirmed_at.is_not(None), func.count())
        .where(Subscriber.collection_id == collection_id)
        .group_by(Subscriber.confirmed_at.is_not(None))
    ).all()
    found = {bool(confirmed): number for confirmed, number in rows}
    return found.get(True, 0), found.get(False, 0)


def of_blog(collection: Collection) -> list[Subscriber]:
    return db.session.scalars(
        select(Subscriber).where(Subscriber.collection_id == collection.id)
        .order_by(Subscriber.created, Subscriber.id)
    ).all()


def as_csv(collection: Collection) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "confirmed", "subscribed"])
    for subscriber in of_blog(collection):
        confirmed = subscriber.confirmed_at.isoformat() + "Z" if subscriber.confirmed_at else ""
        # A leading = + - @ would be a formula to a spreadsheet.
        address = f"'{subscriber.email}" if subscriber.email[:1] in "=+-@" else subscriber.email
        writer.writerow([address, confirmed, subscriber.created.isoformat() + "Z"])
    return out.getvalue()


def remove(collection: Collection, subscriber_id) -> None:
    """The caller commits."""
    number = payload.whole_number(subscriber_id)
    removed = db.session.execute(
        delete(Subscriber).where(
            Subscriber.id == (number if number is not None else -1),
            Subscriber.collection_id == collection.id,
        )
    ).rowcount
    if not removed:
        raise ServiceError(404, "No such subscriber.")


# The worker's side.


def withdrawn(post_id: str) -> str | None:
    """Why a queued newsletter email must no longer go, if it mustn't."""
    post = db.session.get(Post, post_id)
    if post is None or not _open(post):
        return "Not sent: the post is no longer public."
    if post.owner_suspended:
        return "Not sent: the author is suspended."
    return None


def fan_out(post_id: str) -> None:
    """One email per confirmed subscriber, once: the conditional UPDATE lets one worker
    through, and its rows commit with the mark. The queue sends them after the commit."""
    now = utcnow()
    claimed = db.session.execute(
        update(NewsletterIssue)
        .where(
            NewsletterIssue.post_id == post_id,
            NewsletterIssue.fanned_out_at.is_(None),
            NewsletterIssue.due_at <= now,
        )
        .values(fanned_out_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    issue = db.session.get(NewsletterIssue, post_id) if claimed else None
    if issue is None or withdrawn(post_id):
        db.session.commit()
        return
    post, blog = issue.post, issue.post.collection
    readers = db.session.scalars(
        select(Subscriber).where(
            Subscriber.collection_id == blog.id, Subscriber.confirmed_at.is_not(None)
        )
    ).all()
    for subscriber in readers:
        _queue_issue(issue, post, blog, subscriber)
    db.session.commit()


def _queue_issue(issue: NewsletterIssue, post: Post, blog: Collection, subscriber: Subscriber):
    base = settings.current().site_url or issue.site_url
    url = f"{base}/{blog.alias}/{post.slug}" if post.slug else f"{base}/{post.id}"
    leave = _link(base, UNSUBSCRIBE, subscriber)
    name = blog.title or blog.alias
    footer = f"You get this because you subscribed to {name} by email."
    mail.queue(
        "newsletter_post",
        subscriber.email,
        post.display_title or f"New on {name}",
        f"{post.body}\n\n---\nRead it on the web: {url}\n{footer}\nUnsubscribe: {leave}\n",
        html=(
            f"{post.body_html}<hr><p><a href=\"{url}\">Read it on the web</a>.</p>"
            f"<p>{footer} <a href=\"{leave}\">Unsubscribe</a>.</p>"
        ),
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        post_id=post.id,
        subscriber_id=subscriber.id,
    )


def due() -> list[str]:
    """Issues whose time came and that nobody fanned out (scheduled posts, lost messages)."""
    return db.session.scalars(
        select(NewsletterIssue.post_id).where(
            NewsletterIssue.fanned_out_at.is_(None), NewsletterIssue.due_at <= utcnow()
        )
    ).all()

