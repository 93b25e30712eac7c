"""Content versions of posts and blogs, bumped by the write itself.

Every flush that adds, changes, moves or deletes a post, or changes a blog's settings,
and the plain INSERT that publishes a post (through `bump_blogs`), adds one to
`content_version` of each post it changes and of each blog it touches — in the same
transaction, as `SET content_version = content_version + 1` (and a blog's `updated` to
now, its `Last-Modified`), so concurrent writers
on different nodes can't both land on one number. Rendered pages are cached per process
under these versions, so whichever process on whichever node reads after the commit sees
the new number and renders afresh: there is no invalidation message to lose, and a write
that rolls back bumps nothing. (View counts are folded in with a Core UPDATE that never
passes through here; no page shows them.)
"""

from itertools import chain

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from writeas.core.clock import utcnow
from writeas.core.models import Collection, Post


def track() -> None:
    """Listen on every session (once, however many apps a process makes)."""
    if not event.contains(Session, "before_flush", _bump):
        event.listen(Session, "before_flush", _bump)


def _blogs_of(post: Post) -> set[int]:
    """The blog the post is in and any it is leaving, read from the attribute history
    without loading anything (a flush must not trigger lazy loads)."""
    state = inspect(post)
    ids = {value for value in chain(*state.attrs.collection_id.history) if value is not None}
    for blog in chain(*state.attrs.collection.history):
        if blog is not None and blog.id is not None:
            ids.add(blog.id)
    return ids


def _bump(session: Session, _context, _instances) -> None:
    # `session.dirty` is worked out afresh on every access: read it once per flush.
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    touched: set[int] = set()
    for obj in chain(session.new, dirty, session.deleted):
        if isinstance(obj, Post):
            touched |= _blogs_of(obj)
        elif isinstance(obj, Collection) and obj.id is not None:
            touched.add(obj.id)
    for obj in dirty:
        if isinstance(obj, Post):
            obj.content_version = Post.content_version + 1
    bump_blogs(session, touched)


def bump_blogs(session: Session, ids: set[int]) -> None:
    """For writes that don't go through a flush (a new post's Core INSERT), and the flush."""
    if ids:
        session.execute(
            update(Collection)
            .where(Collection.id.in_(sorted(ids)))
            .values(content_version=Collection.content_version + 1, updated=utcnow())
            .execution_options(synchronize_session=False)
        )
