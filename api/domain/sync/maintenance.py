"""Keeping the change feed small: old entries go, and devices behind them resync."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.sync.pull import FEED_FLOOR
from api.models import Change, Counter

DEFAULT_RETENTION = timedelta(days=90)
"""Feed entries (tombstones included) are kept this long; a device away longer resyncs."""


async def prune_feed(
    session: AsyncSession, *, now: datetime, keep: timedelta = DEFAULT_RETENTION
) -> int:
    """Delete feed entries older than ``keep`` and raise the floor; returns how many went.

    A cursor below the floor gets a resync answer: the device drops its replica (never its
    outbox) and primes again.
    """
    cutoff = now - keep
    top = await session.scalar(select(func.max(Change.seq)).where(Change.at < cutoff))
    if top is None:
        return 0
    result = await session.execute(delete(Change).where(Change.seq <= top))
    floor = await session.get(Counter, FEED_FLOOR, with_for_update=True)
    if floor is None:
        session.add(Counter(name=FEED_FLOOR, value=top))
    else:
        floor.value = max(floor.value, top)
    await session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
