"""Bulk INSERTs of many new rows, handed to the driver in one executemany.

A push of 200 notes writes 800 rows (the notes, their audit entries, their feed entries, the
mutation log). Through ``session.execute(insert(table), rows)`` SQLAlchemy converts every value
of every row with its generic per-parameter machinery, which cost more than the database's own
work. Here each table's statement is compiled once per dialect, the columns' own bind processors
(the very functions SQLAlchemy would apply) are looked up once, and the rows become positional
tuples in a tight loop. Values that repeat across rows (a push's timestamp) are converted once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    keys: tuple[str, ...]
    processors: tuple[Processor | None, ...]
    memo: tuple[bool, ...]
    """Whether a column's converted values are worth remembering within one call."""


_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan | None] = {}


def _plan(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """The compiled statement and converters, or None where the driver takes named params."""
    cache_key = (table.name, dialect.name, keys)
    if cache_key in _PLANS:
        return _PLANS[cache_key]
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    order = compiled.positiontup
    plan = None
    if order is not None and sorted(order) == sorted(keys):
        columns = [table.c[name] for name in order]
        plan = _Plan(
            sql=str(compiled),
            keys=tuple(order),
            processors=tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns),
            memo=tuple(is_timestamp(c) for c in columns),
        )
    _PLANS[cache_key] = plan
    return plan


def is_timestamp(column: Any) -> bool:
    """Whether a column holds date and time (decorated types unwrapped)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, DateTime)


def _converter(processor: Processor, memo: bool) -> Processor:
    if not memo:
        return processor
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = processor(value)
            return result

    return convert


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in the session's transaction."""
    if not rows:
        return
    connection = await session.connection()
    keys = tuple(rows[0])
    plan = _plan(table, connection.dialect, keys)
    if plan is None:
        await connection.execute(table.insert(), list(rows))
        return
    steps = [
        (key, _converter(proc, memo) if proc is not None else None)
        for key, proc, memo in zip(plan.keys, plan.processors, plan.memo, strict=True)
    ]
    params = [
        tuple(row[key] if proc is None else proc(row[key]) for key, proc in steps) for row in rows
    ]
    await connection.exec_driver_sql(plan.sql, params)
