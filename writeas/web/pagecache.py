"""What goes in the page cache (`reads.page_cache`), and under which key: whole pages for
visitors who see what every anonymous visitor sees, and highlighted code for everyone.

Rendering a page is most of what reading one costs, and a post's page or a blog's page
is the same HTML for every visitor who isn't logged in, holds no modify token for it and
has no message waiting. Keys name the versions of what the HTML was made from (the
`content_version` of the post and of its blog), so a write anywhere, on any node, simply
leads readers to new keys and the old entries age out of the LRU: nothing is invalidated
by hand, so nothing can be forgotten. HTML that changes with time alone (a blog whose
scheduled post goes live) carries an expiry. The cache is bounded by size (PAGE_CACHE_MB
per process).

A shared page is kept with its validators: its ETag is made from its key (and its
expiry), so a revalidation is answered 304 from the key alone, before anything renders,
and the front answers it from the entry.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import make_response, session
from flask_login import current_user

from writeas import reads
from writeas.http import conditional
from writeas.http.content_types import HTML
from writeas.web import visitor


@dataclass(frozen=True, slots=True)
class Page:
    html: str
    content_type: str
    tag: str
    modified: datetime

    def __len__(self) -> int:
        return len(self.html)


def post_page_key(script_root: str, post, view: str = "", collection=None) -> tuple:
    """A post's page shows the post (and, in a blog, the blog's header and navigation).
    The script root is part of every page key: a proxy may mount the site under a
    prefix, and links carry it. `view` names the lexer of a code view (`/{id}.py`)."""
    blog = (collection.uid, collection.content_version) if collection is not None else None
    return (script_root, "post", post.id, post.content_version, view, blog)


def blog_page_key(script_root: str, collection, page: int, tag: str | None = None) -> tuple:
    """By the blog's uid, not its id: an id can come back (a restored backup), a uid can't."""
    return (script_root, "blog", collection.uid, collection.content_version, page, tag)


def feed_key(url_root: str, collection, kind: str) -> tuple:
    """A feed's links are absolute, made from the request's host: the host is in its key,
    so whatever a request's `Host` says reaches only the entry for that host."""
    return (url_root, "feed", kind, collection.uid, collection.content_version)


def if_shared(key: tuple, post_id: str | None = None) -> tuple | None:
    """`key` if this visitor sees the page every anonymous visitor sees (for a post's
    page: holds no modify token for it), else None: their page isn't cached."""
    if current_user.is_authenticated or "_flashes" in session:
        return None
    if post_id is not None and visitor.token_for(post_id) is not None:
        return None
    return key


def remembered(key: tuple | None, render, expires=None) -> str:
    """The page under `key` if it is cached, else `render()` kept under it. `expires` says
    until when a render holds; it is asked before rendering, so a scheduled post that goes
    live in between is in the render or ends its entry at once, never missed by both."""
    if key is None:
        return render()
    pages = reads.current().pages
    html = pages.get(key)
    if html is None:
        until = expires() if expires else None
        html = render()
        pages.put(key, html, until)
    return html


def served(key: tuple | None, render, *, window=None, modified=(), content_type=HTML):
    """The response for a page: from the cache or rendered (as `remembered`), with its
    ETag and Last-Modified, or the 304 when the client holds it already. `window()` gives
    (when what the page lists last went live, when the next of it goes live): the first
    bounds `Last-Modified` from below, the second ends the entry and is part of the ETag.
    `modified` holds the other times the page's content changed. A page for one visitor
    alone (`key` None) is rendered and gets its ETag over its bytes (`conditional.finish`)."""
    if key is None:
        return make_response(render(), {"Content-Type": content_type})
    pages = reads.current().pages
    page = pages.get(key)
    if page is not None:  # `conditional.finish` answers a revalidation of it
        response = make_response(page.html, {"Content-Type": page.content_type})
        return conditional.stamp(response, page.tag, page.modified)
    went_live, until = window() if window is not None else (None, None)
    tag = conditional.etag(key, until)
    stamp = conditional.last_modified(went_live, *modified)

    def build():
        rendered = Page(render(), content_type, tag, stamp)
        pages.put(key, rendered, until)
        return make_response(rendered.html, {"Content-Type": content_type})

    return conditional.respond(tag, stamp, build)
