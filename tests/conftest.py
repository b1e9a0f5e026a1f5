"""Shared fixtures: migrated databases on SQLite and PostgreSQL, the app, users and logins.

Every test that takes ``db_url`` (directly or through ``app``/``client``) runs once per
backend. PostgreSQL is at ``FIELDSYNC_TEST_PG_URL`` (default 127.0.0.1:5432, user postgres);
where it is unreachable its cases are skipped, except with CI=true, where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.db import Database
from api.migrate import upgrade
from api.models import Asset, Contact, Customer, LocationKind, Role, Site, StockLocation, User
from api.settings import Settings
from sync.rules.warranty import warranty_end
from tests.helpers import PASSWORD_HASH, World, require
from tests.mailserver import smtp  # noqa: F401  (a fixture: the SMTP server of mail tests)

# The costliest files run first, each on one worker (`--dist loadfile`), so that the last
# files handed out are short and neither worker idles long at the end. The Makefile passes
# `--no-loadscope-reorder`: by default xdist hands out files with the most tests first, which
# left these few-test, slow files (the stateful test alone takes minutes) for the end
# (measured on one machine: 1,066 s with xdist's order, 1,032 s with this one). Order: wall
# time per file from `--durations`, longest first; the rest follow in collection order.
SLOW_FIRST = (
    "tests/sync/test_stateful.py",
    "tests/api/test_reports.py",
    "tests/e2e/test_office_flow.py",
    "tests/sync/test_crash.py",
    "tests/api/test_openapi_fuzz.py",
    "tests/e2e/test_console_people.py",
    "tests/e2e/test_console_catalogue.py",
    "tests/api/test_board.py",
    "tests/e2e/test_console_customers.py",
    "tests/e2e/test_server_restart.py",
    "tests/api/test_cli.py",
    "tests/sync/test_two_processes.py",
    "tests/api/test_served_app.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow files first, the rest in their usual order (a stable sort keeps each file's
    tests together and in order)."""
    ranks = {path: i for i, path in enumerate(SLOW_FIRST)}

    def rank(item: pytest.Item) -> int:
        return ranks.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST))

    items.sort(key=rank)


PG_URL = os.environ.get(
    "FIELDSYNC_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _pg_dsn(url: str) -> str:
    """asyncpg's form of a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _pg_url(database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the test server."""
    return PG_URL.rsplit("/", 1)[0] + "/" + database


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(_pg_dsn(PG_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> str | None:
    try:
        asyncio.run(_pg_exec("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not here"
        return f"PostgreSQL unreachable at {PG_URL}: {exc}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


class _PgClones:
    """Fresh copies of the migrated template, made and dropped on a thread of their own.

    A CREATE DATABASE from the template takes 0.2-0.5 s here, nearly all of it waiting for the
    disk (the copy is written to the WAL and flushed); made one test ahead and dropped behind,
    that wait overlaps the tests instead of adding to them. Each test still gets a database
    nobody has used.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clones")
        self.ahead: Future[str] | None = None

    def _create(self) -> str:
        name = f"fs_t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name

    def _drop(self, name: str) -> None:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def take(self) -> str:
        """A fresh database's name; the next one starts being made."""
        made = self.ahead or self.pool.submit(self._create)
        self.ahead = self.pool.submit(self._create)
        return made.result()

    def give_back(self, name: str) -> None:
        """Drop a used database (after the test, in the background)."""
        self.pool.submit(self._drop, name)

    def close(self) -> None:
        """Drop the one made ahead and wait for every drop."""
        if self.ahead is not None:
            with contextlib.suppress(Exception):
                self.pool.submit(self._drop, self.ahead.result())
            self.ahead = None
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[_PgClones]:
    """A migrated PostgreSQL database, and the copies of it each test gets."""
    reason = _pg_available()
    if reason:
        require(reason)
    name = f"fs_tmpl_{os.getpid()}"
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url(name))
    clones = _PgClones(name)
    try:
        yield clones
    finally:
        clones.close()
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "fieldsync.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    clones: _PgClones = request.getfixturevalue("pg_template")
    name = clones.take()
    try:
        yield _pg_url(name)
    finally:
        clones.give_back(name)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings pointing at the test database and a private data folder."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """The test database, opened."""
    database = Database(settings.effective_database_url)
    yield database
    await database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Litestar:
    """The application on the test database."""
    return create_app(settings, db=db)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, on the test's own event loop."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def world(db: Database) -> World:
    """Users of every role and a customer with a site and an asset in warranty."""

    def user(name: str, role: Role) -> User:
        return User(
            username=name, display_name=name.title(), password_hash=PASSWORD_HASH, role=role
        )

    async with db.write() as session:
        users = {
            "admin": user("admin", Role.ADMIN),
            "dispatcher": user("desk", Role.DISPATCHER),
            "supervisor": user("boss", Role.SUPERVISOR),
            "quality": user("qa", Role.QUALITY),
            "engineer": user("wang", Role.ENGINEER),
            "engineer2": user("li", Role.ENGINEER),
        }
        session.add_all(users.values())
        customer = Customer(
            code="C-1",
            name="上海浦东建工集团",
            phone="021-5555",
            contacts=[Contact(name="赵经理", phone="139")],
        )
        session.add(customer)
        await session.flush()
        site = Site(customer_id=customer.id, name="浦东工地", address="上海市浦东新区")
        session.add(site)
        await session.flush()
        accepted = date.today().replace(day=1)
        asset = Asset(
            customer_id=customer.id,
            site_id=site.id,
            model="CH-300",
            serial="SN-0001",
            name="冷水机组",
            acceptance_date=accepted,
            warranty_end=warranty_end(accepted),
        )
        session.add(asset)
        for key in ("engineer", "engineer2"):
            session.add(
                StockLocation(
                    kind=LocationKind.VAN,
                    name=f"van-{users[key].username}",
                    engineer_id=users[key].id,
                )
            )
    return World(**users, customer=customer, site=site, asset=asset)
