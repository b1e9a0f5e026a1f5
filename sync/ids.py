"""UUIDv7 identifiers: time-ordered, so indexes stay compact, and makeable offline by a device."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_pool = b""
"""Random bytes read ahead from the OS, 4 KiB at a time (a syscall per id was a cost)."""


def _random(n: int) -> int:
    global _pool
    if len(_pool) < n:
        _pool = os.urandom(4096)
    chunk, _pool = _pool[:n], _pool[n:]
    return int.from_bytes(chunk, "big")


def _forget_pool() -> None:
    global _pool
    _pool = b""  # a forked child must not hand out its parent's random bytes


os.register_at_fork(after_in_child=_forget_pool)


def uuid7() -> uuid.UUID:
    """Return a new RFC 9562 version 7 UUID, monotonic within this process."""
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same (or earlier) millisecond: bump a 12-bit counter so ids stay ordered.
            _seq += 1
            if _seq > 0xFFF:
                _last_ms += 1
                _seq = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _seq = _random(2) & 0x7FF
        rand_b = _random(8) & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= _seq << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)
