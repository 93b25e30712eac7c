"""The rules for blogs ("collections"): creating and changing them, publishing into them,
moving posts in, pinning, and reading them page by page as a given reader may."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from writeas import reads, settings
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import FederateAs, Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import NEWEST_FIRST, Collection, Post, PostTag, User
from writeas.core.passwords import hash_password
from writeas.reads.snapshots import BlogSnapshot, PostSnapshot
from writeas.services import accounts, instance, payload, posts
from writeas.services.visibility import (
    LEGACY_VISIBILITY,
    NOT_FOUND,
    POST_NOT_FOUND,
    VISIBILITIES,
    Reader,
    check_collection,
    published_filter,
)
from writeas.text import slugs

TITLE_MAX = 255
DESCRIPTION_MAX = 5000
STYLE_SHEET_MAX = 100_000
BATCH_MAX = 1000


_ALIAS_SHAPE = re.compile(r"[a-z0-9-]{1,100}")
_SLUG_SHAPE = re.compile(r"[A-Za-z0-9-]{1,255}")


def find(alias: Any) -> Collection:
    collection = None
    if isinstance(alias, str) and _ALIAS_SHAPE.fullmatch(alias):
        collection = db.session.scalar(select(Collection).where(Collection.alias == alias))
    if collection is None:
        raise ServiceError(404, NOT_FOUND)
    return collection


def readable(alias: Any, reader: Reader) -> BlogSnapshot:
    """A blog to show (not to change): a read-only snapshot, as cheap as a read can be."""
    shaped = isinstance(alias, str) and _ALIAS_SHAPE.fullmatch(alias)
    collection = reads.current().blog(alias) if shaped else None
    if collection is None:
        raise ServiceError(404, NOT_FOUND)
    check_collection(collection, reader)
    return collection


def live_window(collection: Collection | BlogSnapshot) -> tuple[datetime | None, datetime | None]:
    """(when the blog's newest live post went live, when its next scheduled post goes
    live): what the blog's pages list holds from one to the other, so the first is part
    of their `Last-Modified` and the second ends their cached copies."""
    now = utcnow()
    published = and_(Post.collection_id == collection.id, Post.body != "")
    went_live = select(func.max(Post.created)).where(published, Post.created <= now)
    upcoming = select(func.min(Post.created)).where(published, Post.created > now)
    both = select(went_live.scalar_subquery(), upcoming.scalar_subquery())
    return tuple(db.session.execute(both).one())


def created(collection: Collection | BlogSnapshot) -> datetime:
    """When the blog was made: what an empty blog's feed last changed at."""
    return db.session.scalar(select(Collection.created).where(Collection.id == collection.id))


