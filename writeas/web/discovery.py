"""What the site shows crawlers and strangers: robots.txt, the favicon, the instance's
sitemap (an index of its blogs' sitemaps) and each blog's, and the public reader `/read`
with its feed. What may be listed is the service's to decide (`services.discovery`)."""

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)

from writeas.core.clock import utcnow
from writeas.http.content_types import TEXT, XML
from writeas.services import discovery, instance
from writeas.web import feeds
from writeas.web.links import absolute_url

bp = Blueprint("discovery", __name__)


@bp.get("/robots.txt")
def robots():
    return Response(discovery.robots_txt(absolute_url("discovery.sitemap")), content_type=TEXT)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/x-icon")


@bp.get("/sitemap.xml")
def sitemap():
    page = render_template("discovery/sitemap_index.xml", blogs=discovery.listed_blogs())
    return Response(page, content_type=XML)


@bp.get("/<alias:alias>/sitemap.xml")
def blog_sitemap(alias):
    collection = discovery.listed_blog(alias)
    page = render_template(
        "discovery/sitemap.xml", collection=collection, posts=discovery.sitemap_posts(collection)
    )
    return Response(page, content_type=XML)


@bp.get("/read")
def reader():
    return _reader_page(1)


@bp.get("/read/page/<int(max=1000000):page>")
def reader_page(page):
    if page < 2:
        return redirect(url_for("discovery.reader"), 308)
    return _reader_page(page)


def _reader_page(page: int) -> str:
    entries, more = discovery.reader_page(page)
    return render_template("read/reader.html", posts=entries, page=page, more=more)


@bp.get("/read/feed/")
def reader_feed():
    entries, _more = discovery.reader_page(1)
    site_name = instance.current().site_name
    feed = feeds.Feed(
        title=f"{site_name} Reader",
        description=f"The newest posts of the blogs on {site_name}.",
        home=absolute_url("discovery.reader"),
        self=absolute_url("discovery.reader_feed"),
        updated=max((post.updated for post in entries), default=None) or utcnow(),
    )
    return feeds.respond("atom", feed, entries)
