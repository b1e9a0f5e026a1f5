"""Database engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL.

SQLite allows one writer at a time. Writes therefore go through a separate engine whose single
connection opens every transaction with ``BEGIN IMMEDIATE`` (the lock is taken at the start, so
a transaction never fails half-way on an upgrade from reader to writer), while reads use a pool
of ordinary connections that WAL lets run beside the writer. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite
import msgspec
from sqlalchemy import Select, event, func, make_url, select
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from api import audit as _audit  # noqa: F401  (every session of ours writes the audit log)
from api import feed as _feed

log = logging.getLogger("fieldsync.db")

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


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's interface with every call run at once, in the event loop's own thread.

    Through aiosqlite each statement is a round trip to a worker thread and back through the
    event loop; on a busy loop each return waits its turn. For the single writer that meant a
    transaction of a few statements held the one write lock for tens of milliseconds while the
    database itself needed one or two, and every other writer queued behind it; for readers,
    a pull of a dozen small queries waited a dozen times. Run inline, the statements of this
    app (short: keyed reads, small writes, bulk inserts of a few hundred rows) cost only their
    own time. The one that can wait, the writer's ``BEGIN IMMEDIATE`` while another process
    writes, is retried here with an asynchronous back-off instead of blocking the loop
    (``busy_timeout`` is 0 on the writer). Readers of a WAL database do not wait for writers.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]  # SQLAlchemy queues work here too

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        delay, waited = 0.002, 0.0
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                # Only outside a transaction is a retry safe (a BEGIN that found the lock
                # taken); inside one, the error is the caller's to see.
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or self._connection.in_transaction or waited >= BUSY_SECONDS:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 0.1)

    def stop(self) -> asyncio.Future[Any] | None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        return None

    async def close(self) -> None:
        self.stop()


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: runs what is put, at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed over, as the worker thread would
            if future is not None:
                future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)


BUSY_SECONDS = 30.0
"""How long a writer waits for another process's write lock before giving up."""


def _connect_args(url: str) -> tuple[list[Any], dict[str, Any]]:
    """What ``sqlite3.connect`` is given for a SQLite URL (the file first)."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    return list(args), dict(kwargs)


def _inline_creator(url: str) -> Callable[[], Awaitable[InlineConnection]]:
    args, kwargs = _connect_args(url)

    async def create() -> InlineConnection:
        return await InlineConnection(partial(sqlite3.connect, *args, **kwargs))

    return create


WAL_VALVE_PAGES = 20_000
"""The writer's own checkpoint threshold (about 80 MB of WAL): a safety valve, reached only
should the background :class:`Checkpointer` fall behind."""


class Checkpointer:
    """Copies the SQLite write-ahead log back into the database in a thread of its own.

    SQLite's default makes the writer that crosses 1,000 WAL pages do it, inside its commit:
    with random-key indexes that is a few thousand page writes and an fsync, and it made a
    commit of a big push cost as much as all its inserts (measured: half the write time on the
    request path). Here the writer only appends to the WAL; this thread, poked after every
    write transaction, runs a PASSIVE checkpoint (it never blocks readers or the writer) at
    most every ``interval`` seconds while writes keep coming, and stops after ``idle`` quiet
    seconds (it starts again at the next poke). The sqlite3 module lets go of the GIL while
    SQLite works, so the copying runs beside the event loop, on another core.
    """

    def __init__(self, path: str, *, interval: float = 0.5, idle: float = 30.0) -> None:
        self.path = path
        self.interval = interval
        self.idle = idle
        self.last: tuple[int, int, int] | None = None
        """The last checkpoint's answer: (busy, WAL frames, frames copied back)."""
        self.runs = 0
        self._thread: threading.Thread | None = None
        self.forget_thread()
        _CHECKPOINTERS.add(self)

    def forget_thread(self) -> None:
        """Start with no thread and fresh signals (also in a forked child, where the parent's
        thread does not exist and its locks may be held by nobody)."""
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    def poke(self) -> None:
        """Note that a write transaction committed; start the thread if it is not running."""
        self._poked.set()
        if self._thread is not None:
            return  # running: it sees the poke before it could decide to end (see _run)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Run a last checkpoint and end the thread (a later poke starts it again)."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._poked.set()
        thread.join(timeout=30)
        self._stopping.clear()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            # mode=rw: a file removed meanwhile is an error here, never a new empty database.
            uri = f"{Path(self.path).absolute().as_uri()}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=1000")
            while True:
                if not self._poked.wait(self.idle):
                    with self._lock:  # quiet for a while: end, unless poked just now
                        if not self._poked.is_set():
                            self._thread = None
                            return
                self._poked.clear()
                self._checkpoint(conn)
                if self._stopping.is_set():
                    return
                self._stopping.wait(self.interval)  # let writes gather between checkpoints
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint thread stopped: %s", exc)
        finally:
            if conn is not None:
                conn.close()
            with self._lock:
                if self._thread is threading.current_thread():  # stopped, or ended by an error
                    self._thread = None

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # a busy or vanished file: the next poke tries again
            log.warning("WAL checkpoint failed: %s", exc)
            return
        self.runs += 1
        self.last = (int(row[0]), int(row[1]), int(row[2]))


