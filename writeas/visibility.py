"""Who may read what. Every read path — API, pages, feeds, listings — asks here, so a
private blog or a scheduled post can't leak through a route that forgot a rule."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_

from .clock import utcnow
from .errors import ServiceError
from .models import Collection, Post, User
from .passwords import verify_password

VISIBILITIES = ("public", "unlisted", "private", "password")
# WriteFreely's numeric values, which some clients send.
LEGACY_VISIBILITY = {0: "unlisted", 1: "public", 2: "private", 4: "password"}
NOT_FOUND = "Collection not found."
PROTECTED = "This blog is password-protected."


@dataclass(frozen=True)
class Reader:
    """The person reading: maybe a user, maybe holding a blog's password (API header) or
    having unlocked some blogs in their web session."""

    user: User | None = None
    password: str | None = None
    unlocked: frozenset[int] = field(default_factory=frozenset)

    def owns(self, collection: Collection) -> bool:
        return self.user is not None and collection.owner_id == self.user.id

    def has_unlocked(self, collection: Collection) -> bool:
        if collection.id in self.unlocked:
            return True
        return bool(
            self.password
            and collection.password_hash
            and verify_password(collection.password_hash, self.password)
        )


ANONYMOUS = Reader()


def check_collection(collection: Collection, reader: Reader) -> None:
    if reader.owns(collection):
        return
    if collection.visibility == "private":
        raise ServiceError(404, NOT_FOUND)
    if collection.visibility == "password" and not reader.has_unlocked(collection):
        raise ServiceError(403, PROTECTED)


def is_scheduled(post: Post, now: datetime | None = None) -> bool:
    return post.created > (now or utcnow())


def check_post(post: Post, reader: Reader) -> None:
    """404 for posts the reader may not know exist (private blog, not yet published)."""
    if post.collection is not None:
        check_collection(post.collection, reader)
    owner = reader.user is not None and post.owner_id == reader.user.id
    if is_scheduled(post) and not owner:
        raise ServiceError(404, "Post not found.")


def published_filter(reader: Reader, collection: Collection) -> ColumnElement[bool]:
    """SQL for "posts of this blog the reader may see" (the blog itself already checked)."""
    live = Post.body != ""
    if reader.owns(collection):
        return live
    return and_(live, Post.created <= utcnow())
