"""Who may read what. Every read path — API, pages, feeds, listings — asks here, so a
private blog or a scheduled post can't leak through a route that forgot a rule."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, literal_column, select

from writeas.core.clock import utcnow
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, Post, User
from writeas.core.passwords import verify_password

VISIBILITIES = tuple(Visibility)
# WriteFreely's numeric values, which some clients send.
LEGACY_VISIBILITY = {
    0: Visibility.UNLISTED, 1: Visibility.PUBLIC, 2: Visibility.PRIVATE, 4: Visibility.PASSWORD
}
NOT_FOUND = "Collection not found."
POST_NOT_FOUND = "Post not found."
PROTECTED = "This blog is password-protected."


def unlock_stamp(collection: Collection) -> str:
    """What a web session keeps for a blog it unlocked: bound to the blog's own uid (a new
    blog that gets an old id can't match), its lock version and its password hash (a
    changed password or visibility revokes every earlier unlock)."""
    material = f"{collection.uid}:{collection.lock_version}:{collection.password_hash}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class PasswordAttempts(Protocol):
    """Bounds password guesses at a blog: `before` refuses (429) a reader who has failed
    too often lately, `failed` counts one more failure. Each guess costs a KDF run."""

    def before(self, collection: Collection) -> None: ...

    def failed(self, collection: Collection) -> None: ...


def check_blog_password(
    collection: Collection, password: str, attempts: PasswordAttempts | None
) -> bool:
    if not collection.password_hash:
        return False
    if attempts is not None:
        attempts.before(collection)
    if verify_password(collection.password_hash, password):
        return True
    if attempts is not None:
        attempts.failed(collection)
    return False


@dataclass(frozen=True)
class Reader:
    """The person reading: maybe a user, maybe holding a blog's password (API header) or
    having unlocked some blogs in their web session (`unlocked` holds their stamps)."""

    user: User | None = None
    password: str | None = None
    unlocked: frozenset[str] = field(default_factory=frozenset)
    attempts: PasswordAttempts | None = None
    # Stamps of blogs whose password this reader proved in this request: one request may
    # check a blog more than once, and each check would run the KDF again.
    _proved: set[str] = field(default_factory=set, compare=False, repr=False)

    def owns(self, collection: Collection) -> bool:
        return self.user is not None and collection.owner_id == self.user.id

    def has_unlocked(self, collection: Collection) -> bool:
        if not (self.unlocked or self.password):
            return False
        stamp = unlock_stamp(collection)
        if stamp in self.unlocked or stamp in self._proved:
            return True
        if self.password and check_blog_password(collection, self.password, self.attempts):
            self._proved.add(stamp)
            return True
        return False


ANONYMOUS = Reader()


def check_collection(collection: Collection, reader: Reader) -> None:
    """A suspended user's blogs answer 404 to everyone, the user included (who can't log
    in meanwhile)."""
    if collection.owner_suspended:
        raise ServiceError(404, NOT_FOUND)
    if reader.owns(collection):
        return
    if collection.visibility == Visibility.PRIVATE:
        raise ServiceError(404, NOT_FOUND)
    if collection.visibility == Visibility.PASSWORD and not reader.has_unlocked(collection):
        raise ServiceError(403, PROTECTED)


def is_scheduled(post: Post, now: datetime | None = None) -> bool:
    return post.created > (now or utcnow())


def check_post(post: Post, reader: Reader) -> None:
    """404 for posts the reader may not know exist (private blog, not yet published),
    worded as for an id that doesn't exist at all."""
    if post.owner_suspended:
        raise ServiceError(404, POST_NOT_FOUND)
    if post.collection is not None:
        if post.collection.owner_suspended:
            raise ServiceError(404, POST_NOT_FOUND)
        if post.collection.visibility == Visibility.PRIVATE and not reader.owns(post.collection):
            raise ServiceError(404, POST_NOT_FOUND)
        check_collection(post.collection, reader)
    owner = reader.user is not None and post.owner_id == reader.user.id
    if is_scheduled(post) and not owner:
        raise ServiceError(404, POST_NOT_FOUND)


def not_shareable(post: Post) -> str | None:
    """Why the post may not be sent to other sites, if it may not: a crosspost must never
    carry what readers here can't see."""
    if post.unpublished:
        return "the post was unpublished"
    if post.owner_suspended:
        return "its author is suspended"
    blog = post.collection
    if blog is not None and blog.visibility == Visibility.PRIVATE:
        return "the post's blog is private"
    if blog is not None and blog.visibility == Visibility.PASSWORD:
        return "the post's blog is password-protected"
    return None


def published_filter(reader: Reader, collection: Collection) -> ColumnElement[bool]:
    """SQL for "posts of this blog the reader may see" (the blog itself already checked)."""
    live = Post.body != literal_column("''")  # literal: the listed-posts index's own term
    if reader.owns(collection):
        return live
    return and_(live, Post.created <= utcnow())


def is_listed(collection: Collection | None) -> bool:
    """Whether a blog's pages may be indexed and listed (`listed_blogs_filter` in Python);
    a post in no blog is a draft or an anonymous post, found only through its address."""
    return (
        collection is not None
        and collection.visibility == Visibility.PUBLIC
        and not collection.owner_suspended
    )


def listed_blogs_filter() -> ColumnElement[bool]:
    """SQL for blogs that may be named to anyone who asks: crawlers (robots.txt, sitemaps)
    and the public reader. Only public ones: an unlisted blog is for those given its
    address, and naming a private or protected one would leak that it exists."""
    return and_(Collection.visibility == Visibility.PUBLIC, not_suspended_owner())


def not_suspended_owner() -> ColumnElement[bool]:
    """SQL for blogs whose owner isn't suspended."""
    return Collection.owner_id.not_in(select(User.id).where(User.suspended.is_(True)))


def listed_posts_filter() -> ColumnElement[bool]:
    """SQL for posts that may be listed to anyone: live (published, not scheduled) posts of
    a listed blog. Posts in no blog are never listed; join `Collection` to use it."""
    return and_(
        Post.collection_id == Collection.id,
        listed_blogs_filter(),
        Post.body != "",
        Post.created <= utcnow(),
    )
