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
"""

from flask import session
from flask_login import current_user

from writeas import reads
from writeas.web import visitor


def post_page_key(script_root: str, post, view: str = "", collection=None) -> tuple:
    """A post's page shows the post (and, in a blog, the blog's header and navigation).
    The script root is part of every page key: a proxy may mount the site under a
    prefix, and links carry it. `view` names the lexer of a code view (`/{id}.py`)."""
    blog = (collection.uid, collection.content_version) if collection is not None else None
    return (script_root, "post", post.id, post.content_version, view, blog)


def blog_page_key(script_root: str, collection, page: int, tag: str | None = None) -> tuple:
    """By the blog's uid, not its id: an id can come back (a restored backup), a uid can't."""
    return (script_root, "blog", collection.uid, collection.content_version, page, tag)


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
