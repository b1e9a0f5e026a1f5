"""api/bulk.py: rows written at once (executemany; one array per column on PostgreSQL) are
stored as the ORM stores them, and refused where the ORM's INSERT would be."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.bulk import insert_rows
from api.db import Database
from api.models import AuditLog

AT = datetime(2026, 11, 28, 3, 4, 5, 678901, tzinfo=UTC)
VALUES: list[dict[str, Any]] = [
    {"before": None, "after": {"body": 'he said "hi"\n中文 \\ /', "n": [1, 2.5, None, True]}},
    {"before": {}, "after": {"k": None}, "job_id": uuid.uuid4(), "actor_id": uuid.uuid4()},
    {"before": {"price": "12.50"}, "after": None, "request_id": "r-1", "action": "update"},
]


def _row(kind: str, i: int, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "at": AT,
        "actor_id": None,
        "request_id": "",
        "entity": kind,
        "entity_id": f"row-{i}",
        "job_id": None,
        "action": "insert",
        "before": None,
        "after": None,
    }
    row.update(values)
    return row


def _stored(entry: AuditLog) -> tuple[Any, ...]:
    return (
        entry.entity_id,
        entry.at,
        entry.actor_id,
        entry.request_id,
        entry.job_id,
        entry.action,
        entry.before,
        entry.after,
    )


async def _read(db: Database, kind: str) -> list[tuple[Any, ...]]:
    async with db.read() as session:
        query = select(AuditLog).where(AuditLog.entity == kind).order_by(AuditLog.entity_id)
        return [_stored(entry) for entry in await session.scalars(query)]


async def _write(db: Database, *batches: list[dict[str, Any]]) -> None:
    async with db.write() as session:
        for rows in batches:
            await insert_rows(session, AuditLog.__table__, rows)


async def test_rows_written_at_once_read_back_as_the_orm_writes_them(db: Database) -> None:
    await _write(db, [_row("bulk", i, v) for i, v in enumerate(VALUES)])
    async with db.write() as session:
        session.add_all(AuditLog(**_row("orm", i, v)) for i, v in enumerate(VALUES))
    bulk, orm = await _read(db, "bulk"), await _read(db, "orm")
    assert len(bulk) == len(VALUES)
    assert bulk == orm
    assert bulk[0][7] == VALUES[0]["after"], "JSON comes back as it went in"
    assert bulk[0][1] == AT, "the time keeps its microseconds and its zone"


async def test_a_text_too_long_for_its_column_is_refused_or_kept_whole_never_cut(
    db: Database,
) -> None:
    long = "x" * 41  # entity is String(40)
    if db.sqlite:  # SQLite keeps any length
        await _write(db, [_row(long, 0, {})])
        assert len(await _read(db, long)) == 1
        return
    with pytest.raises(DBAPIError, match="too long"):
        await _write(db, [_row(long, 0, {})])
    assert await _read(db, long) == []


async def test_an_id_used_twice_is_refused_and_nothing_of_the_rows_stays(db: Database) -> None:
    first = _row("twice", 0, {})
    with pytest.raises(IntegrityError):
        await _write(db, [first, _row("twice", 1, {})], [_row("twice", 2, {}), first])
    assert await _read(db, "twice") == []