def owned(alias: str, user: User | None) -> Collection:
    """A blog the user may change: 401 anonymous, 404 unknown (or private to someone
    else, or of a suspended user), 403 someone else's."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    collection = find(alias)
    if collection.owner_id != user.id:
        if collection.visibility == Visibility.PRIVATE or collection.owner_suspended:
            raise ServiceError(404, NOT_FOUND)
        raise ServiceError(403, "You don't own this blog.")
    return collection


def of_user(user: User) -> list[Collection]:
    return list(
        db.session.scalars(
            select(Collection).where(Collection.owner_id == user.id).order_by(Collection.id)
        )
    )


def _generated_alias(title: str) -> str:
    base = slugs.slugify(title, max_length=accounts.ALIAS_MAX - 4) or "blog"
    candidate, number = base, 1
    while candidate in accounts.RESERVED_ALIASES or accounts.alias_taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def create(data: Any, user: User | None) -> Collection:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    data = payload.require_mapping(data)
    title = payload.required_text(data, "title", max_length=TITLE_MAX).strip()
    if not title:
        raise ServiceError(400, "Parameter `title` is required.")
    alias = payload.text(data, "alias", max_length=accounts.ALIAS_MAX * 4)
    if alias:
        if alias in accounts.RESERVED_ALIASES or accounts.alias_taken(alias):
            raise ServiceError(409, "Alias is taken.")
        accounts.validate_alias(alias)
    else:
        alias = _generated_alias(title)
    limit = instance.current().max_blogs
    count = db.session.scalar(
        select(func.count()).select_from(Collection).where(Collection.owner_id == user.id)
    )
    if count >= limit:
        raise ServiceError(412, f"You've reached the maximum of {limit} blogs.")
    collection = Collection(
        alias=alias, title=title, owner_id=user.id,
        visibility=instance.current().default_visibility,
    )
    db.session.add(collection)
    try:
        db.session.commit()
    except IntegrityError:  # the alias was taken between our check and the insert
        db.session.rollback()
        raise ServiceError(409, "Alias is taken.") from None
    return collection


def _visibility(data: Mapping) -> str | None:
    value = data.get("visibility")
    if value is None:
        return None
    if isinstance(value, str) and payload.whole_number(value) is not None:
        value = payload.whole_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = LEGACY_VISIBILITY.get(value)
    if value not in VISIBILITIES:
        raise ServiceError(
            400, "Parameter `visibility` must be one of: " + ", ".join(VISIBILITIES) + "."
        )
    return value


def update(alias: str, data: Any, user: User | None) -> Collection:
    collection = owned(alias, user)
    data = payload.require_mapping(data)
    title = payload.text(data, "title", max_length=TITLE_MAX)
    description = payload.text(data, "description", max_length=DESCRIPTION_MAX)
    style_sheet = payload.text(data, "style_sheet", max_length=STYLE_SHEET_MAX)
    visibility = _visibility(data)
    password = payload.text(data, "password", max_length=accounts.PASSWORD_MAX)
    federate_as = data.get("federate_as")
    if federate_as is not None and federate_as not in tuple(FederateAs):
        raise ServiceError(
            400, "Parameter `federate_as` must be one of: " + ", ".join(FederateAs) + "."
        )
    if title is not None:
        if not title.strip():
            raise ServiceError(400, "Parameter `title` can't be blank.")
        collection.title = title.strip()
    if description is not None:
        collection.description = description
    if style_sheet is not None:
        collection.style_sheet = style_sheet
    if password:
        collection.password_hash = hash_password(password)
        collection.lock_version += 1
    if visibility is not None:
        if visibility == Visibility.PASSWORD and not collection.password_hash:
            raise ServiceError(400, "Parameter `password` is required for a protected blog.")
        if visibility != collection.visibility:
            collection.lock_version += 1  # unlocks made under the old setting end
        collection.visibility = visibility
    if federate_as is not None:
        collection.federate_as = federate_as
    db.session.commit()
    return collection


def delete(alias: str, user: User | None) -> None:
    """The blog goes; its posts stay with their owner, in no blog (anonymous to readers)."""
    collection = owned(alias, user)
    for post in db.session.scalars(select(Post).where(Post.collection_id == collection.id)):
        posts.leave_collection(post)
    db.session.delete(collection)
    db.session.commit()


def total_posts(collection: Collection | BlogSnapshot, reader: Reader) -> int:
    """The stream's posts and the navigation's, each counted in the partial index that holds
    exactly its rows: one count over the blog would read every post's row for its body."""
    shown = and_(Post.collection_id == collection.id, published_filter(reader, collection))
    stream, pins = (
        select(func.count()).select_from(Post).where(shown, placed).scalar_subquery()
        for placed in (Post.pinned_position.is_(None), Post.pinned_position.is_not(None))
    )
    return db.session.scalar(select(stream + pins))


def page_size() -> int:
    return settings.current().posts_per_page


def stream(
    collection: Collection | BlogSnapshot, reader: Reader, page: int, tag: str | None = None
) -> tuple[list[Post], bool]:
    """One page of the blog's posts the reader may see, newest first, and whether another
    page follows. Pinned posts live in the navigation, so only a tag's page lists them."""
    size = page_size()
    query = select(Post).where(
        Post.collection_id == collection.id, published_filter(reader, collection)
    )
    if tag is None:
        query = query.where(Post.pinned_position.is_(None))
    else:
        query = query.join(PostTag).where(PostTag.tag == tag.casefold())
    query = query.order_by(*NEWEST_FIRST).limit(size + 1).offset((page - 1) * size)
    found = list(db.session.scalars(query))
    return found[:size], len(found) > size


