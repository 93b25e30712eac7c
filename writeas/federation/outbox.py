"""The activities a change causes, written in the transaction that makes the change.

Rather than each write path remembering to federate, the session reports which posts and
blogs a transaction touched, and just before it commits, each touched post's state here
(public and live, or not) is compared with what the fediverse was last told
(`FederatedObject`): the difference is a Create, an Update or a Delete. So the API, the
editor, the CLI, moving a post between blogs and deleting a blog all federate the same
way, and a transaction that rolls back federates nothing. Only the activity row is written
here — one row, however many followers — and the worker fans it out into one delivery
per inbox, so a publish costs the same with 10,000 followers as with none.
"""

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from writeas.core.clock import utcnow
from writeas.core.db import INSERTED_POSTS, forget_on_rollback
from writeas.core.enums import Visibility
from writeas.core.models import Activity, Collection, FederatedObject, Follower, Post
from writeas.core.tokens import new_uid
from writeas.federation import documents, ids, keys
from writeas.http.urls import site_url
from writeas.services import instance

POSTS = "federation.posts"
BLOGS = "federation.blogs"
GONE = "federation.gone_blogs"
MADE = "federation.activities"
# What a remote copy of a post shows; changing anything else (a view count, a pin) is
# not news to the fediverse.
_FEDERATED = (
    "body", "title", "language", "rtl", "appearance", "slug", "collection_id", "collection",
    "created",
)
_ACTOR = ("title", "description", "visibility", "federate_as")
FEDERATED_BLOGS = (Visibility.PUBLIC, Visibility.UNLISTED)


def track() -> None:
    for name, listener in (("before_flush", _noted), ("before_commit", _plan)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    forget_on_rollback(POSTS, BLOGS, GONE, MADE, INSERTED_POSTS)


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _noted(session: Session, _context, _instances) -> None:
    posts = session.info.setdefault(POSTS, {})
    blogs = session.info.setdefault(BLOGS, set())
    for obj in session.new:
        if isinstance(obj, Post):
            posts[obj.id] = obj
    for obj in session.dirty:
        if isinstance(obj, Post) and _changed(obj, _FEDERATED):
            posts[obj.id] = obj
        elif isinstance(obj, Collection) and _changed(obj, _ACTOR):
            blogs.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Post):
            posts[obj.id] = None
        elif isinstance(obj, Collection):
            blogs.discard(obj.id)
            _note_gone(session, obj)


