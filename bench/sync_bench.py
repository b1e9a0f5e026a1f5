"""Sync benchmark: push throughput, priming pull, empty pull as the database grows, and load.

Every figure is measured against a real ``fieldsync serve`` process (uvicorn, one worker) on
loopback, beside a baseline measured in the same run:

  push      20,000 ``note.add`` mutations in pushes of 200 through ``POST /api/sync/push``,
            beside the floor (the same rows inserted with the same driver's executemany, a
            commit per 200), the write-set floor (for each note also the audit entry, the feed
            entry and the mutation-log entry a push must write, the same way) and the peer
            (pouchdb-server's ``_bulk_docs`` with equal documents).
  parallel  8 devices pushing notes at once for 20 s into two app processes on one database,
            beside one device pushing alone into one process: how far writers overlap (on
            PostgreSQL all but the moment each commits its feed entries; on SQLite only the
            work outside the one write transaction at a time).
  prime     a new device's priming pull of one engineer's scope (50 jobs, 2,000 assets, 5,000
            parts): time and gzip bytes as served, beside the floor (the same rows read with
            the raw driver, encoded with msgspec and gzipped, in this process).
  feed      an empty incremental pull with 10k and with 1M rows in the database (the change feed
            and the entity tables): the ratio of the medians of 50 pulls each.
  load      200 simulated engineers (``fieldsync simulate`` in another process) pushing and
            pulling for 60 s: p50/p95/p99 latency and errors, beside one engineer alone. Each
            engineer makes 1-3 changes and syncs about every 10 s (``--think``): all 200 at
            work at once, each change synced at once, as the app does 1.5 s after a change
            (it also syncs every 60 s). Reported beside it: the same crowd at ten times that
            pace for 30 s (``--stress-think``), which is more than one server process on
            this machine can serve, to show how it degrades (queueing, no errors).

SQLite in a temporary folder by default; ``--postgres`` runs every figure on a fresh PostgreSQL
database as well (created and dropped here). The data of each figure is written straight into
the database with SQLAlchemy Core, not through the API. Bench accounts get a cheap argon2 hash
so that 200 logins take seconds: logins are not a figure here.

    .venv/bin/python bench/sync_bench.py [--quick] [--postgres]
                                          [--only push,parallel,prime,feed,load]
                                          [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
from argon2 import PasswordHasher
from sqlalchemy import Table, event, func, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from api.db import WAL_VALVE_PAGES, Checkpointer
from api.migrate import upgrade
from api.models import (
    Asset,
    Assignment,
    Base,
    Change,
    Contact,
    Counter,
    Customer,
    Job,
    Note,
    Part,
    PartLine,
    Site,
    StockLevel,
    StockLocation,
    User,
)
from sync import wire
from sync.client import SyncClient
from sync.cursor import Cursor, encode_cursor
from sync.ids import uuid7

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.served import free_port, wait_http  # noqa: E402

POUCH_DIR = ROOT / "bench" / "pouchdb"
PASSWORD = "bench-password-1"  # noqa: S105  (bench accounts only)
# Cheap on purpose (logins are not measured); the server verifies with the hash's own cost.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime.now(UTC).replace(microsecond=0)


# ---- figures and the table ---------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure beside its baseline, judged against the issue's target."""

    name: str
    value: float | None
    unit: str
    baseline_name: str
    baseline_value: float | None
    target: str
    met: bool
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline_value:
            self.ratio = round(self.value / self.baseline_value, 3)

    def record(self) -> dict[str, Any]:
        """The object written to ``--json``."""
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline_name": self.baseline_name,
            "baseline_value": self.baseline_value,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
        }


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_table(figures: Sequence[Figure]) -> None:
    """The figures as an aligned table, with their notes below."""
    rows = [("figure", "value", "baseline", "", "ratio", "target", "met")]
    for f in figures:
        rows.append(
            (
                f.name,
                f"{_num(f.value)} {f.unit}",
                f.baseline_name,
                _num(f.baseline_value),
                "-" if f.ratio is None else f"{f.ratio:.2f}x",
                f.target,
                "yes" if f.met else "NO",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    notes = [f for f in figures if f.note]
    if notes:
        print()
        for f in notes:
            print(f"* {f.name}: {f.note}")


def say(message: str) -> None:
    """Progress, on stderr so the table stays clean."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(min(rank, len(ordered))) - 1]


@dataclass(frozen=True)
class Options:
    """How the figures run."""

    quick: bool = False
    """Shorter runs: a smoke test, not the figures of record."""
    think: float = 10.0
    """load: seconds each simulated engineer waits between syncs, on average (the pace)."""
    stress_think: float = 1.0
    """load: the same at ten times the pace, reported beside the figure (overload)."""


# ---- databases ---------------------------------------------------------------------------------


@dataclass
class Db:
    """A fresh database of one backend, with the data folder its server uses."""

    backend: str
    url: str
    data_dir: Path
    pg_name: str = ""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "fieldsync.db"

    def env(self) -> dict[str, str]:
        """The environment of a Fieldsync process on this database."""
        env = {**os.environ, "FIELDSYNC_DATA_DIR": str(self.data_dir)}
        env.pop("FIELDSYNC_DATABASE_URL", None)
        if self.backend == "postgres":
            env["FIELDSYNC_DATABASE_URL"] = self.url
        return env

    def engine(self) -> AsyncEngine:
        """An engine for writing the bench data (fast settings for SQLite: setup only)."""
        engine = create_async_engine(self.url)
        if self.backend == "sqlite":

            @event.listens_for(engine.sync_engine, "connect")
            def _fast(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=OFF")
                cur.close()

        return engine


class Backends:
    """Makes fresh databases and removes them at the end."""

    def __init__(self, root: Path, *, keep: bool = False) -> None:
        self.root = root
        self.keep = keep
        """Keep the SQLite folders and server logs (PostgreSQL databases are dropped)."""
        self.made: list[Db] = []

    async def fresh(self, backend: str, label: str) -> Db:
        db = await self._new(backend, label)
        await asyncio.to_thread(upgrade, db.url)
        return db

    async def copy(self, db: Db, label: str) -> Db:
        """A copy of ``db`` as it is now (no server may be running on it)."""
        copy = await self._new(db.backend, label, template=db)
        if db.backend == "sqlite":
            import sqlite3

            source, target = sqlite3.connect(db.sqlite_path), sqlite3.connect(copy.sqlite_path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        return copy

    async def _new(self, backend: str, label: str, template: Db | None = None) -> Db:
        """An empty database (PostgreSQL: a copy of ``template`` when given)."""
        data_dir = Path(tempfile.mkdtemp(prefix=f"{backend}-{label}-", dir=self.root))
        if backend == "sqlite":
            db = Db(backend, f"sqlite+aiosqlite:///{data_dir / 'fieldsync.db'}", data_dir)
        else:
            import asyncpg

            name = f"fieldsync_bench_{label}_{uuid.uuid4().hex[:8]}"
            like = f' TEMPLATE "{template.pg_name}"' if template is not None else ""
            conn = await asyncpg.connect(PG_ADMIN)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"{like}')
            finally:
                await conn.close()
            db = Db(backend, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", data_dir, name)
        self.made.append(db)
        return db

    async def drop(self, db: Db) -> None:
        if db.pg_name:
            import asyncpg

            conn = await asyncpg.connect(PG_ADMIN)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db.pg_name}" WITH (FORCE)')
            finally:
                await conn.close()
        if not self.keep:
            shutil.rmtree(db.data_dir, ignore_errors=True)

    async def drop_all(self) -> None:
        for db in self.made:
            with contextlib.suppress(Exception):
                await self.drop(db)


async def count_rows(engine: AsyncEngine) -> int:
    """Rows in every table of the schema that the database has."""
    total = 0
    async with engine.connect() as conn:
        present = set(await conn.run_sync(lambda c: sa_inspect(c).get_table_names()))
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                total += int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return total


async def bulk(conn: AsyncConnection, table: Table | Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany in chunks."""
    target = table.__table__ if hasattr(table, "__table__") else table
    for start in range(0, len(rows), 10_000):
        await conn.execute(insert(target), rows[start : start + 10_000])


# ---- the bench world: engineers with jobs, customers with assets, the catalogue -----------------


@dataclass
class World:
    """What :func:`seed` made."""

    engineers: dict[str, uuid.UUID]
    jobs: dict[uuid.UUID, list[uuid.UUID]]
    """Engineer id to their assigned jobs."""
    customers: list[uuid.UUID]
    parts: list[uuid.UUID]
    vans: dict[uuid.UUID, uuid.UUID]
    """Engineer id to van location id."""


def _job_row(
    number: str,
    customer: uuid.UUID,
    site: uuid.UUID | None,
    asset: uuid.UUID | None,
    engineer: uuid.UUID,
) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "number": number,
        "customer_id": customer,
        "site_id": site,
        "asset_id": asset,
        "contact_name": "李工",
        "contact_phone": "13800000000",
        "channel": "phone",
        "fault_description": "冷水机组不制冷，压缩机频繁启停 / chiller not cooling",
        "urgency": "normal",
        "status": "assigned",
        "assigned_engineer_id": engineer,
        "assigned_at": NOW - timedelta(hours=3),
        "reported_at": NOW - timedelta(hours=5),
        "plan_due_at": NOW + timedelta(hours=19),
        "on_site_due_at": NOW + timedelta(days=2),
        "plan_at_risk_at": NOW + timedelta(hours=15),
        "on_site_at_risk_at": NOW + timedelta(days=1),
        "handling_plan": "Inspect the compressor and condenser; bring common spares.",
    }


async def seed(
    db: Db,
    *,
    prefix: str,
    engineers: int,
    jobs_each: int,
    customers: int,
    assets_per_customer: int,
    parts: int,
    sites_per_customer: int = 2,
    contacts_per_customer: int = 2,
    van_parts: int = 50,
    notes_per_job: int = 2,
    lines_per_job: int = 2,
) -> World:
    """Users, customers, sites, assets, parts, vans with stock, and jobs assigned to the
    engineers (with their Assignment rows, notes and part lines), by Core executemany."""
    users = [
        {
            "id": uuid7(),
            "username": f"{prefix}{n}",
            "display_name": f"工程师 {n}",
            "password_hash": PASSWORD_HASH,
            "role": "engineer",
            "phone": f"1390000{n:04d}",
            "email": f"{prefix}{n}@bench.example",
        }
        for n in range(1, engineers + 1)
    ]
    customer_rows = [
        {
            "id": uuid7(),
            "code": f"{prefix.upper()}-C{c:05d}",
            "name": f"上海某某制冷设备有限公司 {c}",
            "address": f"浦东新区科技路 {c} 号",
            "phone": "021-5000-0000",
        }
        for c in range(customers)
    ]
    contact_rows, site_rows, asset_rows = [], [], []
    sites_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    assets_of: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    for c, customer in enumerate(customer_rows):
        cid = customer["id"]
        for k in range(contacts_per_customer):
            contact_rows.append(
                {"id": uuid7(), "customer_id": cid, "name": f"联系人 {c}-{k}", "phone": "139"}
            )
        for k in range(sites_per_customer):
            sid = uuid7()
            sites_of.setdefault(cid, []).append(sid)
            site_rows.append(
                {
                    "id": sid,
                    "customer_id": cid,
                    "name": f"工地 {c}-{k}",
                    "address": f"浦东新区张江路 {k} 号",
                    "latitude": 31.2,
                    "longitude": 121.5,
                }
            )
        for a in range(assets_per_customer):
            aid = uuid7()
            sid = sites_of[cid][a % sites_per_customer]
            assets_of.setdefault(cid, []).append((aid, sid))
            asset_rows.append(
                {
                    "id": aid,
                    "customer_id": cid,
                    "site_id": sid,
                    "name": f"冷水机组 #{a}",
                    "model": "CH-300",
                    "serial": f"{prefix.upper()}-{c:05d}-{a:06d}",
                    "acceptance_date": date(2024, 3, 1),
                    "warranty_end": date(2026, 2, 28),
                }
            )
    part_rows = [
        {
            "id": uuid7(),
            "code": f"{prefix.upper()}-P{p:06d}",
            "name": f"压缩机接触器 {p}",
            "name_en": f"Compressor contactor {p}",
            "unit": "pc",
            "price": Decimal("128.50"),
        }
        for p in range(parts)
    ]
    van_rows, level_rows, job_rows, assignment_rows, note_rows, line_rows = [], [], [], [], [], []
    jobs: dict[uuid.UUID, list[uuid.UUID]] = {}
    vans: dict[uuid.UUID, uuid.UUID] = {}
    n = 0
    for user in users:
        uid = user["id"]
        van = uuid7()
        vans[uid] = van
        van_rows.append(
            {"id": van, "kind": "van", "name": f"Van {user['username']}", "engineer_id": uid}
        )
        for p in part_rows[:van_parts]:
            level_rows.append({"location_id": van, "part_id": p["id"], "quantity": Decimal(20)})
        for _ in range(jobs_each):
            cid = customer_rows[n % len(customer_rows)]["id"]
            aid, sid = assets_of[cid][(n // len(customer_rows)) % len(assets_of[cid])]
            row = _job_row(f"{prefix.upper()}-{n:07d}", cid, sid, aid, uid)
            n += 1
            job_rows.append(row)
            jobs.setdefault(uid, []).append(row["id"])
            assignment_rows.append(
                {"id": uuid7(), "job_id": row["id"], "engineer_id": uid, "assigned_at": NOW}
            )
            for k in range(notes_per_job):
                note_rows.append(
                    {
                        "id": uuid7(),
                        "job_id": row["id"],
                        "author_id": uid,
                        "body": f"现场记录 {k}: 客户反映夜间噪音大 / noisy at night",
                    }
                )
            for k in range(lines_per_job):
                part = part_rows[(n + k) % len(part_rows)]
                line_rows.append(
                    {
                        "id": uuid7(),
                        "job_id": row["id"],
                        "part_id": part["id"],
                        "quantity": Decimal(1),
                        "unit_price": part["price"],
                        "billing": "warranty",
                        "source": "van",
                        "created_by": uid,
                    }
                )
    engine = db.engine()
    try:
        async with engine.begin() as conn:
            for table, rows in (
                (User, users),
                (Customer, customer_rows),
                (Contact, contact_rows),
                (Site, site_rows),
                (Asset, asset_rows),
                (Part, part_rows),
                (StockLocation, van_rows),
                (StockLevel, level_rows),
                (Job, job_rows),
                (Assignment, assignment_rows),
                (Note, note_rows),
                (PartLine, line_rows),
            ):
                if rows:
                    await bulk(conn, table, rows)
    finally:
        await engine.dispose()
    return World(
        engineers={u["username"]: u["id"] for u in users},
        jobs=jobs,
        customers=[c["id"] for c in customer_rows],
        parts=[p["id"] for p in part_rows],
        vans=vans,
    )


# ---- a served app ------------------------------------------------------------------------------


def fieldsync_command() -> list[str]:
    """The ``fieldsync`` console script of this environment."""
    script = Path(sys.executable).with_name("fieldsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, and wait for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def served(db: Db) -> Iterator[str]:
    """``fieldsync serve`` on a free port of loopback; yields its base URL."""
    port = free_port()
    log = db.data_dir / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*fieldsync_command(), "serve", "--no-migrate", "--port", str(port)],
            env=db.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health", proc, log)
        yield base
    finally:
        stop(proc)
        errors = [ln for ln in log.read_text().splitlines() if '"level": "error"' in ln]
        if errors:
            say(f"the server logged {len(errors)} errors, e.g. {errors[0][:300]}")


async def logged_in(http: httpx.AsyncClient, username: str) -> tuple[SyncClient, dict[str, str]]:
    """A reference client logged in, and its Authorization header."""
    client = SyncClient(http=http, username=username, password=PASSWORD, app_version="bench/1")
    await client.login()
    return client, {"Authorization": f"Bearer {client.access_token}"}


# ---- a. push throughput ------------------------------------------------------------------------

NOTE_BODY = "更换了压缩机接触器，试运行 30 分钟正常 / replaced the contactor, ran 30 min OK"


@dataclass
class NoteRow:
    """One note, as pushed, as inserted by the floor and as a pouchdb document."""

    id: uuid.UUID
    job_id: uuid.UUID
    author_id: uuid.UUID
    created_at: datetime

    def doc(self) -> dict[str, Any]:
        return {
            "_id": str(self.id),
            "type": "note",
            "job_id": str(self.job_id),
            "author_id": str(self.author_id),
            "body": NOTE_BODY,
            "created_at": self.created_at.isoformat(),
        }


def note_rows(count: int, jobs: list[uuid.UUID], author: uuid.UUID) -> list[NoteRow]:
    """``count`` notes spread over ``jobs``, with time-ordered ids as the apps make them."""
    return [NoteRow(uuid7(), jobs[i % len(jobs)], author, NOW) for i in range(count)]


def push_bodies(
    device_id: uuid.UUID, rows: list[NoteRow], first_seq: int, batch: int
) -> list[bytes]:
    """The pushes that carry ``rows`` as ``note.add`` mutations, encoded beforehand."""
    bodies = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        request = wire.PushRequest(
            app_version="bench/1",
            device_id=device_id,
            sent_at=datetime.now(UTC),
            mutations=[
                wire.MutationEnvelope(
                    id=uuid7(),
                    seq=first_seq + start + i,
                    name="note.add",
                    at=NOW,
                    args={"id": str(r.id), "job_id": str(r.job_id), "body": NOTE_BODY},
                )
                for i, r in enumerate(chunk)
            ],
        )
        bodies.append(wire.encoder.encode(request))
    return bodies


class ApiPusher:
    """Pushes pre-encoded batches of ``note.add`` through ``POST /api/sync/push``."""

    name = "push"

    def __init__(self, base: str, username: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=300)
        self.username = username
        self.headers: dict[str, str] = {}
        self.device_id = uuid.uuid4()
        self.seq = 1

    async def open(self) -> None:
        client, auth = await logged_in(self.http, self.username)
        self.device_id = client.device_id
        self.headers = {**auth, "Content-Type": "application/json"}

    def prepare(self, rows: list[NoteRow]) -> bytes:
        (body,) = push_bodies(self.device_id, rows, self.seq, len(rows))
        self.seq += len(rows)
        return body

    async def send(self, body: bytes) -> None:
        response = await self.http.post("/api/sync/push", content=body, headers=self.headers)
        response.raise_for_status()
        answer = msgspec.json.decode(response.content, type=wire.PushResponse)
        bad = [r for r in answer.results if r.status is not wire.Status.APPLIED]
        if bad:
            raise RuntimeError(f"push not applied: {bad[0]}")

    async def close(self) -> None:
        await self.http.aclose()


def _sqlite_uuid(value: uuid.UUID) -> str:
    return value.hex  # SQLAlchemy's Uuid type keeps 32 hex digits on SQLite


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class FloorWriter:
    """The floor: the same driver as the app upserts the same rows into ``notes``, one
    executemany and one commit per batch."""

    name = "floor"

    def __init__(self, db: Db) -> None:
        self.db = db
        self.conn: Any = None
        self.checkpointer: Checkpointer | None = None

    async def open(self) -> None:
        if self.db.backend == "sqlite":
            import aiosqlite

            self.conn = await aiosqlite.connect(self.db.sqlite_path, isolation_level=None)
            for pragma in (
                "journal_mode=WAL",
                "foreign_keys=ON",
                "synchronous=NORMAL",
                "busy_timeout=30000",
                # As the app's writer: a thread beside it copies the WAL back into the
                # database (api.db.Checkpointer), not the commit that crosses 1,000 pages.
                f"wal_autocheckpoint={WAL_VALVE_PAGES}",
            ):
                await self.conn.execute(f"PRAGMA {pragma}")
            self.checkpointer = Checkpointer(str(self.db.sqlite_path))
        else:
            import asyncpg

            self.conn = await asyncpg.connect(
                self.db.url.replace("postgresql+asyncpg", "postgresql")
            )

    def prepare(self, rows: list[NoteRow]) -> list[tuple[Any, ...]]:
        # Rows of their own (fresh ids): the pushes insert the same notes into this table.
        rows = [NoteRow(uuid7(), r.job_id, r.author_id, r.created_at) for r in rows]
        if self.db.backend == "sqlite":
            return [
                (
                    _sqlite_uuid(r.id),
                    _sqlite_uuid(r.job_id),
                    _sqlite_uuid(r.author_id),
                    NOTE_BODY,
                    _sqlite_time(r.created_at),
                )
                for r in rows
            ]
        return [(r.id, r.job_id, r.author_id, NOTE_BODY, r.created_at) for r in rows]

    async def send(self, params: list[tuple[Any, ...]]) -> None:
        columns = "(id, job_id, author_id, body, created_at)"
        if self.db.backend == "sqlite":
            sql = f"INSERT INTO notes {columns} VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
            await self.conn.execute("BEGIN IMMEDIATE")
            await self.conn.executemany(sql, params)
            await self.conn.execute("COMMIT")
            self.committed()
        else:
            sql = (
                f"INSERT INTO notes {columns} VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (id) DO NOTHING"
            )
            async with self.conn.transaction():
                await self.conn.executemany(sql, params)

    def committed(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.poke()

    async def close(self) -> None:
        await self.conn.close()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)


class WriteSetFloor(FloorWriter):
    """The floor of what a push must write: for every note, the note, its audit entry, its
    feed entry and its mutation-log entry (with the same JSON), by the same driver's
    executemany, one transaction per batch. The push's own cost is its distance from this."""

    name = "write_set"

    def __init__(self, db: Db, actor: uuid.UUID) -> None:
        super().__init__(db)
        self.device_id = uuid.uuid4()
        self.actor = actor
        self.seq = 1 << 40  # far from the pushes' device sequence numbers and feed slots

    async def open(self) -> None:
        await super().open()
        # The device its mutation-log rows name (the log's foreign key).
        now = datetime.now(UTC)
        if self.db.backend == "sqlite":
            await self.conn.execute(
                "INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, "
                "created_at, last_seen_at, app_version) VALUES (?, ?, '', '', ?, ?, ?, '')",
                (_sqlite_uuid(self.device_id), _sqlite_uuid(self.actor), *[_sqlite_time(now)] * 3),
            )
        else:
            await self.conn.execute(
                "INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, "
                "created_at, last_seen_at, app_version) VALUES ($1, $2, '', '', $3, $3, $3, '')",
                self.device_id,
                self.actor,
                now,
            )

    def prepare(self, rows: list[NoteRow]) -> list[Any]:
        sqlite = self.db.backend == "sqlite"

        def ident(value: uuid.UUID) -> Any:
            return _sqlite_uuid(value) if sqlite else value

        def when(value: datetime) -> Any:
            return _sqlite_time(value) if sqlite else value

        def doc(value: Any) -> str:
            return msgspec.json.encode(value).decode()

        now = datetime.now(UTC)
        notes, audit, feed, log = [], [], [], []
        for r in rows:
            note, mutation = uuid7(), uuid7()
            self.seq += 1
            args = {"id": str(note), "job_id": str(r.job_id), "body": NOTE_BODY}
            after = {**args, "author_id": str(r.author_id), "created_at": now.isoformat()}
            result = {"id": str(mutation), "seq": self.seq, "status": "applied"}
            notes.append((ident(note), ident(r.job_id), ident(r.author_id), NOTE_BODY, when(now)))
            audit.append(
                (ident(uuid7()), when(now), ident(self.actor), "", "notes", str(note),
                 ident(r.job_id), "insert", None, doc(after))
            )  # fmt: skip
            feed.append((self.seq, "notes", str(note), "upsert", ident(r.job_id), None, None,
                         when(now)))  # fmt: skip
            log.append(
                (ident(mutation), ident(self.device_id), self.seq, "note.add", ident(r.job_id),
                 "applied", doc(result), doc(args), when(r.created_at), when(now))
            )  # fmt: skip
        return [notes, audit, feed, log]

    async def send(self, params: list[Any]) -> None:
        notes, audit, feed, log = params
        statements = [
            ("notes (id, job_id, author_id, body, created_at)", 5, notes),
            ("audit_log (id, at, actor_id, request_id, entity, entity_id, job_id, action, "
             "before, after)", 10, audit),
            ("changes (seq, entity, entity_id, op, job_id, customer_id, owner_id, at)", 8, feed),
            ("mutation_log (id, device_id, seq, name, job_id, status, result, args, device_time, "
             "applied_at)", 10, log),
        ]  # fmt: skip
        if self.db.backend == "sqlite":
            await self.conn.execute("BEGIN IMMEDIATE")
            for into, n, rows in statements:
                marks = ", ".join("?" * n)
                await self.conn.executemany(f"INSERT INTO {into} VALUES ({marks})", rows)
            await self.conn.execute("COMMIT")
            self.committed()
        else:
            async with self.conn.transaction():
                for into, n, rows in statements:
                    marks = ", ".join(f"${i + 1}" for i in range(n))
                    await self.conn.executemany(f"INSERT INTO {into} VALUES ({marks})", rows)


def pouchdb_server() -> Path | None:
    """pouchdb-server's script, installed with ``npm ci`` from bench/pouchdb if needed."""
    script = POUCH_DIR / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    installed = POUCH_DIR / "node_modules" / ".package-lock.json"
    lock = POUCH_DIR / "package-lock.json"
    stale = not installed.exists() or lock.stat().st_mtime > installed.stat().st_mtime
    if not script.exists() or stale:
        say("installing pouchdb-server (npm ci in bench/pouchdb)")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=POUCH_DIR,
            check=True,
            timeout=900,
        )
    return script if script.exists() else None


def start_pouchdb(script: Path, folder: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """pouchdb-server on loopback, its databases (LevelDB) in ``folder``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["node", str(script), "--port", str(port), "--host", "127.0.0.1", "--dir", str(folder)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class PouchPeer:
    """The peer: pouchdb-server (LevelDB in a temporary folder) taking the same notes as
    documents through ``_bulk_docs``."""

    name = "pouchdb"

    def __init__(self, script: Path, root: Path) -> None:
        self.script = script
        self.folder = Path(tempfile.mkdtemp(prefix="pouchdb-", dir=root))
        self.proc: subprocess.Popen[bytes] | None = None
        self.http: httpx.AsyncClient | None = None

    async def open(self) -> None:
        port = free_port()
        log = self.folder / "stdout.log"
        self.proc = start_pouchdb(self.script, self.folder, port, log)
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, f"{base}/", self.proc, log)
        self.http = httpx.AsyncClient(base_url=base, timeout=300)
        (await self.http.put("/bench")).raise_for_status()

    def prepare(self, rows: list[NoteRow]) -> bytes:
        return json.dumps({"docs": [r.doc() for r in rows]}).encode()

    async def send(self, body: bytes) -> None:
        assert self.http is not None
        response = await self.http.post(
            "/bench/_bulk_docs", content=body, headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()
        if any("error" in r for r in response.json()):
            raise RuntimeError(f"pouchdb refused a document: {response.text[:300]}")

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
        if self.proc is not None:
            stop(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


async def take_turns(
    writers: list[Any], batches: list[list[NoteRow]], warm: list[NoteRow]
) -> dict[str, list[float]]:
    """Each writer sends every batch (after a warm-up batch), the writers taking turns batch
    by batch in rotating order, so that whatever else the machine does falls on all alike.
    Returns each writer's seconds per batch; the batches are encoded beforehand."""
    times: dict[str, list[float]] = {w.name: [] for w in writers}
    for writer in writers:
        await writer.send(writer.prepare(warm))
    bodies = {w.name: [w.prepare(b) for b in batches] for w in writers}
    for n in range(len(batches)):
        for writer in writers[n % len(writers) :] + writers[: n % len(writers)]:
            start = time.perf_counter()
            await writer.send(bodies[writer.name][n])
            times[writer.name].append(time.perf_counter() - start)
    return times


PEER_CACHE: dict[str, Path | None] = {}


async def figure_push(backends: Backends, backend: str, opts: Options) -> list[Figure]:
    total, batch = (2_000 if opts.quick else 20_000), 200
    db = await backends.fresh(backend, "push")
    world = await seed(
        db, prefix="push", engineers=1, jobs_each=50, customers=5, assets_per_customer=10,
        parts=100,
    )  # fmt: skip
    engineer = world.engineers["push1"]
    jobs = world.jobs[engineer]
    rows, warm = note_rows(total, jobs, engineer), note_rows(batch, jobs, engineer)
    batches = [rows[i : i + batch] for i in range(0, total, batch)]
    if "script" not in PEER_CACHE:
        PEER_CACHE["script"] = await asyncio.to_thread(pouchdb_server)
    script = PEER_CACHE["script"]
    # Each writer has a database of its own, as pouchdb-server has: SQLite drops a
    # connection's page cache whenever another connection has written the file, so writers
    # sharing one file would each pay for the others' turns.
    floor_db, write_set_db = await backends.copy(db, "floor"), await backends.copy(db, "wset")
    with served(db) as base:
        pusher = ApiPusher(base, "push1")
        write_set = WriteSetFloor(write_set_db, engineer)
        writers: list[Any] = [pusher, FloorWriter(floor_db), write_set]
        if script is not None:
            writers.append(PouchPeer(script, backends.root))
        say(
            f"{backend}: {total:,} note.add mutations in pushes of {batch}, taking turns with "
            f"the floor{' and pouchdb-server' if script else ''} batch by batch"
        )
        try:
            for writer in writers:
                await writer.open()
            times = await take_turns(writers, batches, warm)
        finally:
            for writer in writers:
                with contextlib.suppress(Exception):
                    await writer.close()
    for each in (db, floor_db, write_set_db):
        await backends.drop(each)
    ours = total / sum(times["push"])
    floor = total / sum(times["floor"])
    write_set = total / sum(times["write_set"])
    peer = total / sum(times["pouchdb"]) if "pouchdb" in times else None
    tag = f"[{backend}]"
    each = times["push"]
    kind = (
        f"all note.add (rows of their own); {total:,} in {len(batches)} sequential pushes of "
        f"{batch} from one device; push p50 {statistics.median(each) * 1000:.0f} ms, "
        f"max {max(each) * 1000:.0f} ms; the floor and the peer took turns with it batch by batch"
    )
    return [
        Figure(
            f"push.note_add.rate{tag}",
            round(ours),
            "mutations/s",
            "raw executemany (floor)",
            round(floor),
            ">= 10,000 mutations/s",
            ours >= 10_000,
            note=kind,
        ),
        Figure(
            f"push.note_add.vs_write_set{tag}",
            round(ours),
            "mutations/s",
            "raw executemany of the write set",
            round(write_set),
            "none (context for the floor)",
            True,
            note=(
                "the write set: the rows one applied note.add must write (the note, its audit "
                "entry, its feed entry, its mutation-log entry), by the same driver"
            ),
        ),
        Figure(
            f"push.note_add.vs_pouchdb{tag}",
            round(ours),
            "mutations/s",
            "pouchdb-server _bulk_docs",
            round(peer) if peer else None,
            ">= 3x pouchdb-server",
            peer is not None and ours >= 3 * peer,
            note="" if peer else "node/npm not found: no peer measured",
        ),
    ]


async def _push_for(
    base: str, username: str, engineer: uuid.UUID, jobs: list[uuid.UUID], seconds: float
) -> tuple[int, list[float]]:
    """One device pushing batches of notes for ``seconds``: notes applied, seconds per push."""
    pusher, batch, took = ApiPusher(base, username), 100, []
    await pusher.open()
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            body = pusher.prepare(note_rows(batch, jobs, engineer))
            start = time.perf_counter()
            await pusher.send(body)  # fails unless every note was applied
            took.append(time.perf_counter() - start)
    finally:
        await pusher.close()
    return batch * len(took), took


async def figure_parallel(backends: Backends, backend: str, opts: Options) -> list[Figure]:
    """Devices pushing at once into two app processes on one database, beside one device
    pushing alone into one process: how far writers overlap."""
    devices, seconds = 8, (5.0 if opts.quick else 20.0)
    db = await backends.fresh(backend, "parallel")
    world = await seed(
        db, prefix="par", engineers=devices + 1, jobs_each=5, customers=5,
        assets_per_customer=5, parts=20,
    )  # fmt: skip

    def who(n: int) -> tuple[str, uuid.UUID, list[uuid.UUID]]:
        engineer = world.engineers[f"par{n}"]
        return f"par{n}", engineer, world.jobs[engineer]

    say(f"{backend}: one device pushing for {seconds:.0f} s, then {devices} at once into two "
        "app processes")  # fmt: skip
    with served(db) as first, served(db) as second:
        alone, alone_took = await _push_for(first, *who(devices + 1), seconds)
        started = time.monotonic()
        results = await asyncio.gather(
            *(_push_for((first, second)[n % 2], *who(n + 1), seconds) for n in range(devices))
        )
        elapsed = time.monotonic() - started
    await backends.drop(db)
    together = sum(applied for applied, _ in results)
    took = sorted(t for _, each in results for t in each)
    rate, alone_rate = together / elapsed, alone / seconds
    return [
        Figure(
            f"push.parallel[{backend}]",
            round(rate),
            "mutations/s",
            "1 device, 1 process",
            round(alone_rate),
            "none (how writers overlap)",
            True,
            note=(
                f"{devices} devices pushing 100 notes at a time for {seconds:.0f} s into two "
                f"fieldsync serve processes on one database; push p95 "
                f"{percentile(took, 95) * 1000:.0f} ms (alone: "
                f"{percentile(sorted(alone_took), 95) * 1000:.0f} ms)"
            ),
        )
    ]


# ---- b. priming pull ---------------------------------------------------------------------------


@dataclass
class Pulled:
    seconds: float
    wire_bytes: int
    plain_bytes: int
    pages: int
    items: int


async def priming_pull(http: httpx.AsyncClient, auth: dict[str, str], limit: int) -> Pulled:
    """One priming pull, every page, as a new device makes it (gzip accepted)."""
    headers = {**auth, "Accept-Encoding": "gzip"}
    cursor: str | None = None
    seconds, wire_bytes, plain_bytes, pages, items = 0.0, 0, 0, 0, 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        start = time.perf_counter()
        response = await http.get("/api/sync/pull", params=params, headers=headers)
        seconds += time.perf_counter() - start
        response.raise_for_status()
        wire_bytes += response.num_bytes_downloaded
        plain_bytes += len(response.content)
        page = msgspec.json.decode(response.content, type=wire.PullResponse)
        pages += 1
        items += len(page.items)
        cursor = page.cursor
        if not page.has_more:
            return Pulled(seconds, wire_bytes, plain_bytes, pages, items)


async def priming_floor(db: Db, world: World, engineer: uuid.UUID) -> tuple[float, int]:
    """Seconds and gzip bytes to read the same rows with the raw driver, encode them with
    msgspec and gzip them (level 9, as served)."""
    jobs = world.jobs[engineer]
    customers = world.customers
    van = world.vans[engineer]
    queries = [
        ("jobs", "id", jobs),
        ("notes", "job_id", jobs),
        ("part_lines", "job_id", jobs),
        ("customers", "id", customers),
        ("contacts", "customer_id", customers),
        ("sites", "customer_id", customers),
        ("assets", "customer_id", customers),
        ("stock_levels", "location_id", [van]),
    ]
    start = time.perf_counter()
    out: list[dict[str, Any]] = []
    if db.backend == "sqlite":
        import aiosqlite

        conn = await aiosqlite.connect(db.sqlite_path)
        try:
            conn.row_factory = aiosqlite.Row
            for table, column, ids in queries:
                marks = ",".join("?" * len(ids))
                cursor = await conn.execute(
                    f"SELECT * FROM {table} WHERE {column} IN ({marks})",
                    [i.hex for i in ids],
                )
                out += [{"entity": table, "data": dict(r)} for r in await cursor.fetchall()]
            cursor = await conn.execute("SELECT * FROM parts ORDER BY id")
            out += [{"entity": "parts", "data": dict(r)} for r in await cursor.fetchall()]
        finally:
            await conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(db.url.replace("postgresql+asyncpg", "postgresql"))
        try:
            for table, column, ids in queries:
                records = await pg.fetch(f"SELECT * FROM {table} WHERE {column} = ANY($1)", ids)
                out += [{"entity": table, "data": dict(r)} for r in records]
            records = await pg.fetch("SELECT * FROM parts ORDER BY id")
            out += [{"entity": "parts", "data": dict(r)} for r in records]
        finally:
            await pg.close()
    body = gzip.compress(msgspec.json.encode({"items": out}), compresslevel=9)
    return time.perf_counter() - start, len(body)


async def figure_prime(backends: Backends, backend: str, opts: Options) -> list[Figure]:
    quick = opts.quick
    db = await backends.fresh(backend, "prime")
    world = await seed(
        db,
        prefix="prime",
        engineers=1,
        jobs_each=50,
        customers=10,
        assets_per_customer=200,
        parts=5_000,
        sites_per_customer=3,
        van_parts=100,
    )
    engineer = world.engineers["prime1"]
    runs = 3 if quick else 7
    limit = wire.MAX_PULL_LIMIT
    with served(db) as base:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            _, auth = await logged_in(http, "prime1")
            say(
                f"{backend}: priming pulls (50 jobs, 2,000 assets, 5,000 parts), {runs} runs "
                "taking turns with the floor"
            )
            await priming_pull(http, auth, limit)  # warm-ups
            await priming_floor(db, world, engineer)
            pulls, floors = [], []
            for _ in range(runs):
                pulls.append(await priming_pull(http, auth, limit))
                floors.append(await priming_floor(db, world, engineer))
    await backends.drop(db)
    median = sorted(pulls, key=lambda p: p.seconds)[len(pulls) // 2]
    floor_s = statistics.median(s for s, _ in floors)
    floor_bytes = floors[0][1]
    tag = f"[{backend}]"
    what = (
        f"median of {runs}; {median.pages} pages of limit={limit}, {median.items:,} items, "
        f"{median.plain_bytes / 1e6:.2f} MB before gzip; floor = the same rows read with the raw "
        "driver, msgspec-encoded and gzipped in this process, taking turns with the pulls"
    )
    return [
        Figure(
            f"prime.time{tag}",
            round(median.seconds * 1000, 1),
            "ms",
            "raw read+encode+gzip (floor)",
            round(floor_s * 1000, 1),
            "<= 300 ms",
            median.seconds <= 0.3,
            note=what,
        ),
        Figure(
            f"prime.gzip_bytes{tag}",
            round(median.wire_bytes / 1e6, 3),
            "MB",
            "same rows as one gzip JSON (floor)",
            round(floor_bytes / 1e6, 3),
            "<= 1 MB",
            median.wire_bytes <= 1_000_000,
        ),
    ]


# ---- c. empty incremental pull as the database grows -------------------------------------------


class Filler:
    """Grows a database with other engineers' jobs and notes, and change-feed entries.

    Jobs and assignments go in by Core executemany; the bulk (notes and feed entries) by the
    driver's own bulk path (executemany on SQLite, COPY on PostgreSQL), so a million rows take
    seconds, not minutes.
    """

    def __init__(self, db: Db) -> None:
        self.db = db
        self.others: list[uuid.UUID] = []
        self.customer: uuid.UUID | None = None
        self.slot = 0
        self.jobs_made = 0

    async def _setup(self, conn: AsyncConnection) -> None:
        self.others = [uuid7() for _ in range(20)]
        await bulk(
            conn,
            User,
            [
                {
                    "id": u,
                    "username": f"other{n}",
                    "display_name": f"其他工程师 {n}",
                    "password_hash": PASSWORD_HASH,
                    "role": "engineer",
                }
                for n, u in enumerate(self.others)
            ],
        )
        self.customer = uuid7()
        await bulk(conn, Customer, [{"id": self.customer, "code": "FILL-C", "name": "填充客户"}])
        head = int(await conn.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)
        counter = int(await conn.scalar(select(Counter.value).where(Counter.name == "feed")) or 0)
        self.slot = max(head >> 20, counter)

    async def _jobs(self, conn: AsyncConnection, count: int) -> list[uuid.UUID]:
        assert self.customer is not None
        job_rows, assignment_rows = [], []
        for _ in range(count):
            owner = self.others[self.jobs_made % len(self.others)]
            row = _job_row(f"FILL-{self.jobs_made:08d}", self.customer, None, None, owner)
            self.jobs_made += 1
            job_rows.append(row)
            assignment_rows.append(
                {"id": uuid7(), "job_id": row["id"], "engineer_id": owner, "assigned_at": NOW}
            )
        await bulk(conn, Job, job_rows)
        await bulk(conn, Assignment, assignment_rows)
        return [r["id"] for r in job_rows]

    async def _copy(
        self, conn: AsyncConnection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if self.db.backend == "sqlite":
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            await conn.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
        else:
            raw = await conn.get_raw_connection()
            pg: Any = raw.driver_connection
            await pg.copy_records_to_table(table, records=rows, columns=columns)

    async def grow(self, rows: int) -> float:
        """Add about ``rows`` rows: half feed entries, the rest other engineers' jobs (with
        assignments) and notes on them. Returns the seconds it took."""
        start = time.perf_counter()
        sqlite = self.db.backend == "sqlite"

        def ident(n: int) -> Any:
            return f"{n:032x}" if sqlite else uuid.UUID(int=n)

        at: Any = _sqlite_time(NOW) if sqlite else NOW
        engine = self.db.engine()
        try:
            async with engine.begin() as conn:
                if not self.others:
                    await self._setup(conn)
                n_changes = rows // 2
                n_jobs = max(1, rows // 50)
                n_notes = max(0, rows - n_changes - 2 * n_jobs)
                jobs = [ident(j.int) for j in await self._jobs(conn, n_jobs)]
                base = uuid7().int  # then counting up: unique, and ordered like uuid7
                note_columns = ["id", "job_id", "author_id", "body", "created_at"]
                change_columns = [
                    "seq", "entity", "entity_id", "op", "job_id", "customer_id", "owner_id", "at"
                ]  # fmt: skip
                step = 100_000
                for lo in range(0, n_notes, step):
                    hi = min(n_notes, lo + step)
                    notes = [(ident(base + i), jobs[i % n_jobs], None, NOTE_BODY, at)
                             for i in range(lo, hi)]  # fmt: skip
                    await self._copy(conn, "notes", note_columns, notes)
                for lo in range(0, n_changes, step):
                    hi = min(n_changes, lo + step)
                    changes = []
                    for i in range(lo, hi):
                        if i % 10 == 0:
                            self.slot += 1
                        if i < n_notes:
                            entity, entity_id = "notes", str(uuid.UUID(int=base + i))
                        else:
                            entity, entity_id = "jobs", "filler"
                        changes.append(
                            ((self.slot << 20) | (i % 10 + 1), entity, entity_id, "upsert",
                             jobs[i % n_jobs], None, None, at)
                        )  # fmt: skip
                    await self._copy(conn, "changes", change_columns, changes)
                await conn.execute(
                    Counter.__table__.update()  # type: ignore[attr-defined]
                    .where(Counter.__table__.c.name == "feed")
                    .values(value=self.slot)
                )
            if self.db.backend == "postgres":
                # What autovacuum would have done by the time a table is this size.
                async with engine.begin() as conn:
                    await conn.execute(text("ANALYZE"))
        finally:
            await engine.dispose()
        return time.perf_counter() - start

    async def head(self) -> int:
        engine = self.db.engine()
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)
        finally:
            await engine.dispose()


class EmptyPuller:
    """A logged-in device whose cursor is at the head of the feed."""

    def __init__(self, http: httpx.AsyncClient, auth: dict[str, str], head: int) -> None:
        self.http = http
        self.auth = auth
        self.cursor = encode_cursor(Cursor(phase="feed", seq=head))
        self.times: list[float] = []

    async def once(self, keep: bool = True) -> None:
        start = time.perf_counter()
        response = await self.http.get(
            "/api/sync/pull", params={"cursor": self.cursor, "limit": 500}, headers=self.auth
        )
        elapsed = time.perf_counter() - start
        response.raise_for_status()
        page = msgspec.json.decode(response.content, type=wire.PullResponse)
        if page.items or page.has_more or page.resync:
            raise RuntimeError("the pull at the head of the feed was not empty")
        if keep:
            self.times.append(elapsed)


async def feed_world(
    backends: Backends, backend: str, label: str, rows: int
) -> tuple[Db, int, float]:
    """A database with the feed engineer's world grown to about ``rows`` rows; returns it,
    its row count and the seconds the growing took."""
    db = await backends.fresh(backend, label)
    await seed(
        db, prefix="feed", engineers=1, jobs_each=50, customers=5, assets_per_customer=20,
        parts=100,
    )  # fmt: skip
    engine = db.engine()
    try:
        filler = Filler(db)
        seconds = await filler.grow(rows - await count_rows(engine))
        return db, await count_rows(engine), seconds
    finally:
        await engine.dispose()


async def figure_feed(backends: Backends, backend: str, opts: Options) -> list[Figure]:
    quick = opts.quick
    pulls = 100
    small, large = 10_000, (100_000 if quick else 1_000_000)
    say(f"{backend}: two databases, of {small:,} and {large:,} rows")
    small_db, small_rows, _ = await feed_world(backends, backend, "feedsmall", small)
    large_db, large_rows, grow_s = await feed_world(backends, backend, "feedlarge", large)
    say(f"{backend}: {large_rows:,} rows made in {grow_s:.1f} s")
    with served(small_db) as small_base, served(large_db) as large_base:
        async with (
            httpx.AsyncClient(base_url=small_base, timeout=60) as small_http,
            httpx.AsyncClient(base_url=large_base, timeout=60) as large_http,
        ):
            pullers = []
            for http, db in ((small_http, small_db), (large_http, large_db)):
                _, auth = await logged_in(http, "feed1")
                pullers.append(EmptyPuller(http, auth, await Filler(db).head()))
            at_small, at_large = pullers
            say(f"{backend}: {pulls} empty pulls from each, taking turns")
            for n in range(pulls + 10):
                # Turns, in alternating order, so that whatever else the machine does falls
                # on both alike.
                order = pullers if n % 2 else pullers[::-1]
                for puller in order:
                    await puller.once(keep=n >= 10)
    await backends.drop(small_db)
    await backends.drop(large_db)
    m_small, m_large = statistics.median(at_small.times), statistics.median(at_large.times)
    ratio = m_large / m_small
    size = f"{large_rows / 1e6:.1f}M" if large_rows >= 1e6 else f"{large_rows / 1e3:.0f}k"
    return [
        Figure(
            f"feed.empty_pull@{size}[{backend}]",
            round(m_large * 1000, 2),
            "ms",
            f"same at {small_rows / 1e3:.0f}k rows",
            round(m_small * 1000, 2),
            "ratio <= 1.5",
            ratio <= 1.5,
            note=(
                f"medians of {pulls} pulls each, taking turns between two servers (p95 "
                f"{percentile(at_small.times, 95) * 1000:.1f} ms → "
                f"{percentile(at_large.times, 95) * 1000:.1f} ms); half the rows are feed "
                f"entries; {large_rows:,} rows made in {grow_s:.1f} s"
            ),
        )
    ]


# ---- d. load: 200 simulated engineers in another process ---------------------------------------


def run_simulation(
    base: str, folder: Path, *, engineers: int, seconds: float, think: float, first: int = 1
) -> dict[str, Any]:
    """``fieldsync simulate`` in its own process; its JSON report."""
    out = folder / f"simulate-{engineers}-{uuid.uuid4().hex[:6]}.json"
    command = [
        *fieldsync_command(),
        "simulate",
        "--url", base,
        "--engineers", str(engineers),
        "--seconds", str(seconds),
        "--password", PASSWORD,
        "--prefix", "load",
        "--first", str(first),
        "--think", str(think),
        "--seed", "7",
        "--json", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 600)
    if not out.exists():
        raise RuntimeError(f"fieldsync simulate failed:\n{result.stdout}\n{result.stderr}")
    print(result.stdout, file=sys.stderr)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


async def figure_load(backends: Backends, backend: str, opts: Options) -> list[Figure]:
    quick = opts.quick
    engineers, seconds, think = 200, (15.0 if quick else 60.0), opts.think
    db = await backends.fresh(backend, "load")
    await seed(
        db,
        prefix="load",
        engineers=engineers + 1,  # the last one is the baseline's, alone
        jobs_each=3,
        customers=40,
        assets_per_customer=20,
        parts=200,
        van_parts=30,
        notes_per_job=1,
        lines_per_job=1,
    )
    with served(db) as base:

        async def simulate(crowd: int, span: float, pace: float, first: int = 1) -> Any:
            return await asyncio.to_thread(
                run_simulation, base, db.data_dir, engineers=crowd, seconds=span, think=pace,
                first=first,
            )  # fmt: skip

        say(f"{backend}: one engineer alone for 10 s (the baseline)")
        alone = await simulate(1, 10, 0.25, first=engineers + 1)
        say(f"{backend}: {engineers} engineers for {seconds:.0f} s")
        crowd = await simulate(engineers, seconds, think)
        say(f"{backend}: {engineers} engineers at {think / opts.stress_think:g}x the pace")
        stress = await simulate(engineers, seconds / 2, opts.stress_think)
    await backends.drop(db)
    lat, base_lat = crowd["latency_ms"]["all"], alone["latency_ms"]["all"]
    errors = crowd["errors"] + crowd["rejected"]
    tag = f"[{backend}]"
    setting = (
        f"{crowd['engineers']} engineers, each syncing (1-3 changes, push, pull) about every "
        f"{think:g} s for {crowd['seconds']:.0f} s: {crowd['requests']:,} requests, "
        f"{crowd['requests_per_s']:.0f}/s; push p95 {crowd['latency_ms']['push']['p95']:.0f} ms, "
        f"pull p95 {crowd['latency_ms']['pull']['p95']:.0f} ms"
    )
    figures = [
        Figure(
            f"load.p{p}{tag}",
            lat[f"p{p}"],
            "ms",
            "1 engineer alone",
            base_lat[f"p{p}"],
            "<= 100 ms" if p == 95 else "none (reported beside p95)",
            lat["p95"] <= 100 if p == 95 else True,
            note=setting if p == 95 else "",
        )
        for p in (50, 95, 99)
    ]
    over = stress["latency_ms"]
    figures.append(
        Figure(
            f"load.overload.p95{tag}",
            over["all"]["p95"],
            "ms",
            "1 engineer alone",
            base_lat["p95"],
            "none (what overload looks like)",
            True,
            note=(
                f"the same {stress['engineers']} engineers syncing about every "
                f"{opts.stress_think:g} s for {stress['seconds']:.0f} s: more than one server "
                f"process can serve; it served {stress['requests_per_s']:.0f} requests/s "
                f"({stress['requests']:,}) with {stress['errors'] + stress['rejected']} errors; "
                f"push p95 {over['push']['p95']:.0f} ms, pull p95 {over['pull']['p95']:.0f} ms"
            ),
        )
    )
    figures.append(
        Figure(
            f"load.errors{tag}",
            errors,
            "errors",
            "requests",
            crowd["requests"],
            "0",
            errors == 0,
            note="; ".join(crowd.get("error_samples", [])[:3]),
        )
    )
    return figures


# ---- main --------------------------------------------------------------------------------------

FIGURES: dict[str, Callable[[Backends, str, Options], Any]] = {
    "push": figure_push,
    "parallel": figure_parallel,
    "prime": figure_prime,
    "feed": figure_feed,
    "load": figure_load,
}


async def run(args: argparse.Namespace) -> list[Figure]:
    opts = Options(quick=args.quick, think=args.think, stress_think=args.stress_think)
    wanted = [w.strip() for w in args.only.split(",")] if args.only else list(FIGURES)
    unknown = set(wanted) - set(FIGURES)
    if unknown:
        raise SystemExit(f"unknown figures {sorted(unknown)}; choose from {sorted(FIGURES)}")
    backends_used = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    if args.postgres_only:
        backends_used = ["postgres"]
    root = Path(tempfile.mkdtemp(prefix="fieldsync-bench-"))
    backends = Backends(root, keep=args.keep)
    figures: list[Figure] = []
    try:
        for name in wanted:
            for backend in backends_used:
                figures += await FIGURES[name](backends, backend, opts)
    finally:
        await backends.drop_all()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="Write the figures as JSON to this file.")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL beside SQLite.")
    parser.add_argument("--postgres-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="Shorter runs (a smoke test).")
    parser.add_argument("--only", default="", help="Some of: push,parallel,prime,feed,load.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    parser.add_argument(
        "--think", type=float, default=10.0, help="load: each engineer's seconds between syncs."
    )
    parser.add_argument(
        "--stress-think",
        type=float,
        default=1.0,
        help="load: the seconds between syncs of the overload run reported beside it.",
    )
    args = parser.parse_args()
    before = os.getloadavg()[0]
    if before > 1.0:
        say(f"warning: the machine is busy (load average {before:.1f}); figures will suffer")
    started = time.perf_counter()
    figures = asyncio.run(run(args))
    print_table(figures)
    print(
        f"\n{os.cpu_count()} cores; load average {before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; {time.perf_counter() - started:.0f} s in all"
    )
    if args.json:
        args.json.write_text(json.dumps([f.record() for f in figures], indent=2) + "\n")


if __name__ == "__main__":
    main()
