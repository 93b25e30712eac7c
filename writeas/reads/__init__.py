"""The read side: snapshots of posts and blogs, their content versions, the view counter and
the page cache, behind one `Reads` object that the factory builds once per app.

Reading is the hot path. The WSGI front answers some reads without an app context (pushing
one would cost a fifth of a raw read), so what a read needs is held by this object rather
than looked up through Flask: the front makes its app's `Reads` current for the call
(`serving`), and inside a request `current()` finds it on the app.

May import: `writeas.core` only (and `writeas.settings`).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app

from writeas.core.db import db
from writeas.reads import snapshots
from writeas.reads.page_cache import PageCache
from writeas.reads.view_counts import ViewCounter

EXTENSION = "writeas.reads"
_serving: ContextVar["Reads | None"] = ContextVar("reads_serving", default=None)


class Reads:
    def __init__(self, app: Flask, view_flush_seconds: float, page_cache_bytes: int):
        self._app = app
        self._engine = None
        self.views = ViewCounter(app, view_flush_seconds)
        self.pages = PageCache(page_cache_bytes)

    @property
    def engine(self):
        if self._engine is None:
            with self._app.app_context():
                self._engine = db.engine
        return self._engine

    def post(self, post_id: str) -> snapshots.PostSnapshot | None:
        return snapshots.post(post_id, self.engine)

    def post_by_slug(self, collection_id: int, slug: str) -> snapshots.PostSnapshot | None:
        return snapshots.post_by_slug(collection_id, slug, self.engine)

    def blog(self, alias: str) -> snapshots.BlogSnapshot | None:
        return snapshots.blog(alias, self.engine)

    def body_html(self, post_id: str) -> str:
        return snapshots.body_html(post_id, self.engine)

    def views_of(self, post) -> int:
        """Stored views plus those still waiting for the next flush."""
        return post.views + self.views.pending(post.id)


def current() -> Reads:
    return _serving.get() or current_app.extensions[EXTENSION]


@contextmanager
def serving(reads: Reads):
    """Make `reads` current outside an app context (the WSGI front)."""
    token = _serving.set(reads)
    try:
        yield
    finally:
        _serving.reset(token)
