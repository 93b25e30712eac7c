"""Rendered answers kept per process, bounded by size (PAGE_CACHE_MB), with an optional
expiry per entry. What goes in (a page with its validators, highlighted code) and under
which key is `web.pagecache`'s business; this is the store. An entry's size is `len()` of
what it holds."""

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from writeas.core.clock import utcnow


class PageCache:
    def __init__(self, max_chars: int):
        self._max_chars = max_chars
        self._entries: OrderedDict[tuple, tuple[Any, datetime | None]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        entry = self.entry(key)
        return None if entry is None else entry[0]

    def entry(self, key: tuple) -> tuple[Any, datetime | None] | None:
        """(value, until when it holds) for a live entry: what is made from it holds no
        longer than it does."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires = entry[1]
            if expires is not None and utcnow() >= expires:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, value: Any, expires: datetime | None = None) -> None:
        if len(value) > self._max_chars // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (value, expires)
            self._chars += len(value)
            while self._chars > self._max_chars:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        value, _expires = self._entries.pop(key)
        self._chars -= len(value)
