"""The rules for posts: publishing, reading, updating, unpublishing, deleting, claiming.

Both the API and the pages call these functions; they validate their own input (through
`payload`), so no caller can skip a rule.
"""

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from writeas import reads
from writeas.core import tokens
from writeas.core.clock import utcnow
from writeas.core.db import db, note_inserted
from writeas.core.errors import ServiceError
from writeas.core.models import NEWEST_FIRST, Collection, Post, PostImage, PostTag, User
from writeas.reads import content_versions
from writeas.reads.snapshots import PostSnapshot
from writeas.services import highlighting, media, payload
from writeas.services.visibility import POST_NOT_FOUND, Reader, check_post
from writeas.text import appearance, slugs
from writeas.text.extraction import extract_excerpt, extract_hashtags, extract_title
from writeas.text.rendering import highlight_deferred, render_plain, render_post

TITLE_MAX = 1000
CLAIM_MAX = 1000
UNPUBLISHED = "Post unpublished by author."


def derive(post: Post) -> None:
    """Everything computed from the body is computed here, at write time, once: reads
    never run Markdown, Pygments or extraction."""
    post.display_title = post.title.strip() or extract_title(post.body)
    post.tags = extract_hashtags(post.body)
    post.excerpt = extract_excerpt(post.body, skip_title=not post.title.strip())
    tag_base = f"/{post.collection.alias}/" if post.collection is not None else None
    shown = media.images_shown(post.body)
    sizes = {image.id: (image.width, image.height) for image in shown}
    post.highlight_due = highlight_deferred(post.body, post.appearance)
    if post.highlight_due:
        post.body_html = render_plain(post.body)
        highlighting.note(post)
    else:
        post.body_html = render_post(post.body, post.appearance, tag_base, sizes)
    linked = {row.media_id: row for row in post.image_rows}
    post.image_rows = [linked.get(image.id) or PostImage(media_id=image.id) for image in shown]
    existing = {row.tag: row for row in post.tag_rows}
    keys = dict.fromkeys(tag.casefold() for tag in post.tags)
    post.tag_rows = [existing.get(key) or PostTag(tag=key) for key in keys]


def _crosspost_targets(data: Mapping, user: User | None) -> list[dict] | None:
    """The spec's `[{"mastodon": "handle"}, …]`: each item one integration and one handle."""
    targets = data.get("crosspost")
    if targets is None or targets == []:
        return None
    if user is None:
        raise ServiceError(401, "Crossposting requires authentication.")
    if not isinstance(targets, list) or not all(
        isinstance(item, dict)
        and len(item) == 1
        and all(isinstance(k, str) and isinstance(v, str) for k, v in item.items())
        for item in targets
    ):
        raise ServiceError(
            400, 'Parameter `crosspost` must be an array of {"integration": "username"}.'
        )
    return targets


def _free_slug(post: Post, collection: Collection, wanted: str | None = None) -> str:
    """`wanted` (an imported post's own slug) when the blog has it free, else the title's
    slug, either with a suffix when taken."""
    base = (
        slugs.slugify(wanted or "")
        or slugs.slugify(slugs.slug_source(post.title, extract_title(post.body)))
        or post.id
    )

    def taken(candidate: str) -> bool:
        return (
            db.session.scalar(
                select(Post.id).where(
                    Post.collection_id == collection.id, Post.slug == candidate, Post.id != post.id
                )
            )
            is not None
        )

    return slugs.unique(base, taken)


def move_to(post: Post, collection: Collection) -> None:
    """Into a blog, keeping the post's slug when the blog has it free; unpinned."""
    if post.collection_id == collection.id:
        return
    post.collection = collection
    post.pinned_position = None
    post.slug = _free_slug(post, collection)
    derive(post)  # hashtags now link to this blog


def leave_collection(post: Post) -> None:
    post.collection = None
    post.slug = None
    post.pinned_position = None
    derive(post)


def commit_new(post: Post, *with_it) -> None:
    """Commit a new post (and what was written with it); if a concurrent publish took its
    slug, take the next one."""
    for _attempt in range(5):
        try:
            if with_it:  # a crosspost batch: the delivery engine changes it from here on
                db.session.add(post)
                db.session.add_all(with_it)
            else:
                _insert(post)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            if post.collection is None:
                raise
            post.slug = _free_slug(post, post.collection)
    raise ServiceError(409, "Could not find a free slug for this post; try again.")


