"""A long paste's colours, added by the worker rather than by the request that made it.

Lexing costs Pygments about a microsecond a character, which for a 200-line paste is most
of what its create costs. So a code post longer than `rendering.HIGHLIGHT_INLINE_MAX` is
written with its numbered lines uncoloured and `highlight_due` set, and the queue's
`highlight` task renders it in the worker. The task writes its result only if the post
still has the body it rendered and is still due (one UPDATE, so an edit that lands while
it renders wins), and moves the post's and its blog's content versions, so every cached
page and ETag of the plain view goes stale at once. Losing the task loses nothing: the
sweep finds every post still due.
"""

from sqlalchemy import select, update

from writeas.core.db import db, forget_on_rollback
from writeas.core.models import Post
from writeas.reads import content_versions
from writeas.text.rendering import render_code

DUE = "highlight.due"


def track() -> None:
    """Forget the posts of a transaction that rolled back: they were never written."""
    forget_on_rollback(DUE)


def note(post: Post) -> None:
    """Queue the post's highlighting once this transaction commits."""
    db.session.info.setdefault(DUE, []).append(post.id)


def run(post_id: str) -> bool:
    """Highlight the post if it is still due; whether this run wrote it."""
    post = db.session.execute(
        select(Post.body, Post.collection_id).where(Post.id == post_id, Post.highlight_due)
    ).first()
    db.session.rollback()  # no transaction stays open while Pygments works
    if post is None:
        return False
    written = db.session.execute(
        update(Post)
        .where(Post.id == post_id, Post.highlight_due, Post.body == post.body)
        .values(
            body_html=render_code(post.body),
            highlight_due=False,
            content_version=Post.content_version + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if written and post.collection_id is not None:
        content_versions.bump_blogs(db.session, {post.collection_id})
    db.session.commit()
    return bool(written)


def due() -> list[str]:
    """Every post whose colours are still to come (the sweep queues them again)."""
    return list(db.session.scalars(select(Post.id).where(Post.highlight_due)))
