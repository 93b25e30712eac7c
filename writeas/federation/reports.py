"""What the fediverse made of a blog, for its author: who follows it, how our deliveries
fare, and the replies and reactions it sent back — and the author's say over the replies.

Replies are held until the author approves them: a stranger's words appear under a post
only by the author's choice. Approving or deleting one changes what the post's page shows,
and that page is cached under the post's content version (`web.pagecache`), so the write
bumps the version in its own transaction: every process renders the page afresh, and a
write that rolls back bumps nothing.
"""

from sqlalchemy import func, select, update

from writeas import settings
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import (
    Collection,
    Comment,
    FederationDelivery,
    Follower,
    Post,
    Reaction,
    User,
)
from writeas.federation.outbox import FEDERATED_BLOGS
from writeas.federation.serving import host
from writeas.services import instance

PENDING = "pending"
APPROVED = "approved"
COMMENT_NOT_FOUND = "Comment not found."
REACTION_KINDS = ("like", "announce")


def federates(blog: Collection) -> bool:
    """Whether the fediverse can see the blog at all: a private or protected blog is no
    actor, and the operator may turn federation off for the whole site."""
    return blog.visibility in FEDERATED_BLOGS and instance.current().federation


def handle(blog: Collection) -> str | None:
    """What people type into their server's search to find the blog. Only with SITE_URL
    set: the blog page is cached for every visitor, so a host read from one request's
    `Host` header (which anyone can forge) must never end up in it."""
    if not settings.current().site_url:
        return None
    return f"@{blog.alias}@{host()}"


def follower_count(blog: Collection) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Follower).where(Follower.collection_id == blog.id)
    )


def delivery_summary(blog: Collection) -> dict[str, int]:
    """Counts by status, so a host that refuses everything shows up as a pile of
    failures rather than as silence."""
    rows = db.session.execute(
        select(FederationDelivery.status, func.count())
        .where(FederationDelivery.collection_id == blog.id)
        .group_by(FederationDelivery.status)
        .order_by(FederationDelivery.status)
    )
    return {status: count for status, count in rows}


def recent_deliveries(blog: Collection, limit: int = 20) -> list:
    """The latest deliveries with the remote server's last answer: what the author needs
    to tell a passing hiccup from a server that has stopped listening."""
    return list(
        db.session.execute(
            select(
                FederationDelivery.kind,
                FederationDelivery.host,
                FederationDelivery.status,
                FederationDelivery.attempts,
                FederationDelivery.error,
                FederationDelivery.updated,
            )
            .where(FederationDelivery.collection_id == blog.id)
            .order_by(FederationDelivery.updated.desc(), FederationDelivery.id)
            .limit(limit)
        )
    )


def comments(blog: Collection, status: str | None = None) -> list[Comment]:
    """Replies to the blog's posts as they stand now: a post moved to another blog takes
    its replies with it."""
    query = (
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Post.collection_id == blog.id)
        .order_by(Comment.published.desc(), Comment.id.desc())
    )
    if status is not None:
        query = query.where(Comment.status == status)
    return list(db.session.scalars(query))


def posts_of(blog: Collection) -> dict[str, Post]:
    """The blog's posts by id, to name the post each reply or reaction is about."""
    return {
        post.id: post
        for post in db.session.scalars(select(Post).where(Post.collection_id == blog.id))
    }


def _moderated(comment_id: int, user: User | None) -> Comment:
    """Someone else's reply is "not found", not "forbidden": whether a blog has a reply
    waiting is its author's business alone."""
    comment = db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None
    post = db.session.get(Post, comment.post_id) if comment is not None else None
    blog = db.session.get(Collection, post.collection_id) if post and post.collection_id else None
    if user is None or blog is None or blog.owner_id != user.id:
        raise ServiceError(404, COMMENT_NOT_FOUND)
    return comment


def _shown_differently(post_id: str) -> None:
    """The post's page now shows other replies: a new content version, so no process
    serves the page it cached before. Only the post's: the blog's other pages don't show
    replies, and keep their cached renders."""
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(content_version=Post.content_version + 1)
        .execution_options(synchronize_session=False)
    )


def approve_comment(comment_id: int, user: User | None) -> Comment:
    comment = _moderated(comment_id, user)
    if comment.status != APPROVED:
        comment.status = APPROVED
        _shown_differently(comment.post_id)
    db.session.commit()
    return comment


def delete_comment(comment_id: int, user: User | None) -> None:
    """Gone for good, not hidden: a reply the author refused is not kept on their behalf.
    (The remote copy is the remote server's; a later Update of it finds nothing here.)"""
    comment = _moderated(comment_id, user)
    if comment.status == APPROVED:
        _shown_differently(comment.post_id)
    db.session.delete(comment)
    db.session.commit()


def reactions(blog: Collection) -> dict[str, dict[str, int]]:
    """Likes and boosts per post, for only the posts that have any."""
    rows = db.session.execute(
        select(Reaction.post_id, Reaction.kind, func.count())
        .join(Post, Post.id == Reaction.post_id)
        .where(Post.collection_id == blog.id)
        .group_by(Reaction.post_id, Reaction.kind)
    )
    counted: dict[str, dict[str, int]] = {}
    for post_id, kind, count in rows:
        if kind in REACTION_KINDS:
            counted.setdefault(post_id, dict.fromkeys(REACTION_KINDS, 0))[kind] = count
    return counted


def approved_comments(post_id: str) -> list[Comment]:
    """Oldest first, as a conversation reads."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.post_id == post_id, Comment.status == APPROVED)
            .order_by(Comment.published, Comment.id)
        )
    )
