"""A small cache for what the Coding page looks up on every rerun, keyed on the project's revision."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any

from store.db import database_url


class RevisionCache:
    """A small LRU of values that are immutable once made, for the page's per-rerun lookups.

    Every key holds the database URL and the project's latest event id (or an immutable text version), so an entry
    is never stale; st.cache_resource would do the same but hashes its arguments through `inspect` on every call,
    which cost more than the rest of the lookup (bench/README.md). Shared by all sessions, like a resource cache;
    two sessions missing at once both compute, and one result is kept.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, function):  # type: ignore[no-untyped-def]
        @functools.wraps(function)
        def cached(*args):  # type: ignore[no-untyped-def]
            key = (database_url(), *args)
            with self.lock:
                if key in self.entries:
                    self.entries.move_to_end(key)
                    return self.entries[key]
            value = function(*args)
            with self.lock:
                self.entries[key] = value
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)
            return value

        cached.clear = self.entries.clear  # type: ignore[attr-defined]
        return cached
