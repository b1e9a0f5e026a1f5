"""Human numbers such as FS-2026-000123, from a counter row updated in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Counter


async def next_value(session: AsyncSession, name: str) -> int:
    """Increment and return counter ``name``, creating it at 1."""
    result = await session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = result.scalar_one_or_none()
    if value is not None:
        return value
    try:
        async with session.begin_nested():
            await session.execute(insert(Counter).values(name=name, value=1))
        return 1
    except IntegrityError:
        # Another transaction created it first; its row is now there to increment.
        return (
            await session.execute(
                update(Counter)
                .where(Counter.name == name)
                .values(value=Counter.value + 1)
                .returning(Counter.value)
            )
        ).scalar_one()


async def next_number(session: AsyncSession, prefix: str, year: int) -> str:
    """The next number of a kind in a year: ``FS-2026-000123`` for prefix ``FS``."""
    value = await next_value(session, f"{prefix}-{year}")
    return f"{prefix}-{year}-{value:06d}"


async def peek(session: AsyncSession, name: str) -> int:
    """The counter's current value (0 when unused)."""
    value = (await session.execute(select(Counter.value).where(Counter.name == name))).scalar()
    return value or 0
