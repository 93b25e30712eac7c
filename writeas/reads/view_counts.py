"""Page-view counting that never turns a read into a synchronous write.

Reads add to an in-process tally; a background thread folds the tallies into the posts
table every few seconds in one short transaction, so a popular post costs one row's update
per interval instead of one per read, and a thousand posts one UPDATE. A flush that fails
keeps its tallies for the next try, and the process flushes once more when it exits, so
only a hard kill can drop the last interval's counts (views are statistics, not
acknowledged writes).
"""

import atexit
import logging
import os
import threading
from collections import Counter

from sqlalchemy import case, update

from writeas.core.db import db
from writeas.core.models import Post

log = logging.getLogger(__name__)

# Posts per UPDATE: well inside SQLite's 32,766 bound parameters (three per post).
FLUSH_CHUNK = 1000


class ViewCounter:
    def __init__(self, app, interval: float):
        self._app = app
        self._interval = interval
        self._pending: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.flush)
        # A forked child has none of its parent's threads: it starts its own flusher (and
        # counts from nothing: the parent flushes what it had).
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self._lock = threading.Lock()
        self._pending = Counter()
        self._thread = None

    def record(self, post_id: str) -> None:
        with self._lock:
            self._pending[post_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="view-counter", daemon=True)
                self._thread.start()

    def pending(self, post_id: str) -> int:
        with self._lock:
            return self._pending.get(post_id, 0)

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, Counter()
        if not batch:
            return
        try:
            with self._app.app_context():
                # One statement per chunk: the flush holds the write lock until its
                # commit, and every other writer waits. Sorted, so concurrent flushers take
                # rows in the same order; a deadlock PostgreSQL still finds fails the flush,
                # and its tallies wait for the next.
                ids = sorted(batch)
                for start in range(0, len(ids), FLUSH_CHUNK):
                    chunk = {post_id: batch[post_id] for post_id in ids[start:start + FLUSH_CHUNK]}
                    db.session.execute(
                        update(Post)
                        .where(Post.id.in_(chunk))
                        .values(views=Post.views + case(chunk, value=Post.id, else_=0))
                        .execution_options(synchronize_session=False)
                    )
                db.session.commit()
        except Exception:
            log.exception("Could not save %d view counts; will retry", len(batch))
            with self._lock:
                self._pending.update(batch)

    def _run(self) -> None:
        while not self._wake.wait(self._interval):
            self.flush()