WAL_KEEP_BYTES = 64 * 1024 * 1024
"""The size the WAL file is cut back to when SQLite starts it over."""
WRITER_CACHE_KIB = -32768
"""The writer's page cache (negative: KiB, as SQLite's PRAGMA takes it)."""


_CHECKPOINTERS: weakref.WeakSet[Checkpointer] = weakref.WeakSet()


def _after_fork() -> None:
    # A forked child has none of its parent's threads: its first write starts its own.
    for checkpointer in _CHECKPOINTERS:
        checkpointer.forget_thread()


os.register_at_fork(after_in_child=_after_fork)


def _tune_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" event below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # The writer's connection retries a busy BEGIN itself (InlineConnection).
        timeout = 0 if immediate else 30000
        cur.execute(f"PRAGMA busy_timeout={timeout}")
        cur.execute("PRAGMA synchronous=NORMAL")
        if immediate:
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_VALVE_PAGES}")
            # A push of a few hundred rows touches a thousand index pages: with SQLite's 2 MB
            # default they spilled to the WAL in the middle of the transaction.
            cur.execute(f"PRAGMA cache_size={WRITER_CACHE_KIB}")
            # After a burst the WAL file shrinks back to this once it has been copied back.
            cur.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_ON_COMMIT = "fieldsync.on_commit"


_Service = TypeVar("_Service")


class CommitServices(Generic[_Service]):
    """Each app's service of some kind, found from the engine a session committed on: what
    session events use to start work after a commit (reports, escalation mails), without the
    code that committed knowing of them. Held weakly: an app that is gone starts nothing."""

    def __init__(self) -> None:
        self._refs: weakref.WeakKeyDictionary[Any, weakref.ref[_Service]] = (
            weakref.WeakKeyDictionary()
        )

    def watch(self, engine: Any, service: _Service) -> None:
        """Let commits on ``engine`` (a sync engine) start work through ``service``."""
        self._refs[engine] = weakref.ref(service)

    def after_commit(self, session: Any) -> _Service | None:
        """The service of the engine ``session`` committed on, when work can start now: inside
        the app's running event loop (a commit from a script starts nothing)."""
        bind = session.get_bind()
        ref = self._refs.get(getattr(bind, "engine", bind))
        service = ref() if ref else None
        if service is None:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        return service


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
        self.checkpointer: Checkpointer | None = None
        """SQLite: copies the WAL back into the database off the request path."""
        if self.sqlite:
            self.checkpointer = Checkpointer(str(_connect_args(url)[0][0]))
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,
                **JSON_ENGINE_ARGS,
                async_creator=_inline_creator(url),
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
                async_creator=_inline_creator(url),
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
                # The feed entries are numbered as the transaction commits (api.feed).
                yield session
                # A savepoint left open would be released only after the feed's hook ran
                # (it sees a savepoint, not the commit), and its changes' entries, with those
                # made before it, would never be written. Released here, in order.
                while (savepoint := session.get_nested_transaction()) is not None:
                    await savepoint.commit()
            if self.checkpointer is not None:
                self.checkpointer.poke()
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

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session whose every read sees one moment of the database.

        SQLite's read transaction does already (from its first read); PostgreSQL's default,
        READ COMMITTED, lets each statement see what committed meanwhile, so the transaction
        is made REPEATABLE READ.
        """
        async with self._reader() as session:
            if not self.sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection (and stop the checkpoint thread)."""
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


async def count_rows(session: AsyncSession, query: Select[*tuple[Any, ...]]) -> int:
    """How many rows ``query`` matches (for a page's ``total``)."""
    return (await session.scalar(select(func.count()).select_from(query.subquery()))) or 0
