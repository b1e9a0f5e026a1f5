"""Bulk INSERTs of many new rows, handed to the driver at once (executemany; arrays on PostgreSQL).

A push of 200 notes writes 800 rows (the notes, their audit entries, their feed entries, the
mutation log). Through ``session.execute(insert(table), rows)`` SQLAlchemy converts every value
of every row with its generic per-parameter machinery, which cost more than the database's own
work. Here each table's statement is compiled once per dialect, the columns' own bind processors
(the very functions SQLAlchemy would apply) are looked up once, and the rows become positional
tuples in a loop generated for the column list. Values that repeat across rows (a push's
timestamp, the job and author its notes share) are converted once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, DateTime, Table, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    processors: tuple[Processor | None, ...]
    memo: tuple[bool, ...]
    """Whether a column's converted values are worth remembering within one call."""
    build: Callable[[Sequence[dict[str, Any]], tuple[Processor | None, ...]], list[tuple[Any, ...]]]
    """Makes the parameter tuples: generated for this column list, so the loop over the rows
    does no per-column work beyond the conversion itself."""
    arrays: bool = False
    """One execution with a list per column (see :func:`_by_arrays`), not one per row."""


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
        processors = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
        arrays = _by_arrays(dialect)
        plan = _Plan(
            sql=_unnest_sql(table, columns, dialect) if arrays else str(compiled),
            processors=processors,
            memo=tuple(_repeats(c) for c in columns),
            build=_builder(tuple(order), processors),
            arrays=arrays,
        )
    _PLANS[cache_key] = plan
    return plan


def _by_arrays(dialect: Dialect) -> bool:
    """Whether rows go as one array per column in a single statement (PostgreSQL by asyncpg).

    asyncpg's executemany sends a bind and an execute per row; a push's 800 rows spent a third
    of the push there. ``INSERT ... SELECT * FROM unnest($1::uuid[], ...)`` is one statement,
    prepared once per column list, whatever the number of rows."""
    return dialect.name == "postgresql" and dialect.paramstyle == "numeric_dollar"


def _unnest_sql(table: Table, columns: Sequence[Any], dialect: Dialect) -> str:
    """``INSERT INTO t (a, b) SELECT * FROM unnest($1::T[], $2::U[])``: the rows as arrays.

    Each array is of the column's type without its length or precision: an explicit cast to
    ``varchar(40)`` would cut a longer text silently, where the INSERT's own (assignment) cast
    refuses it, as a row-by-row INSERT would."""
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.format_column(c) for c in columns)
    arrays = ", ".join(
        f"${i}::{_LENGTH.sub('', c.type.compile(dialect=dialect))}[]"
        for i, c in enumerate(columns, start=1)
    )
    # Names and types come from our own metadata, quoted by the dialect; values are parameters.
    into = preparer.format_table(table)
    return f"INSERT INTO {into} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608


_LENGTH = re.compile(r"\([^)]*\)")


def _builder(
    keys: tuple[str, ...], processors: tuple[Processor | None, ...]
) -> Callable[[Sequence[dict[str, Any]], tuple[Processor | None, ...]], list[tuple[Any, ...]]]:
    """A function turning rows (dicts) into tuples in ``keys`` order, each value through its
    column's converter (given at call time, as ``p0``, ``p1`` …; None: taken as it is)."""
    items = ", ".join(
        f"row[{key!r}]" if proc is None else f"p{i}(row[{key!r}])"
        for i, (key, proc) in enumerate(zip(keys, processors, strict=True))
    )
    unpack = ", ".join(f"p{i}" for i in range(len(keys)))
    source = (
        f"def build(rows, converters):\n"
        f"    {unpack}, = converters\n"
        f"    return [({items},) for row in rows]\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102  (keys are our own column names, quoted by repr)
    build: Callable[..., list[tuple[Any, ...]]] = namespace["build"]
    return build


def _repeats(column: Any) -> bool:
    """Whether a column's values repeat across the rows of one write (a push's time, the job
    and author its notes share): their converted forms are then remembered within a call."""
    if is_timestamp(column):
        return True
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, Uuid) and not column.primary_key


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
    if rows:
        connection = await session.connection()
        await connection.run_sync(insert_rows_now, table, rows)


def insert_rows_now(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """:func:`insert_rows` on a synchronous connection (in a session event, say)."""
    if not rows:
        return
    plan = _plan(table, connection.dialect, tuple(rows[0]))
    if plan is None:
        connection.execute(table.insert(), list(rows))
    elif plan.arrays:
        columns = tuple(list(values) for values in zip(*_params(plan, rows), strict=True))
        connection.exec_driver_sql(plan.sql, columns)
    else:
        connection.exec_driver_sql(plan.sql, _params(plan, rows))


def _params(plan: _Plan, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    converters = tuple(
        _converter(proc, memo) if proc is not None else None
        for proc, memo in zip(plan.processors, plan.memo, strict=True)
    )
    return plan.build(rows, converters)
