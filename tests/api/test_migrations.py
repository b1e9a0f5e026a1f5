"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Connection

from api.db import Database
from api.migrate import downgrade, upgrade
from api.models import Assignment, Base, Job
from sync.rules.lifecycle import JobStatus
from tests.api.visits import dispatched_job, phone_of
from tests.helpers import World, login


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_models_and_migrations_agree(db_url: str, db: Database) -> None:
    async with db.write_engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], "run `fieldsync db revision` to add a migration for the model change"


async def test_migrations_go_down_to_nothing_and_up_again(db_url: str, db: Database) -> None:
    await db.dispose()
    downgrade(db_url, "base")
    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(_tables) <= {"alembic_version"}
    upgrade(db_url)
    async with db.write_engine.connect() as conn:
        tables = await conn.run_sync(_tables)
        assert {"jobs", "users", "audit_log", "part_lines"} <= tables
        assert await conn.run_sync(_diff) == []


async def test_jobs_closed_before_0008_leave_the_phones_that_hold_them(
    db_url: str, db: Database, client: httpx.AsyncClient, world: World
) -> None:
    desk = await login(client, "desk")
    closed, still_open = [await dispatched_job(client, world, desk) for _ in range(2)]
    phone = phone_of(client)
    await phone.sync()
    assert phone.get("jobs", closed) is not None
    assert phone.get("jobs", still_open) is not None
    # Closed by an earlier version: the job's assignment was left open.
    when = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    async with db.write_engine.begin() as conn:
        await conn.execute(
            update(Job)
            .where(Job.id == uuid.UUID(closed))
            .values(status=JobStatus.CLOSED, closed_at=when)
        )
    await phone.pull()
    assert phone.get("jobs", closed) is not None
    await db.dispose()
    downgrade(db_url, "0007")
    upgrade(db_url)
    await phone.pull()
    assert phone.get("jobs", closed) is None
    assert phone.get("jobs", still_open) is not None
    async with db.read() as session:
        rows = await session.execute(select(Assignment.job_id, Assignment.ended_at))
        ended = {job_id: at for job_id, at in rows}
    assert ended == {uuid.UUID(closed): when, uuid.UUID(still_open): None}
