"""Rendered HTML kept per process, bounded by size (PAGE_CACHE_MB), with an optional expiry
per entry. What goes in and under which key is `web.pagecache`'s business; this is the
store."""

import threading
from collections import OrderedDict
from datetime import datetime

from writeas.core.clock import utcnow


class PageCache:
    def __init__(self, max_chars: int):
        self._max_chars = max_chars
        self._entries: OrderedDict[tuple, tuple[str, datetime | None]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            html, expires = entry
            if expires is not None and utcnow() >= expires:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: str, expires: datetime | None = None) -> None:
        if len(html) > self._max_chars // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (html, expires)
            self._chars += len(html)
            while self._chars > self._max_chars:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        html, _expires = self._entries.pop(key)
        self._chars -= len(html)
