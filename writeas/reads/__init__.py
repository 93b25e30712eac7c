"""The read side: snapshots of posts and blogs, their content versions, the view counter and
the page cache, behind one `Reads` object that the factory builds once per app.

Reading is the hot path. The WSGI front answers some reads without an app context (pushing
one would cost a fifth of a raw read), so what a read needs is held by this object rather
than looked up through Flask: the front makes its app's `Reads` current for the call
(`SERVING`), and inside a request `current()` finds it on the app.

May import: `writeas.core` only (and `writeas.settings`).
"""

from contextvars import ContextVar
from functools import cached_property

from flask import Flask, current_app

from writeas.core.db import db
from writeas.reads import snapshots
from writeas.reads.page_cache import PageCache
from writeas.reads.view_counts import ViewCounter

EXTENSION = "writeas.reads"
# Set by the WSGI front around its calls (set and reset by hand: a context manager would
# cost a tenth of a raw read).
SERVING: ContextVar["Reads | None"] = ContextVar("reads_serving", default=None)


class Reads:
    def __init__(self, app: Flask, view_flush_seconds: float, page_cache_bytes: int):
        self._app = app
        self.views = ViewCounter(app, view_flush_seconds)
        self.pages = PageCache(page_cache_bytes)
        # Ready answers (`writeas.front`): a page's bytes a second time, so half as much.
        self.answers = PageCache(page_cache_bytes // 2)

    @cached_property
    def engine(self):
        """Looked up once, on first use (the engine exists only once the app is set up);
        after that it is a plain attribute."""
        with self._app.app_context():
            return db.engine

    def post(self, post_id: str) -> snapshots.PostSnapshot | None:
        return snapshots.post(post_id, self.engine)

    def post_by_slug(self, collection_id: int, slug: str) -> snapshots.PostSnapshot | None:
        return snapshots.post_by_slug(collection_id, slug, self.engine)

    def blog(self, alias: str) -> snapshots.BlogSnapshot | None:
        return snapshots.blog(alias, self.engine)

    def generation(self) -> tuple[int, int] | None:
        return snapshots.generation(self.engine)

    def body_html(self, post_id: str) -> str:
        return snapshots.body_html(post_id, self.engine)

    def views_of(self, post) -> int:
        """Stored views plus those still waiting for the next flush."""
        return post.views + self.views.pending(post.id)


def current() -> Reads:
    return SERVING.get() or current_app.extensions[EXTENSION]
