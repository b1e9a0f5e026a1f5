"""Login throttling: a sliding window of failures per key, held in this process."""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Allows at most ``limit`` failures per key within ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            hits = self._trim(key, now)
            if len(hits) < self.limit:
                return 0
            return max(1, int(hits[0] + self.window - now) + 1)

    def hit(self, key: str) -> None:
        """Count a failure of ``key``."""
        now = time.monotonic()
        with self._lock:
            self._trim(key, now).append(now)
            if len(self._hits) > 100_000:
                # Bound memory under a spray of usernames: forget keys with no recent failure.
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        with self._lock:
            self._hits.pop(key, None)
