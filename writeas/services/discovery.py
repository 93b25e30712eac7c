"""What the site tells crawlers and strangers about itself: robots.txt's rules, the
sitemaps, and the public reader (the newest posts of every listed blog).

Everything listed here is chosen by `visibility.listed_blogs_filter` and
`listed_posts_filter`, so a private, protected or unlisted blog, a post in no blog, an
unpublished or a scheduled post can't be named by one of these lists and not the others.
"""

from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager

from writeas import settings
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import NEWEST_FIRST, Collection, Post
from writeas.services import instance
from writeas.services.visibility import NOT_FOUND, listed_blogs_filter, listed_posts_filter

# The sitemap protocol's limit on the URLs of one file (and on the sitemaps of an index).
SITEMAP_MAX = 50_000
READER_PAGE_MAX = 10_000

DEFAULT_ROBOTS = """User-agent: *
Disallow: /api/
Disallow: /me/
Disallow: /auth/
Disallow: /login
Disallow: /logout
Disallow: /signup
"""


def reader_enabled() -> bool:
    """Whether `/read` and its feed are served (PUBLIC_READER): the one place that
    decides."""
    return instance.current().public_reader


def robots_txt(sitemap_url: str) -> str:
    """The operator's rules (ROBOTS_TXT, a file) or ours, then the sitemap's address. No
    blog is ever named here: naming one to keep crawlers out would tell everyone it exists."""
    path = settings.current().robots_txt
    rules = Path(path).read_text(encoding="utf-8") if path else DEFAULT_ROBOTS
    return f"{rules.rstrip()}\n\nSitemap: {sitemap_url}\n"


def listed_blogs() -> list[tuple[str, datetime]]:
    """(alias, last modified) of every listed blog, the most recently changed first: its
    newest listed post's last edit, or its creation when it has none."""
    newest = func.max(Post.updated)
    rows = db.session.execute(
        select(Collection.alias, func.coalesce(newest, Collection.created))
        .outerjoin(Post, listed_posts_filter())
        .where(listed_blogs_filter())
        .group_by(Collection.id, Collection.alias, Collection.created)
        .order_by(func.coalesce(newest, Collection.created).desc(), Collection.id)
        .limit(SITEMAP_MAX)
    )
    return [(alias, modified) for alias, modified in rows]


def listed_blog(alias: str) -> Collection:
    """A blog whose sitemap may be shown: any other, whoever asks, is not found."""
    found = db.session.scalar(
        select(Collection).where(Collection.alias == alias, listed_blogs_filter())
    )
    if found is None:
        raise ServiceError(404, NOT_FOUND)
    return found


def sitemap_posts(collection: Collection) -> list[tuple[str, datetime]]:
    """(slug, last modified) of the blog's listed posts, newest first."""
    rows = db.session.execute(
        select(Post.slug, Post.updated)
        .join(Collection, and_(Collection.id == collection.id, listed_posts_filter()))
        .order_by(*NEWEST_FIRST)
        .limit(SITEMAP_MAX)
    )
    return [(slug, updated) for slug, updated in rows]


def reader_page(page: int) -> tuple[list[Post], bool]:
    """One page of the reader, newest first, each post with its blog loaded, and whether
    another page follows. Pinned posts are their blogs' pages, not news, so they stay out."""
    if not reader_enabled():
        raise ServiceError(404, "The reader is not enabled on this site.")
    if not 1 <= page <= READER_PAGE_MAX:
        raise ServiceError(404, "There's no such page.")
    size = settings.current().posts_per_page
    query = (
        select(Post)
        .join(Collection, listed_posts_filter())
        .options(contains_eager(Post.collection))
        .where(Post.pinned_position.is_(None))
        .order_by(*NEWEST_FIRST)
        .limit(size + 1)
        .offset((page - 1) * size)
    )
    found = list(db.session.scalars(query))
    if page > 1 and not found:
        raise ServiceError(404, "There's no such page.")
    return found[:size], len(found) > size
