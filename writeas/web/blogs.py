"""A blog's pages: its homepage with pinned navigation and paginated stream, its posts,
tag pages, Atom feed, and the password form of a protected blog."""

from flask import Blueprint, redirect, render_template, request, url_for

from writeas import reads
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.federation import reports
from writeas.http import ratelimits
from writeas.reads.snapshots import BlogSnapshot
from writeas.services import blogs, payload
from writeas.services.visibility import NOT_FOUND, check_blog_password, is_listed
from writeas.web import feeds, links, pagecache, visitor
from writeas.web.links import absolute_url
from writeas.web.reading import render_post_page
from writeas.web.redirects import local_path

bp = Blueprint("blogs", __name__)


def _open(alias: str) -> tuple[BlogSnapshot | None, object]:
    """The blog if the reader may see it; for a protected blog they haven't unlocked,
    the password form instead (private blogs are simply not found)."""
    try:
        return blogs.readable(alias, visitor.reader()), None
    except ServiceError as error:
        if error.status != 403:
            raise
    locked = reads.current().blog(alias)
    page = render_template("blogs/locked.html", collection=locked, next=request.path)
    return None, (page, 403)


def _canonical(collection: BlogSnapshot, page: int, tag: str | None) -> str:
    if tag is not None:
        url = links.page_url("blogs.tag", alias=collection.alias, tag=tag)
        return f"{url}?page={page}" if page > 1 else url
    if page > 1:
        return links.page_url("blogs.page", alias=collection.alias, page=page)
    return links.page_url("blogs.home", alias=collection.alias)


def _listing(alias: str, page: int, tag: str | None = None):
    collection, locked = _open(alias)
    if locked:
        return locked
    reader = visitor.reader()

    def render() -> str:
        stream, more = blogs.stream(collection, reader, page, tag)
        if page > 1 and not stream:
            raise ServiceError(404, "There's no such page.")
        return render_template(
            "blogs/blog.html",
            canonical=_canonical(collection, page, tag),
            listed=is_listed(collection),
            collection=collection,
            nav=blogs.pinned(collection, reader),
            posts=stream,
            page=page,
            more=more,
            tag=tag,
            owner=reader.owns(collection),
            # The alias (in the cache key) and SITE_URL's host; no handle without SITE_URL,
            # since a request's own Host header must never reach a cached page.
            fediverse_handle=reports.handle(collection) if reports.federates(collection) else None,
        )

    return pagecache.served(
        pagecache.if_shared(
            pagecache.blog_page_key(request.script_root, collection, page, tag)
        ),
        render,
        window=lambda: blogs.live_window(collection),
        modified=(collection.updated,),
    )


@bp.get("/<alias:alias>/")
def home(alias):
    return _listing(alias, 1)


@bp.get("/<alias:alias>/page/<int(max=1000000):page>")
def page(alias, page):
    if page < 2:
        return redirect(url_for("blogs.home", alias=alias), 308)
    return _listing(alias, page)


@bp.get("/<alias:alias>/tag:<tag>")
def tag(alias, tag):
    page = payload.whole_number(request.args.get("page", "1"))
    if not page or page > 1_000_000:
        raise ServiceError(404, "There's no such page.")
    return _listing(alias, page, tag)


@bp.get("/<alias:alias>/<slug>")
def post(alias, slug):
    collection, locked = _open(alias)
    if locked:
        return locked
    found = blogs.post_by_slug(collection, slug, visitor.reader())
    return render_post_page(found, collection)


def _feed(alias: str, kind: str):
    """The blog's newest page of posts as a feed; a protected blog's only once unlocked in
    the session, like its pages (a feed reader has no session, so it gets the 403)."""
    collection, locked = _open(alias)
    if locked:
        raise ServiceError(403, "This blog is password-protected.")
    reader = visitor.reader()

    def render() -> str:
        entries, _more = blogs.stream(collection, reader, 1)
        feed = feeds.Feed(
            title=collection.title,
            description=collection.description,
            home=absolute_url("blogs.home", alias=collection.alias),
            self=absolute_url(f"blogs.{FEED_ENDPOINTS[kind]}", alias=collection.alias),
            updated=(
                max(post.updated for post in entries) if entries else blogs.created(collection)
            ),
            author=collection.title,
        )
        return feeds.rendered(kind, feed, entries)

    return pagecache.served(
        pagecache.if_shared(pagecache.feed_key(request.url_root, collection, kind)),
        render,
        window=lambda: blogs.live_window(collection),
        modified=(collection.updated,),
        content_type=feeds.FORMATS[kind][1],
    )


FEED_ENDPOINTS = {"atom": "feed", "rss": "feed_rss"}


@bp.get("/<alias:alias>/feed/")
def feed(alias):
    return _feed(alias, "atom")


@bp.get("/<alias:alias>/feed/rss")
def feed_rss(alias):
    """RSS 2.0, for the readers that still take nothing else."""
    return _feed(alias, "rss")


@bp.post("/<alias:alias>/unlock")
def unlock(alias):
    collection = blogs.find(alias)
    if collection.visibility == Visibility.PRIVATE and not visitor.reader().owns(collection):
        raise ServiceError(404, NOT_FOUND)
    password = request.form.get("password", "")
    next_path = local_path(request.form.get("next"), "", within=f"/{alias}/")
    if not check_blog_password(collection, password, ratelimits.password_attempts):
        page = render_template(
            "blogs/locked.html",
            collection=collection,
            next=next_path,
            error="That's not the password.",
        )
        return page, 403
    visitor.unlock(collection)
    return redirect(next_path or url_for("blogs.home", alias=alias), 303)
