"""The signing key file, SQL parameters kept out of logs, a busy database answered 503, and
what building the app leaves running."""

from __future__ import annotations

import asyncio
import stat
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from asyncpg.exceptions import DeadlockDetectedError, SerializationError, UndefinedColumnError
from litestar import get
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.app import create_app
from api.db import WAL_KEEP_BYTES, WAL_VALVE_PAGES, Database
from api.guards import allow
from api.migrate import upgrade
from api.models import Role, User
from api.settings import Settings
from tests.helpers import PASSWORD_HASH, World, login

SECRET_HASH = "$argon2id$never-in-a-log-" + uuid.uuid4().hex


def test_a_short_configured_secret_key_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="too-short")
    with pytest.raises(ValueError, match="at least 32"):
        settings.effective_secret_key()


def test_building_the_app_starts_no_thread(tmp_path: Path) -> None:
    # Threads belong to a running app (its lifespan); an app only built (a test's, a CLI
    # command's) must not leave one behind, as Litestar's default logging config did.
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'f.db'}",
        secret_key="k" * 40,
    )
    before = set(threading.enumerate())
    for _ in range(3):
        create_app(settings)
    assert set(threading.enumerate()) - before == set()


def test_a_short_stored_secret_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(ValueError, match="secret_key has 5 characters; at least 32"):
        Settings(data_dir=tmp_path).effective_secret_key()


def test_processes_starting_together_agree_on_one_whole_key(tmp_path: Path) -> None:
    keys: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def first_start(n: int) -> None:
        try:
            start.wait()
            keys.append(Settings(data_dir=tmp_path / "data").effective_secret_key())
        except BaseException as exc:  # a half-written key read back fails the length check
            errors.append(exc)

    threads = [threading.Thread(target=first_start, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(keys)) == 1
    path = tmp_path / "data" / "secret_key"
    assert path.read_text() == keys[0]
    assert len(keys[0]) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"], "no temporary file left"


def test_a_new_data_folder_is_its_owners_alone(tmp_path: Path) -> None:
    # It holds the database (customers' data, password hashes) and the photos: SQLite makes
    # its file readable by everyone (0644), so the folder is what keeps others out.
    from click.testing import CliRunner

    from api.cli import main

    data = tmp_path / "new" / "data"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"FIELDSYNC_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


async def test_sql_parameters_never_reach_errors_or_logs(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def user() -> User:
        return User(
            username="twice", display_name="x", password_hash=SECRET_HASH, role=Role.ENGINEER
        )

    async with db.write() as session:
        session.add(user())
    with pytest.raises(IntegrityError) as raised:
        async with db.write() as session:
            session.add(user())
    assert SECRET_HASH not in str(raised.value)
    assert SECRET_HASH not in caplog.text


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("UPDATE jobs", {}, Exception("database is locked")),
        OperationalError("SELECT 1", {}, Exception("canceling statement due to lock timeout")),
        PoolTimeout("QueuePool limit of size 1 overflow 0 reached, connection timed out"),
        # asyncpg's deadlock and serialisation failure reach us as plain DBAPIErrors; the
        # second says nothing of "busy" or "deadlock", only its SQLSTATE tells.
        DBAPIError("INSERT INTO stock_levels", {}, DeadlockDetectedError("deadlock detected")),
        DBAPIError(
            "UPDATE jobs",
            {},
            SerializationError("could not serialize access due to concurrent update"),
        ),
        IntegrityError("UPDATE jobs", {}, DeadlockDetectedError("deadlock detected")),
    ],
    ids=["sqlite-locked", "lock-timeout", "pool", "pg-deadlock", "pg-serialisation", "integrity"],
)
async def test_a_busy_database_is_a_503_with_retry_after(
    settings: Settings, db: Database, world: World, error: Exception
) -> None:
    @get("/busy", opt=allow(*Role), sync_to_thread=False)
    def busy() -> str:
        raise error

    app = create_app(settings, db=db)
    app.register(busy)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/busy", headers=await login(client, "desk"))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "busy" in response.json()["detail"]


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT x", {}, Exception("no such column: x")),
        DBAPIError("SELECT x", {}, UndefinedColumnError('column "x" does not exist')),
    ],
    ids=["sqlite", "postgres"],
)
async def test_other_driver_errors_stay_internal_errors(
    settings: Settings, db: Database, world: World, error: Exception
) -> None:
    @get("/broken", opt=allow(*Role), sync_to_thread=False)
    def broken() -> str:
        raise error

    app = create_app(settings, db=db)
    app.register(broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/broken", headers=await login(client, "desk"))
    assert response.status_code == 500


async def test_the_wal_is_checkpointed_beside_the_writer_not_in_its_commit(
    tmp_path: Path,
) -> None:
    # The writer's own checkpoint is only a distant safety valve; the checkpoint thread copies
    # the WAL back after writes, and stops when the database is closed.
    path = tmp_path / "ckpt.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    db = Database(url)
    assert db.checkpointer is not None
    db.checkpointer.interval = 0.05
    try:
        async with db.write() as session:
            valve = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
            assert valve == WAL_VALVE_PAGES
            limit = (await session.execute(text("PRAGMA journal_size_limit"))).scalar()
            assert limit == WAL_KEEP_BYTES
            for n in range(200):
                session.add(
                    User(
                        username=f"user{n}",
                        display_name="x" * 200,
                        password_hash=PASSWORD_HASH,
                        role=Role.ENGINEER,
                    )
                )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            last = db.checkpointer.last
            if last is not None and last[1] > 0 and last[1] == last[2]:
                break
            await asyncio.sleep(0.05)
        last = db.checkpointer.last
        assert last is not None, "the checkpoint thread ran after the write"
        assert last[1] > 0, "the write went to the WAL"
        assert last[1] == last[2], f"every WAL frame was copied back: {last}"
    finally:
        await db.dispose()
    runs = db.checkpointer.runs
    await asyncio.sleep(0.2)
    assert db.checkpointer.runs == runs, "disposed: the thread is gone"
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 200
    await db.dispose()
