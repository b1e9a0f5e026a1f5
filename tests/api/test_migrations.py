"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from api.db import Database
from api.migrate import downgrade, upgrade
from api.models import Base


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