def pinned(collection: Collection | BlogSnapshot, reader: Reader) -> list[Post]:
    """The blog's navigation: pinned posts the reader may see, in pin order."""
    query = (
        select(Post)
        .where(
            Post.collection_id == collection.id,
            Post.pinned_position.is_not(None),
            published_filter(reader, collection),
        )
        .order_by(Post.pinned_position)
    )
    return list(db.session.scalars(query))


def post_by_slug(collection: Collection | BlogSnapshot, slug: str, reader: Reader) -> PostSnapshot:
    found = _SLUG_SHAPE.fullmatch(slug)
    post = reads.current().post_by_slug(collection.id, slug) if found else None
    return posts.check_readable(post, reader)


def _ordered_pins(collection: Collection) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.collection_id == collection.id, Post.pinned_position.is_not(None))
            .order_by(Post.pinned_position)
        )
    )


def _renumber(pins: list[Post]) -> None:
    for position, post in enumerate(pins, start=1):
        post.pinned_position = position


def _batch(items: Any) -> list:
    if not isinstance(items, list):
        raise ServiceError(400, "Request body must be an array of objects.")
    if len(items) > BATCH_MAX:
        raise ServiceError(400, f"At most {BATCH_MAX} items at once.")
    return items


def _post_in(collection: Collection, item: Any) -> Post:
    if not isinstance(item, Mapping):
        raise ServiceError(400, "Each item must be an object with an `id`.")
    post = posts.find(payload.required_text(item, "id"))
    if post.collection_id != collection.id:
        raise ServiceError(404, POST_NOT_FOUND)
    return post


def _position(item: Mapping) -> int | None:
    value = item.get("position")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ServiceError(400, "Parameter `position` must be a positive integer.")
    return value


def _item_result(item: Any, error: ServiceError | None) -> dict:
    post_id = item.get("id") if isinstance(item, Mapping) else None
    result = {"id": post_id if isinstance(post_id, str) else None}
    if error is None:
        return {**result, "code": 200}
    return {**result, "code": error.status, "error_msg": error.message}


def _for_each_post(alias: str, items: Any, user: User | None, change) -> list[dict]:
    """Apply `change(collection, post, item)` to each item's post in the user's blog; each
    item gets its own `{id, code}` result and a bad one never stops the others."""
    collection = owned(alias, user)
    results = []
    for item in _batch(items):
        try:
            change(collection, _post_in(collection, item), item)
            db.session.flush()
            results.append(_item_result(item, None))
        except ServiceError as error:
            results.append(_item_result(item, error))
    db.session.commit()
    return results


def _pin_one(collection: Collection, post: Post, item: Mapping) -> None:
    position = _position(item)
    pins = [p for p in _ordered_pins(collection) if p.id != post.id]
    pins.insert(len(pins) if position is None else min(position - 1, len(pins)), post)
    _renumber(pins)


def _unpin_one(collection: Collection, post: Post, _item: Mapping) -> None:
    post.pinned_position = None
    _renumber([p for p in _ordered_pins(collection) if p.id != post.id])


def pin(alias: str, items: Any, user: User | None) -> list[dict]:
    """Pin each post at `position` (1-based) or at the end; positions stay 1…n."""
    return _for_each_post(alias, items, user, _pin_one)


def unpin(alias: str, items: Any, user: User | None) -> list[dict]:
    return _for_each_post(alias, items, user, _unpin_one)


def collect(alias: str, items: Any, user: User | None) -> list[tuple[dict, Post | None]]:
    """Move posts into the blog: the user's own, or anonymous ones with their token (which
    then become the user's). One bad item never fails the others."""
    collection = owned(alias, user)
    results = []
    for item in _batch(items):
        try:
            if not isinstance(item, Mapping):
                raise ServiceError(400, "Each item must be an object with an `id`.")
            post = posts.find(payload.required_text(item, "id"))
            posts.take_ownership(post, user, payload.text(item, "token"))
            posts.move_to(post, collection)
            db.session.flush()
            results.append(({"code": 200}, post))
        except ServiceError as error:
            results.append(({"code": error.status, "error_msg": error.message}, None))
    db.session.commit()
    return results