def _plan(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: the changes must be seen first
    posts = session.info.pop(POSTS, None) or {}
    for post in session.info.pop(INSERTED_POSTS, ()):
        posts[post.id] = post
    blogs = session.info.pop(BLOGS, None)
    gone = session.info.pop(GONE, None)
    if not posts and not blogs and not gone:
        return
    if not instance.current().federation:
        return
    base = site_url()
    made = session.info.setdefault(MADE, [])
    for blog in gone or ():
        made.append(_actor_delete(session, blog, base))
    for blog_id in blogs or ():
        blog = session.get(Collection, blog_id)
        if blog is None:
            continue
        for post in session.scalars(select(Post).where(Post.collection_id == blog.id)):
            if post.id not in posts:  # a blog opened or closed: each post follows
                made.extend(_reconcile(session, post.id, post, base, edited=False))
        if blog.visibility in FEDERATED_BLOGS:
            made.append(_add(session, blog.id, "Update", ids.actor(blog.alias, base), base))
    for post_id, post in posts.items():
        made.extend(_reconcile(session, post_id, post, base))
    made[:] = [activity_id for activity_id in made if activity_id]  # None: nobody to tell
    if session.new or session.dirty:
        session.flush()


# --- a blog that goes: its actor's Delete --------------------------------------------


def _note_gone(session: Session, blog: Collection) -> None:
    """Read before the flush deletes them: the followers and the key of a federating blog
    that is being deleted, for the actor Delete that must outlive both."""
    if blog.id is None or blog.visibility not in FEDERATED_BLOGS or not blog.private_key_sealed:
        return
    with session.no_autoflush:
        found = session.execute(
            select(Follower.inbox, Follower.shared_inbox).where(Follower.collection_id == blog.id)
        ).all()
    inboxes = list(dict.fromkeys(shared or inbox for inbox, shared in found))
    if inboxes:
        session.info.setdefault(GONE, []).append(
            {"alias": blog.alias, "uid": blog.uid, "sealed": blog.private_key_sealed,
             "inboxes": inboxes}
        )


def _actor_delete(session: Session, blog: dict, base: str) -> str | None:
    actor = ids.actor(blog["alias"], base)
    activity_id = new_uid()
    document = documents.activity("Delete", ids.activity(activity_id, base), actor, actor,
                                  to=[ids.PUBLIC])
    signer = {"key_id": ids.key(blog["alias"], base), "sealed": blog["sealed"],
              "context": keys.blog_context(blog["uid"])}
    return _add(session, None, "Delete", actor, base, document=document,
                inboxes=blog["inboxes"], signer=signer, activity_id=activity_id)


def shareable(post: Post | None) -> Collection | None:
    """The blog a post federates from, when it federates at all."""
    if post is None or post.unpublished or post.collection is None or post.owner_suspended:
        return None
    blog = post.collection
    return blog if blog.visibility in FEDERATED_BLOGS else None


def _reconcile(
    session: Session, post_id: str, post: Post | None, base: str, edited: bool = True
) -> list[str | None]:
    """`edited`: the post itself changed (not only its blog), so standing copies need an
    Update."""
    if post is not None and inspect(post).detached:
        post = session.get(Post, post_id)
    if post is not None and inspect(post).deleted:
        post = None
    blog = shareable(post)
    told = session.get(FederatedObject, post_id)
    made = []
    if told is not None and session.get(Collection, told.collection_id) in session.deleted:
        return made  # the blog goes, and its followers with it
    standing = told is not None and told.state == "created"
    if standing and (blog is None or told.collection_id != blog.id):
        made.append(_delete(session, told, base))
    if blog is None:
        return made
    if told is None:  # the common case, a new post: plain INSERTs, as the post's own
        session.execute(
            insert(FederatedObject).values(
                post_id=post_id, collection_id=blog.id, epoch=0, state="created",
                content_version=0, updated=utcnow(),
            )
        )
        obj = ids.post_object(post_id, 0, base)
        made.append(_add(session, blog.id, "Create", obj, base, post_id, 0,
                         due=max(post.created, utcnow())))
        return made
    if told.state == "deleted":
        told.epoch += 1
        told.state, told.collection_id = "created", blog.id
        made.append(_create(session, told, post, base))
    else:
        pending = session.scalar(
            select(Activity).where(
                Activity.post_id == post_id,
                Activity.epoch == told.epoch,
                Activity.kind == "Create",
                Activity.fanned_out.is_(False),
            )
        )
        if pending is not None:
            pending.due_at = max(post.created, utcnow())  # built when sent: it carries this
        elif edited:
            obj = ids.post_object(post_id, told.epoch, base)
            made.append(_add(session, blog.id, "Update", obj, base, post_id, told.epoch))
    told.updated = utcnow()
    return made


def _create(session: Session, told: FederatedObject, post: Post, base: str) -> str | None:
    obj = ids.post_object(told.post_id, told.epoch, base)
    return _add(session, told.collection_id, "Create", obj, base, told.post_id, told.epoch,
                due=max(post.created, utcnow()))


def _delete(session: Session, told: FederatedObject, base: str) -> str | None:
    obj = ids.post_object(told.post_id, told.epoch, base)
    told.state = "deleted"
    told.updated = utcnow()
    return _add(session, told.collection_id, "Delete", obj, base, told.post_id, told.epoch)


def _add(session: Session, blog_id: int | None, kind: str, object_id: str, base: str,
         post_id: str | None = None, epoch: int = 0, *, due=None, document: dict | None = None,
         target_inbox: str | None = None, inboxes: list[str] | None = None,
         signer: dict | None = None, activity_id: str | None = None) -> str | None:
    """Write the activity; answers its id when there is anyone to send it to. A blog with
    no followers gets the row (the record, and the outbox's id) already fanned out to
    nobody, so the queue never hears of it; a scheduled one waits, as followers may come."""
    now = utcnow()
    due = due or now
    nobody = (target_inbox is None and not inboxes and due <= now
              and not _followed(session, blog_id))
    activity_id = activity_id or new_uid()
    session.execute(
        insert(Activity).values(
            id=activity_id, collection_id=blog_id, kind=kind, object_id=object_id,
            post_id=post_id, epoch=epoch, document=document, target_inbox=target_inbox,
            site_url=base, due_at=due, fanned_out=nobody, created=now, inboxes=inboxes,
            signer=signer,
        )
    )
    return None if nobody else activity_id


def _followed(session: Session, blog_id: int | None) -> bool:
    if blog_id is None:
        return False
    found = select(Follower.id).where(Follower.collection_id == blog_id).limit(1)
    return session.scalar(found) is not None


def reply(session: Session, blog_id: int, kind: str, object_id: str, document: dict,
          inbox: str, base: str) -> None:
    """An activity to one inbox (Accept or Reject of a Follow), kept as sent."""
    made = _add(session, blog_id, kind, object_id, base, document=document, target_inbox=inbox)
    session.info.setdefault(MADE, []).append(made)
