"""Login throttling: sliding windows of attempts, held in this process's memory.

An attempt is counted before the password is checked (reserved) and taken back when the
password was right, so a burst of concurrent guesses is limited like a slow series.
Each app process counts on its own (see docs/architecture.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from litestar.exceptions import TooManyRequestsException

from api.error_codes import ErrorCode


class SlidingWindowLimiter:
    """Allows at most ``limit`` counted attempts per key within ``window`` seconds."""

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

    def _wait(self, hits: deque[float], now: float) -> int:
        if len(hits) < self.limit:
            return 0
        return max(1, int(hits[0] + self.window - now) + 1)

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            return self._wait(self._trim(key, now), now)

    def hit(self, key: str, at: float | None = None) -> None:
        """Count an attempt of ``key`` (at monotonic time ``at``, default now)."""
        now = time.monotonic() if at is None else at
        with self._lock:
            self._trim(key, now).append(now)
            if len(self._hits) > 100_000:
                # Bound memory under a spray of usernames: forget keys with no recent attempt.
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]

    def take_back(self, key: str, at: float) -> None:
        """Uncount the attempt of ``key`` made at ``at`` (it succeeded)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits is not None and at in hits:
                hits.remove(at)

    def reset(self, key: str) -> None:
        """Forget the attempts of ``key`` (after a successful login)."""
        with self._lock:
            self._hits.pop(key, None)


@dataclass(frozen=True)
class Attempt:
    """A login attempt counted in every window; hand it back on success."""

    pair: str
    username: str
    address: str
    at: float
    known: bool = False
    """From a device bound to the user already: counted in the username window of such."""


class LoginThrottle:
    """Three windows of login attempts: per username and address (one guesser), per username
    alone (guessing from many addresses) and per address (one address spraying usernames).
    The last two allow ``wide_factor`` times as many attempts as the first."""

    def __init__(self, limit: int, window: float, *, wide_factor: int = 5) -> None:
        self.pair = SlidingWindowLimiter(limit, window)
        self.username = SlidingWindowLimiter(limit * wide_factor, window)
        self.known = SlidingWindowLimiter(limit * wide_factor, window)
        """Per username, for logins from devices bound to that user: a window of their own."""
        self.address = SlidingWindowLimiter(limit * wide_factor, window)
        self._lock = threading.Lock()

    def reserve(self, username: str, address: str, *, known: bool = False) -> Attempt | int:
        """Count an attempt in all three windows, or in none: the attempt, or the seconds to
        wait before one is allowed.

        ``known``: the attempt comes from a device the user has signed in on before (its id,
        made by the app and kept on the device, is bound to them). It is counted per username
        in a window of its own: else anyone could lock a user out of every device they own by
        guessing from a few addresses. Device ids are not secrets (other staff see them), so
        that window limits guesses made with one as the other limits the rest.
        """
        name = username.lower()
        pair = f"{name}|{address}"
        wide = self.known if known else self.username
        with self._lock:
            wait = max(
                self.pair.retry_after(pair),
                wide.retry_after(name),
                self.address.retry_after(address),
            )
            if wait:
                return wait
            at = time.monotonic()
            self.pair.hit(pair, at)
            wide.hit(name, at)
            self.address.hit(address, at)
        return Attempt(pair=pair, username=name, address=address, at=at, known=known)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget this username's failures from this address, and
        uncount the attempt in the wide windows (others' failures there still count)."""
        self.pair.reset(attempt.pair)
        (self.known if attempt.known else self.username).take_back(attempt.username, attempt.at)
        self.address.take_back(attempt.address, attempt.at)


def address_limiter(state: Any, name: str, limit: int, window: float) -> SlidingWindowLimiter:
    """The app's limiter called ``name`` (made on first use, kept in the app's state)."""
    if name not in state:
        state[name] = SlidingWindowLimiter(limit, window)
    limiter: SlidingWindowLimiter = state[name]
    return limiter


class TooMany(TooManyRequestsException):
    """A 429 with ``Retry-After``, its error code and the wait in seconds; without the code
    (``coded`` False) where the refusal says more than "too many, wait" (a phone number to call
    instead), so that a client shows the whole of it."""

    def __init__(self, refusal: str, wait: int, *, coded: bool = True) -> None:
        super().__init__(
            detail=f"{refusal}; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
        self.code = ErrorCode.TOO_MANY if coded else None
        self.params: dict[str, str | int] | None = {"seconds": wait} if coded else None


def spend(limiter: SlidingWindowLimiter, key: str, refusal: str, *, coded: bool = True) -> None:
    """Count one call of ``key``, or refuse it with 429 and ``Retry-After`` when over the limit.

    ``refusal`` says what was refused; the wait is added to it (``coded``: see :class:`TooMany`).
    """
    wait = limiter.retry_after(key)
    if wait:
        raise TooMany(refusal, wait, coded=coded)
    limiter.hit(key)
