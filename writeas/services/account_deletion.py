"""Deleting an account and everything it made, in one transaction: the person asking on
/me/settings and the admin deleting a user both come here (`delete_account`).

The posts and blogs go through the ORM, so the same flush that removes them bumps their
content versions (cached pages are never served again) and lets federation's outbox queue
each federating blog's actor `Delete` to its followers, with the inboxes and the signing
key kept in the activity row, since neither the blog nor its followers remain. Channels
with their sealed credentials, crosspost batches and deliveries, API tokens and sessions
go with the user row (their foreign keys cascade); comments, reactions and the record of
what was federated go with their posts and blogs. Idempotency records are keyed by a
scope string, not a foreign key, so they are removed here. The media's bytes leave the
store only after the commit: a rollback must not leave rows pointing at nothing.

The account's aliases are retired, never given to a new account: the fediverse caches an
actor and its key by address, and old links must not lead to someone else's writing."""

from sqlalchemy import delete, select

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import (
    Collection,
    IdempotencyRecord,
    MediaFile,
    Post,
    RetiredAlias,
    User,
)
from writeas.services import account_settings, media_store


def delete_account(user: User) -> None:
    storage_keys = list(
        db.session.scalars(select(MediaFile.storage_key).where(MediaFile.user_id == user.id))
    )
    for post in db.session.scalars(select(Post).where(Post.owner_id == user.id)).all():
        db.session.delete(post)
    aliases = {user.username}
    for blog in db.session.scalars(select(Collection).where(Collection.owner_id == user.id)).all():
        aliases.add(blog.alias)
        db.session.delete(blog)
    db.session.flush()
    db.session.execute(delete(MediaFile).where(
        MediaFile.user_id == user.id, MediaFile.derived_from.is_not(None)
    ))
    db.session.execute(delete(MediaFile).where(MediaFile.user_id == user.id))
    scope = f"user:{user.id}"  # as `api.idempotent` writes it
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope == scope))
    for alias in sorted(aliases):
        if db.session.get(RetiredAlias, alias) is None:
            db.session.add(RetiredAlias(alias=alias))
    db.session.delete(user)
    db.session.commit()
    store = media_store.current()
    for key in storage_keys:
        store.delete(key)


def delete_own_account(user: User, data) -> None:
    """The person themselves: only with their password, asked again."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    account_settings.check_password(user, data, field="pass")
    delete_account(user)
