"""Database engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL.

SQLite allows one writer at a time. Writes therefore go through a separate engine whose single
connection opens every transaction with ``BEGIN IMMEDIATE`` (the lock is taken at the start, so
a transaction never fails half-way on an upgrade from reader to writer), while reads use a pool
of ordinary connections that WAL lets run beside the writer. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import Select, event, func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from api import audit as _audit  # noqa: F401  (every session of ours writes the audit log)
from api import feed as _feed

_json_encode = msgspec.json.Encoder().encode


def _json_text(value: Any) -> str:
    # msgspec instead of json.dumps: the audit log, the feed and the mutation log encode a
    # JSON value for every row a push writes. UTF-8 as is, where json.dumps escapes.
    return _json_encode(value).decode()


JSON_ENGINE_ARGS: dict[str, Any] = {
    "json_serializer": _json_text,
    "json_deserializer": msgspec.json.decode,
}
"""How every engine of ours encodes and decodes JSON columns."""


def is_sqlite(url: str) -> bool:
    """Whether a database URL names SQLite."""
    return url.startswith("sqlite")


def _tune_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" event below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_ON_COMMIT = "fieldsync.on_commit"


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the session's :meth:`Database.write` transaction commits.

    For in-process caches: dropped after the commit, they cannot be refilled with the old state
    by a request that read while the transaction was still open.
    """
    session.info.setdefault(_ON_COMMIT, []).append(callback)


class Database:
    """The engines of one process and the sessions made from them."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,
                **JSON_ENGINE_ARGS,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
            )
            _tune_sqlite(self.write_engine, immediate=True)
            self.read_engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,
                pool_size=5,
                max_overflow=5,
                **JSON_ENGINE_ARGS,
            )
            _tune_sqlite(self.read_engine, immediate=False)
        else:
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,
                **JSON_ENGINE_ARGS,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
            )
            self.read_engine = self.write_engine
        self.on_jobs_changed: Callable[[set[uuid.UUID]], None] | None = None
        """Told the jobs each write transaction changed, once it has committed (live board)."""
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def write(self, **info: Any) -> AsyncIterator[AsyncSession]:
        """One read-write unit of work: commit on success, roll back on error.

        ``info`` (actor_id, request_id) is kept on the session for the audit log. Callbacks
        given to :func:`on_commit` run once the transaction has committed.
        """
        async with self._writer() as session:
            session.info.update(info)
            async with session.begin():
                # Every writer takes its feed slot (the feed counter's lock) first. Taking it
                # later, after locking some row, deadlocks against a writer that holds the slot
                # and wants that row (a sync push and an office edit of the same job).
                await session.run_sync(_feed.claim_feed_slot)
                yield session
            for callback in session.info.pop(_ON_COMMIT, ()):
                callback()
            jobs = session.info.pop(_feed.CHANGED_JOBS, None)
            if jobs and self.on_jobs_changed is not None:
                self.on_jobs_changed(jobs)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session; anything flushed is rolled back."""
        async with self._reader() as session:
            # Closing the session rolls back whatever transaction the reads began.
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


async def count_rows(session: AsyncSession, query: Select[Any]) -> int:
    """How many rows ``query`` matches (for a page's ``total``)."""
    return (await session.scalar(select(func.count()).select_from(query.subquery()))) or 0