_POST_COLUMNS = frozenset(Post.__table__.columns.keys())
_INSERT_POST = insert(Post.__table__)
_INSERT_TAGS = insert(PostTag.__table__)
_INSERT_IMAGES = insert(PostImage.__table__)


def _insert(post: Post) -> None:
    """A new post alone is written as plain INSERTs (the post, its tags, its images), not
    through the unit of work: every value was just computed here, so the flush's change
    tracking, dependency sort and identity map would cost more than the inserts and tell
    us nothing. `post` stays unattached; callers only read it. Its blog's content version
    moves with it, as with every write to a blog's posts."""
    values = {key: value for key, value in inspect(post).dict.items() if key in _POST_COLUMNS}
    values["owner_id"] = post.owner.id if post.owner is not None else None
    values["collection_id"] = post.collection.id if post.collection is not None else None
    connection = db.session.connection()
    connection.execute(_INSERT_POST, values)
    if post.tag_rows:
        rows = [{"post_id": post.id, "tag": row.tag} for row in post.tag_rows]
        connection.execute(_INSERT_TAGS, rows)
    if post.image_rows:
        rows = [{"post_id": post.id, "media_id": row.media_id} for row in post.image_rows]
        connection.execute(_INSERT_IMAGES, rows)
    if post.collection is not None:
        content_versions.bump_blogs(db.session, {post.collection.id})
        note_inserted(db.session, post)


def prepare(
    data: Any, user: User | None, collection: Collection | None = None, slug: str | None = None
) -> tuple[Post, str]:
    """A new post, not yet written (owned by `user` when authenticated, in `collection`
    when given, under `slug` there when it is free), and its modify token. A `created` in
    the future schedules it. Its `crosspost` holds the targets the request asked for,
    which `publishing` plans."""
    data = payload.require_mapping(data)
    body = payload.text(data, "body")
    if body is None or body.strip() == "":
        raise ServiceError(400, "Parameter `body` is required.")
    title = payload.text(data, "title", max_length=TITLE_MAX) or ""
    language = payload.language(data) or ""
    rtl = payload.flag(data, "rtl") or False
    font = payload.text(data, "font")
    crosspost = _crosspost_targets(data, user)
    created = payload.timestamp(data, "created")
    token = tokens.new_modify_token()
    now = utcnow()
    post = Post(
        id=tokens.new_post_id(),
        owner=user,
        modify_token_hash=tokens.digest(token),
        appearance=appearance.appearance_for(font) or appearance.DEFAULT,
        language=language,
        rtl=rtl,
        title=title.strip(),
        body=body,
        created=created or now,
        updated=now,
        crosspost=crosspost,
    )
    if collection is not None:
        move_to(post, collection)
        if slug:
            post.slug = _free_slug(post, collection, slug)
    else:
        derive(post)
    return post, token


_ID_SHAPE = re.compile(r"[A-Za-z0-9]{1,32}")


def find(post_id: str) -> Post:
    """Ids that can't be ours are not looked up at all."""
    post = None
    if isinstance(post_id, str) and _ID_SHAPE.fullmatch(post_id):
        post = db.session.get(Post, post_id)
    if post is None:
        raise ServiceError(404, POST_NOT_FOUND)
    return post


def is_owner(post: Post | PostSnapshot, user: User | None) -> bool:
    return user is not None and post.owner_id == user.id


def readable(post_id: str, reader: Reader) -> PostSnapshot:
    """A post the reader may read: 404 when it doesn't exist or is hidden from them (403
    for a protected blog they haven't unlocked), 410 when its author unpublished it. A
    read-only snapshot: reading is the hot path, and nothing here writes."""
    post = reads.current().post(post_id) if _ID_SHAPE.fullmatch(post_id) else None
    return check_readable(post, reader)


def check_readable(post: PostSnapshot | None, reader: Reader) -> PostSnapshot:
    if post is None:
        raise ServiceError(404, POST_NOT_FOUND)
    check_post(post, reader)
    if post.unpublished:
        raise ServiceError(410, UNPUBLISHED)
    return post


