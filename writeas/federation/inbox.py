"""What arrives at our inboxes: verified first, then acted on.

Nothing is stored from a request until its signature verifies, its key belongs to the
activity's actor, and the activity comes from its actor's own host: anything else is a 401
and leaves no trace. Blocked actors and domains get a 403 before we fetch anything of
theirs. Every activity is idempotent on its id (a repeated Follow, Like or reply changes
nothing), and what remote servers send is sanitised before it is stored.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, Comment, Follower, Post, Reaction, RemoteActor
from writeas.core.tokens import new_uid
from writeas.federation import delivery, documents, ids, outbox, remote, signatures
from writeas.http.urls import site_url
from writeas.services import instance
from writeas.text.rendering import sanitize

COMMENT_MAX = 20_000
_REACTIONS = {"Like": "like", "Announce": "announce"}


def _object_id(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def receive(alias: str | None, method: str, target: str, headers: Mapping[str, str],
            body: bytes) -> None:
    """Verify and act on one inbox POST (`alias`: a blog's own inbox; None: the shared one).
    With federation off, or for a suspended user's blog, there is no inbox at all."""
    if not instance.current().federation:
        raise ServiceError(404, "Not found.")
    try:
        activity = json.loads(body)
    except ValueError:
        raise ServiceError(400, "The body is not JSON.") from None
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise ServiceError(400, "The body is not an activity.")
    actor_id = _object_id(activity.get("actor"))
    if actor_id is None or not actor_id.startswith(("https://", "http://")):
        raise ServiceError(400, "The activity names no actor.")
    blog = None
    if alias is not None:
        blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
        if blog is None or blog.owner_suspended:
            raise ServiceError(404, "Collection not found.")
    if delivery.blocked(actor_id):
        raise ServiceError(403, "This server does not accept activities from you.")
    sender = _verified(method, target, headers, body, activity, actor_id)
    if sender is None:
        return  # a Delete of an actor we never knew: nothing to remove
    delivery.heard_from(remote.host(actor_id))
    handler = _HANDLERS.get(activity["type"])
    if handler is not None:
        handler(activity, sender, blog)
    db.session.commit()


def _verified(method, target, headers, body, activity, actor_id) -> RemoteActor | None:
    known: dict[str, RemoteActor] = {}

    def resolve(key_id: str, refresh: bool):
        try:
            found = remote.by_key(key_id, refresh=refresh)
        except remote.FetchError:
            return None
        known["actor"] = found
        return remote.public_key(found)

    try:
        signatures.verify(method, target, headers, body, resolve)
    except signatures.SignatureError as error:
        db.session.rollback()  # nothing fetched for a refused request is kept
        if _deletes_a_stranger(activity, actor_id):
            return None
        raise ServiceError(401, f"Signature refused: {error}") from None
    sender = known.get("actor")
    if sender is None or sender.uri != actor_id:
        db.session.rollback()
        raise ServiceError(401, "The request is not signed by the activity's actor.")
    activity_id = activity.get("id")
    if isinstance(activity_id, str) and remote.host(activity_id) != remote.host(actor_id):
        db.session.rollback()
        raise ServiceError(401, "The activity does not come from its actor's host.")
    return sender


def _deletes_a_stranger(activity: dict, actor_id: str) -> bool:
    """A deleted account's farewell can't be verified (its key is gone with it); when we
    never knew the account there is nothing to remove, so it is simply acknowledged."""
    if activity.get("type") != "Delete" or _object_id(activity.get("object")) != actor_id:
        return False
    return db.session.scalar(select(RemoteActor.id).where(RemoteActor.uri == actor_id)) is None


def _our_blog(object_id: str | None, blog: Collection | None) -> Collection:
    """The blog an activity addresses (a Follow's object), checked against the inbox."""
    prefix = ids.actor("")
    if object_id is None or not object_id.startswith(prefix):
        raise ServiceError(404, "That is not one of our actors.")
    alias = object_id[len(prefix):]
    found = db.session.scalar(select(Collection).where(Collection.alias == alias))
    if found is None or (blog is not None and found.id != blog.id):
        raise ServiceError(404, "That is not one of our actors.")
    return found


def _follow(activity: dict, sender: RemoteActor, blog: Collection | None) -> None:
    target = _our_blog(_object_id(activity.get("object")), blog)
    follow_id = _object_id(activity) or ""
    base = site_url()
    actor = ids.actor(target.alias)
    reply_id = ids.activity(new_uid(), base)
    if target.visibility not in outbox.FEDERATED_BLOGS:
        document = documents.activity("Reject", reply_id, actor, activity, to=[sender.uri])
        outbox.reply(db.session, target.id, "Reject", follow_id, document, sender.inbox, base)
        return
    existing = db.session.scalar(
        select(Follower).where(Follower.collection_id == target.id, Follower.actor_id == sender.uri)
    )
    if existing is not None and existing.follow_id == follow_id:
        return  # the same Follow again: already accepted
    if existing is None:
        existing = Follower(collection_id=target.id, actor_id=sender.uri)
        db.session.add(existing)
    existing.follow_id = follow_id
    existing.inbox, existing.shared_inbox = sender.inbox, sender.shared_inbox
    document = documents.activity("Accept", reply_id, actor, activity, to=[sender.uri])
    outbox.reply(db.session, target.id, "Accept", follow_id, document, sender.inbox, base)


def _undo(activity: dict, sender: RemoteActor, _blog) -> None:
    undone = activity.get("object")
    undone_id = _object_id(undone)
    kind = undone.get("type") if isinstance(undone, Mapping) else None
    if kind == "Follow" or kind is None:
        query = delete(Follower).where(Follower.actor_id == sender.uri)
        if kind == "Follow" and isinstance(undone, Mapping):
            target = _object_id(undone.get("object"))
            if target is not None:
                blog = db.session.scalar(
                    select(Collection.id).where(Collection.alias == target.rsplit("/", 1)[-1])
                )
                query = query.where(Follower.collection_id == blog)
        else:
            query = query.where(Follower.follow_id == undone_id)
        db.session.execute(query)
    if undone_id is not None:
        db.session.execute(
            delete(Reaction).where(Reaction.activity_id == undone_id,
                                   Reaction.actor_id == sender.uri)
        )


def _our_post(object_id: str | None) -> Post | None:
    found = ids.post_of(object_id)
    if found is None:
        return None
    post = db.session.get(Post, found[0])
    if post is None or outbox.shareable(post) is None:
        return None
    return post


def _create(activity: dict, sender: RemoteActor, _blog) -> None:
    note = activity.get("object")
    if not isinstance(note, Mapping):
        return
    post = _our_post(_object_id(note.get("inReplyTo")))
    object_id = _object_id(note)
    if post is None or object_id is None or remote.host(object_id) != remote.host(sender.uri):
        return  # not a reply to us: we keep no timeline
    if _object_id(note.get("attributedTo")) not in (None, sender.uri):
        return
    if db.session.scalar(select(Comment.id).where(Comment.object_id == object_id)) is not None:
        return
    content = note.get("content")
    if not isinstance(content, str) or not content.strip():
        return
    url = note.get("url") if isinstance(note.get("url"), str) else object_id
    db.session.add(
        Comment(
            post_id=post.id, object_id=object_id, actor_id=sender.uri,
            author_name=sender.name or sender.handle, author_url=sender.url,
            content_html=sanitize(content[:COMMENT_MAX]), url=url,
            status="pending", published=_published(note.get("published")),
        )
    )


def _published(value) -> datetime:
    if not isinstance(value, str):
        return utcnow()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return utcnow()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _react(activity: dict, sender: RemoteActor, _blog) -> None:
    post = _our_post(_object_id(activity.get("object")))
    activity_id = _object_id(activity)
    if post is None or activity_id is None:
        return
    if db.session.scalar(select(Reaction.id).where(Reaction.activity_id == activity_id)):
        return
    db.session.add(Reaction(post_id=post.id, kind=_REACTIONS[activity["type"]],
                            actor_id=sender.uri, activity_id=activity_id))


def _delete(activity: dict, sender: RemoteActor, _blog) -> None:
    gone = _object_id(activity.get("object"))
    if gone == sender.uri:
        for table in (Follower, Comment, Reaction):
            db.session.execute(delete(table).where(table.actor_id == sender.uri))
        db.session.delete(sender)
        return
    if gone is not None:
        db.session.execute(
            delete(Comment).where(Comment.object_id == gone, Comment.actor_id == sender.uri)
        )


def _update(activity: dict, sender: RemoteActor, _blog) -> None:
    changed = activity.get("object")
    if not isinstance(changed, Mapping):
        return
    if _object_id(changed) == sender.uri:
        remote.actor(sender.uri, refresh=True)
        return
    comment = db.session.scalar(
        select(Comment).where(Comment.object_id == _object_id(changed),
                              Comment.actor_id == sender.uri)
    )
    content = changed.get("content")
    if comment is not None and isinstance(content, str) and content.strip():
        comment.content_html = sanitize(content[:COMMENT_MAX])


_HANDLERS = {
    "Follow": _follow,
    "Undo": _undo,
    "Create": _create,
    "Like": _react,
    "Announce": _react,
    "Delete": _delete,
    "Update": _update,
}
