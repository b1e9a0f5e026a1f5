"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Connection

from api.db import Database
from api.migrate import downgrade, upgrade
from api.models import (
    Assignment,
    Base,
    Job,
    LocationKind,
    Part,
    Role,
    StockLevel,
    StockLocation,
    User,
)
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


async def test_0011_goes_down_and_up_with_its_parts_in_use(db_url: str, db: Database) -> None:
    # On SQLite a batch drop rebuilt `parts`, and with foreign keys on that failed as soon as a
    # stock level or a part line named a part: the rollback of any real installation.
    part_id, van_id = uuid.uuid4(), uuid.uuid4()
    async with db.write() as session:
        session.add(Part(id=part_id, code="P-0011", name="接触器", unit="个", unit_en="pc"))
        session.add(StockLocation(id=van_id, kind=LocationKind.VAN, name="0011 van"))
        await session.flush()
        session.add(StockLevel(location_id=van_id, part_id=part_id, quantity=Decimal(3)))
    await db.dispose()
    downgrade(db_url, "0010")
    async with db.write_engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {x["name"] for x in inspect(c).get_columns("parts")}
        )
    assert "unit_en" not in columns
    upgrade(db_url)
    async with db.read() as session:
        part = await session.get(Part, part_id)
        assert part is not None
        assert (part.name, part.unit_en) == ("接触器", ""), "kept, with no English unit again"
        level = await session.get(StockLevel, (van_id, part_id))
        assert level is not None
        assert level.quantity == 3


async def test_0012_gives_every_engineer_without_a_van_one(
    db_url: str, db: Database, world: World
) -> None:
    async with db.write() as session:
        vans_before = set(
            await session.scalars(
                select(StockLocation.engineer_id).where(StockLocation.engineer_id.is_not(None))
            )
        )
        # Made by an earlier version, without a van; one name already taken by a warehouse.
        session.add_all(
            [
                User(username="sun7", display_name="孙七", password_hash="x", role=Role.ENGINEER),
                User(username="zhou8", display_name="周八", password_hash="x", role=Role.ENGINEER),
                User(
                    username="desk9", display_name="吴九", password_hash="x", role=Role.DISPATCHER
                ),
                StockLocation(kind=LocationKind.WAREHOUSE, name="周八的车 Van zhou8"),
            ]
        )
    await db.dispose()
    downgrade(db_url, "0011")
    upgrade(db_url)
    async with db.read() as session:
        vans = {
            username: (location.name, location.kind)
            for username, location in await session.execute(
                select(User.username, StockLocation).join(
                    StockLocation, StockLocation.engineer_id == User.id
                )
            )
        }
        owners = list(
            await session.scalars(
                select(StockLocation.engineer_id).where(StockLocation.engineer_id.is_not(None))
            )
        )
    assert vans["sun7"] == ("孙七的车 Van sun7", LocationKind.VAN)
    assert vans["zhou8"][0].startswith("Van zhou8 ")
    assert "desk9" not in vans
    assert len(owners) == len(set(owners)) == len(vans_before) + 2, "one van each, kept ones kept"
