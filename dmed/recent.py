"""Answers a process may reuse for a few seconds: who a token or an API key is, where a
member of staff works. Hot API paths would otherwise pay a query for each on every request.

The bound is the point: a revoked token or key, a deactivated user or an ended staff record
keeps acting in another process for at most settings.AUTH_CACHE_SECONDS; the process
that made the change forgets at once (the owners call `forget` from their writes).
Entries are per process (gunicorn's workers share nothing), few and small; the oldest
goes when a cache is full.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from django.conf import settings

_ALL: list[RecentAnswers] = []


def clock() -> float:
    """Seconds on a clock that never goes back; tests move it forward."""
    return time.monotonic()


class RecentAnswers:
    def __init__(self, name: str, *, size: int = 10_000):
        self.name = name
        self.size = size
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def __repr__(self) -> str:
        return f"<RecentAnswers {self.name}: {len(self._entries)} of {self.size}>"

    def get(self, key: Hashable, load: Callable[[], object]) -> object:
        """The answer for `key` if found less than AUTH_CACHE_SECONDS ago, else `load()`'s
        (kept unless it is None: an unknown key is asked again next time)."""
        now = clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry[0] < settings.AUTH_CACHE_SECONDS:
            return entry[1]
        answer = load()
        with self._lock:
            if answer is None:
                self._entries.pop(key, None)
            else:
                if len(self._entries) >= self.size and key not in self._entries:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = (now, answer)
        return answer

    def forget(self, matches: Callable[[Hashable, object], bool] | None = None) -> None:
        """Forget the entries `matches(key, answer)` (every entry without it)."""
        with self._lock:
            if matches is None:
                self._entries.clear()
            else:
                for key in [k for k, (_at, a) in self._entries.items() if matches(k, a)]:
                    del self._entries[key]


def forget_everything() -> None:
    """Every cache of the process, empty (between tests)."""
    for answers in _ALL:
        answers.forget()