def _authorise(post: Post, user: User | None, token: str | None) -> None:
    if is_owner(post, user) or tokens.matches(token, post.modify_token_hash):
        return
    if token:
        raise ServiceError(403, "Invalid post token.")
    if user is not None:
        raise ServiceError(403, "You don't have permission to modify this post.")
    raise ServiceError(401, "An access token or the post's modify token is required.")


def update(post_id: str, data: Any, user: User | None, token: str | None) -> Post:
    """Apply the given fields; an absent or null field keeps its value, `body: ""`
    unpublishes (answered with 410 as the spec says), any later body restores."""
    data = payload.require_mapping(data)
    post = find(post_id)
    token = payload.text(data, "token") or token
    _authorise(post, user, token)
    body = payload.text(data, "body")
    title = payload.text(data, "title", max_length=TITLE_MAX)
    language = payload.language(data)
    rtl = payload.flag(data, "rtl")
    chosen = appearance.appearance_for(payload.text(data, "font"))
    if body is not None:
        post.body = body
    if title is not None:
        post.title = title.strip()
    if language is not None:
        post.language = language
    if rtl is not None:
        post.rtl = rtl
    if chosen is not None:
        post.appearance = chosen
    derive(post)
    post.updated = utcnow()
    db.session.commit()
    if post.unpublished:
        raise ServiceError(410, UNPUBLISHED)
    return post


def delete(post_id: str, user: User | None, token: str | None) -> None:
    post = find(post_id)
    _authorise(post, user, token)
    shown, owner = [row.media_id for row in post.image_rows], post.owner
    db.session.delete(post)
    db.session.commit()
    media.release(shown, owner)


def take_ownership(post: Post, user: User, token: str | None) -> None:
    """Make an anonymous post the user's, given its modify token; the user's own posts
    need no token, and another user's post can't be taken at all."""
    if is_owner(post, user):
        return
    if post.owner_id is not None:
        raise ServiceError(404, POST_NOT_FOUND)  # worded as for an unknown id
    if not token:
        raise ServiceError(400, "Parameter `token` is required.")
    if not tokens.matches(token, post.modify_token_hash):
        raise ServiceError(403, "Invalid post token.")
    post.owner = user


def _claim_one(item: Any, user: User) -> tuple[dict, Post | None]:
    if not isinstance(item, Mapping):
        return {
            "code": 400,
            "error_msg": "Each item must be an object with `id` and `token`.",
        }, None
    try:
        post = find(payload.required_text(item, "id"))
        take_ownership(post, user, payload.text(item, "token"))
    except ServiceError as error:
        result = {"code": error.status, "error_msg": error.message}
        if isinstance(item.get("id"), str):
            result = {"id": item["id"], **result}
        return result, None
    return {"id": post.id, "code": 200}, post


def claim(items: Any, user: User | None) -> list[tuple[dict, Post | None]]:
    """Each item succeeds or fails alone; one commit covers all the successes."""
    if user is None:
        raise ServiceError(401, "You must be logged in to claim posts.")
    if not isinstance(items, list):
        raise ServiceError(400, "Request body must be an array of {id, token} objects.")
    if len(items) > CLAIM_MAX:
        raise ServiceError(400, f"At most {CLAIM_MAX} posts can be claimed at once.")
    results = [_claim_one(item, user) for item in items]
    db.session.commit()
    return results


def detach(post_id: str, user: User) -> None:
    """Take one of the user's posts out of its blog (it keeps its id and its link)."""
    post = find(post_id)
    if not is_owner(post, user):
        raise ServiceError(403, "You don't own this post.")
    leave_collection(post)
    db.session.commit()


def owned_by(
    user: User, *, anonymous_only: bool = False, include_unpublished: bool = False
) -> list[Post]:
    query = select(Post).where(Post.owner_id == user.id)
    if not include_unpublished:
        query = query.where(Post.body != "")
    if anonymous_only:
        query = query.where(Post.collection_id.is_(None))
    return list(db.session.scalars(query.order_by(*NEWEST_FIRST)))


def record_view(post: Post | PostSnapshot, reader: Reader) -> None:
    """Authors reading their own posts don't inflate their numbers."""
    if not is_owner(post, reader.user):
        reads.current().views.record(post.id)


def views(post: Post | PostSnapshot) -> int:
    return reads.current().views_of(post)
