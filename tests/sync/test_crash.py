"""A real server process SIGKILLed 20 times in the middle of pushes while a device retries.

Exactly-once (DESIGN.md, principles of sync 1 and 2) must hold across crashes: a push killed
before its commit is applied by a retry, a push killed after its commit but before its answer
is answered from the mutation log by a retry, and nothing is applied twice or lost. Half the
kills fall at a random moment into a push, half the moment the push's transaction commits
(seen in the database). Runs on SQLite (the file in the data folder) and on PostgreSQL.

A cold start of ``fieldsync serve`` spends seconds importing the application, so the servers
are forked from one process that imported it once and each runs the ``fieldsync serve``
command itself (``api.cli.main``), as a pre-loading server does. Set FIELDSYNC_CRASH_SEED to
replay the random moments of a run (printed with ``-s``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE, Popen, TimeoutExpired

import aiosqlite
import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, text

from api.db import Database
from api.models import Change, DeviceSync, MutationLog, Note, PartLine
from api.models import Counter as CounterRow
from sync import wire
from sync.client import Pending, SyncClient, SyncError
from tests.conftest import _pg_dsn
from tests.helpers import PASSWORD, free_port, fresh_pg_database, server_env

KILLS = 20
FIRST_NOTES = 400
BATCH = 20

ZYGOTE = """
import json
import os
import signal
import sys
import traceback

import uvicorn  # noqa: F401  (imported once here; each forked command starts at once)

import api.app  # noqa: F401
from api.cli import main

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children when they end
for line in sys.stdin:
    argv, log = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            main(argv, prog_name="fieldsync")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            with open(log + ".tmp", "w") as rc:
                rc.write(str(code))
            os.rename(log + ".tmp", log + ".rc")
            os._exit(code)
    print(pid, flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class KillableServer:
    """``fieldsync serve`` on a fixed port and data folder, SIGKILLed and restarted at will.

    Each ``fieldsync`` command (serve, and the setup's db upgrade and user create) runs in a
    child forked from one process that imported the application once, as a pre-loading server
    does: a restart takes a fraction of a second instead of the seconds of a cold start.
    """

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs: list[Path] = []
        self.commands = 0
        self.pid: int | None = None
        self.lock = threading.Lock()
        """One fork request at a time on the pipes."""
        self.zygote_log = data / f"zygote-{self.port}.log"
        with self.zygote_log.open("wb") as out:
            self.zygote = Popen(
                [sys.executable, "-c", ZYGOTE],
                env=server_env(data, **env),
                stdin=PIPE,
                stdout=PIPE,
                stderr=out,
            )

    def _fork(self, argv: list[str], log: Path) -> int:
        stdin, stdout = self.zygote.stdin, self.zygote.stdout
        assert stdin is not None
        assert stdout is not None
        with self.lock:
            stdin.write(json.dumps([argv, str(log)]).encode() + b"\n")
            stdin.flush()
            answer = stdout.readline()
        if not answer:
            raise RuntimeError(self.zygote_log.read_text())
        return int(answer)

    def _run(self, argv: list[str]) -> None:
        with self.lock:
            self.commands += 1
            log = self.data / f"command-{self.commands:02d}.log"
        pid = self._fork(argv, log)
        rc = Path(f"{log}.rc")
        deadline = time.monotonic() + 120
        while not rc.exists():
            assert _alive(pid) or rc.exists(), f"fieldsync {argv} died: {log.read_text()}"
            assert time.monotonic() < deadline, f"fieldsync {argv} did not end"
            time.sleep(0.02)
        assert rc.read_text() == "0", f"fieldsync {' '.join(argv)}: {log.read_text()}"

    async def run(self, *argv: str) -> None:
        """Run a ``fieldsync`` command to its end; fails the test if it fails."""
        await asyncio.to_thread(self._run, list(argv))

    @property
    def started(self) -> int:
        """How many server processes were started."""
        return len(self.logs)

    async def start(self) -> None:
        """Start a server process and wait until /health answers ok."""
        assert self.pid is None
        log = self.data / f"server-{self.port}-{len(self.logs):02d}.log"
        self.logs.append(log)
        serve = ["serve", "--no-migrate", "--port", str(self.port)]
        pid = self.pid = await asyncio.to_thread(self._fork, serve, log)
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.base, timeout=1) as probe:
            while True:
                try:
                    answer = await probe.get("/health")
                    if answer.status_code == 200 and answer.json()["database"] == "ok":
                        return
                except httpx.TransportError:
                    pass
                if not _alive(pid) or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text() if log.exists() else "no log")
                await asyncio.sleep(0.01)

    async def _gone(self, pid: int) -> None:
        deadline = time.monotonic() + 10
        while _alive(pid):
            assert time.monotonic() < deadline, f"server {pid} did not end"
            await asyncio.sleep(0.005)

    async def kill(self) -> None:
        """SIGKILL the serving process: no shutdown, no flush, no goodbye."""
        assert self.pid is not None
        pid, self.pid = self.pid, None
        os.kill(pid, signal.SIGKILL)
        await self._gone(pid)

    async def close(self) -> None:
        """Stop the serving process politely, then the process that forks them."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            os.kill(pid, signal.SIGTERM)
            await self._gone(pid)
        if self.zygote.stdin is not None:
            self.zygote.stdin.close()  # its loop ends
        try:
            await asyncio.to_thread(self.zygote.wait, 10)
        except TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()

    def errors(self) -> list[str]:
        """Error lines that any of the server processes logged."""
        return [
            line
            for log in [self.zygote_log, *self.logs]
            if log.exists()
            for line in log.read_text().splitlines()
            if '"level": "error"' in line or "Traceback" in line
        ]


@dataclass
class Plan:
    """Everything the device queued, to check against what the office sees."""

    job_id: str
    part_id: str
    notes: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    diagnosis: str = ""
    last: Pending | None = None
    """The last mutation queued."""

    def queue(self, phone: SyncClient, count: int) -> None:
        """Queue ``count`` notes, with a diagnosis edit every 10 and a part line every 25."""
        for _ in range(count):
            i = len(self.notes)
            body = f"note {i:04d} {uuid.uuid4().hex[:8]}"
            phone.mutate("note.add", id=uuid.uuid4(), job_id=self.job_id, body=body)
            self.notes.append(body)
            if i % 10 == 9:
                self.diagnosis = f"diagnosis after note {i}"
                phone.mutate("job.record", job_id=self.job_id, fields={"diagnosis": self.diagnosis})
            if i % 25 == 24:
                line = uuid.uuid4()
                phone.mutate(
                    "part_line.add",
                    id=line,
                    job_id=self.job_id,
                    part_id=self.part_id,
                    quantity=str(1 + i % 3),
                    billing="warranty",
                )
                self.lines.append(str(line))
        self.last = phone.outbox[-1]


@dataclass
class Pushes:
    """The device's push attempts, as the killer sees them."""

    in_flight: int | None = None
    on_wire: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: int = 0
    failed: set[int] = field(default_factory=set)
    answers: list[wire.PushResponse] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    """Seconds that each answered push took."""


async def push_until_done(
    phone: SyncClient, plan: Plan, pushes: Pushes, kills_done: asyncio.Event
) -> None:
    """Push in small batches, retrying on every error; keep working while the killer kills."""
    while phone.outbox or not kills_done.is_set():
        if not kills_done.is_set() and len(phone.outbox) < 2 * BATCH:
            plan.queue(phone, BATCH)
        pushes.attempts += 1
        attempt = pushes.attempts
        pushes.in_flight = attempt
        pushes.on_wire.set()
        sent = time.monotonic()
        try:
            answer = await phone.push(batch=BATCH)
        except SyncError:
            pushes.failed.add(attempt)
            await asyncio.sleep(0.05)
        else:
            if answer is not None:
                pushes.answers.append(answer)
                pushes.durations.append(time.monotonic() - sent)
        finally:
            pushes.in_flight = None
            pushes.on_wire.clear()


class LastSeq:
    """Reads the device's last applied sequence straight from the database, to catch the moment
    a push commits."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite: aiosqlite.Connection | None = None
        self.pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> LastSeq:
        if self.url.startswith("sqlite"):
            self.sqlite = await aiosqlite.connect(self.url.split("///", 1)[1])
        else:
            self.pg = await asyncpg.connect(_pg_dsn(self.url))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.sqlite is not None:
            await self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def read(self) -> int:
        """The highest sequence applied (one device pushes)."""
        query = "SELECT coalesce(max(last_seq), 0) FROM device_sync"
        if self.pg is not None:
            return int(await self.pg.fetchval(query))
        assert self.sqlite is not None
        async with self.sqlite.execute(query) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


async def _random_moment(pushes: Pushes, rng: random.Random) -> None:
    """Some time into a push on the wire, up to a little longer than pushes take."""
    await pushes.on_wire.wait()
    took = sorted(pushes.durations)[len(pushes.durations) // 2] if pushes.durations else 0.2
    await asyncio.sleep(rng.uniform(0, 1.2 * took))


async def _just_committed(pushes: Pushes, seqs: LastSeq) -> None:
    """The moment a push's transaction commits, before (most likely) its answer is written."""
    while True:
        await pushes.on_wire.wait()
        attempt = pushes.in_flight
        before = await seqs.read()
        while pushes.in_flight == attempt:
            if await seqs.read() > before:
                return
        # That push ended before we saw it commit (or it failed): aim at the next one.


async def kill_repeatedly(
    server: KillableServer,
    pushes: Pushes,
    seqs: LastSeq,
    rng: random.Random,
    kills_done: asyncio.Event,
) -> list[int]:
    """SIGKILL the server KILLS times and restart it each time: half the kills at a random
    moment into a push, half just after a push committed. Returns the push attempts that were
    in flight at each kill."""
    victims: list[int] = []
    try:
        for k in range(KILLS):
            await asyncio.sleep(rng.uniform(0.02, 0.2))
            if k % 2:
                await _just_committed(pushes, seqs)
            else:
                await _random_moment(pushes, rng)
            victims.append(pushes.in_flight or 0)
            await server.kill()
            await server.start()
    finally:
        kills_done.set()
    return victims


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The server's database settings: SQLite in the data folder, or a new PostgreSQL database
    (each migrated by ``fieldsync db upgrade`` in the test)."""
    if request.param == "sqlite":
        yield {}
        return
    with fresh_pg_database() as url:
        yield {"FIELDSYNC_DATABASE_URL": url}


async def _setup_database(server: KillableServer) -> None:
    """``fieldsync db upgrade``, then a dispatcher and an engineer by ``fieldsync user create``."""
    await server.run("db", "upgrade")
    await asyncio.gather(
        *(
            server.run("user", "create", "--role", role, "--username", name, "--password", PASSWORD)
            for role, name in (("dispatcher", "desk"), ("engineer", "wang"))
        )
    )


async def _office(base: str) -> tuple[dict[str, str], str, str]:
    """The dispatcher registers a customer, a part and a job, and assigns it to wang."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as office:
        login = await office.post(
            "/api/auth/login",
            json={"username": "desk", "password": PASSWORD, "device_id": str(uuid.uuid4())},
        )
        assert login.status_code == 200, login.text
        desk = {"Authorization": f"Bearer {login.json()['access_token']}"}
        customer = await office.post(
            "/api/customers", json={"name": "上海浦东建工集团", "phone": "021-5555"}, headers=desk
        )
        assert customer.status_code == 201, customer.text
        part = await office.post(
            "/api/parts", json={"code": "P-1", "name": "阀门", "price": "12.50"}, headers=desk
        )
        assert part.status_code == 201, part.text
        job = await office.post(
            "/api/jobs",
            json={
                "customer_id": customer.json()["id"],
                "channel": "phone",
                "fault_description": "冷水机组不制冷",
            },
            headers=desk,
        )
        assert job.status_code == 201, job.text
        job_id = job.json()["job"]["id"]
        engineers = (await office.get("/api/users?role=engineer", headers=desk)).json()["items"]
        wang = next(u for u in engineers if u["username"] == "wang")
        assigned = await office.post(
            f"/api/jobs/{job_id}/assign", json={"engineer_id": wang["id"]}, headers=desk
        )
        assert assigned.status_code == 200, assigned.text
        return desk, job_id, part.json()["id"]


async def _check_database(url: str, plan: Plan, phone: SyncClient, mutations: int) -> None:
    """The stored state after the crashes: intact, each mutation logged once, effects once."""
    db = Database(url)
    try:
        async with db.read() as s:
            if db.sqlite:
                assert (await s.execute(text("PRAGMA integrity_check"))).scalars().all() == ["ok"]
                assert (await s.execute(text("PRAGMA foreign_key_check"))).all() == []
            else:
                broken = await s.scalar(
                    text("SELECT count(*) FROM pg_index WHERE NOT indisvalid OR NOT indisready")
                )
                assert broken == 0
            logged = (
                await s.execute(
                    select(MutationLog.seq, MutationLog.name, MutationLog.args).where(
                        MutationLog.device_id == phone.device_id
                    )
                )
            ).all()
            assert sorted(r.seq for r in logged) == list(range(1, mutations + 1)), (
                "each sequence number logged exactly once, without gaps"
            )
            state = await s.get(DeviceSync, phone.device_id)
            assert state is not None
            assert state.last_seq == mutations
            job_id = uuid.UUID(plan.job_id)
            notes = (await s.execute(select(Note.id, Note.body).where(Note.job_id == job_id))).all()
            assert sorted(n.body for n in notes) == sorted(plan.notes)
            noted = {uuid.UUID(r.args["id"]) for r in logged if r.name == "note.add"}
            assert {n.id for n in notes} == noted, "every note row is a logged note.add"
            lines = await s.scalars(select(PartLine.id).where(PartLine.job_id == job_id))
            assert sorted(str(i) for i in lines) == sorted(plan.lines)
            feed_rows, feed_seqs, feed_max = (
                await s.execute(
                    select(
                        func.count(), func.count(func.distinct(Change.seq)), func.max(Change.seq)
                    )
                )
            ).one()
            assert feed_rows == feed_seqs
            slot = await s.scalar(select(CounterRow.value).where(CounterRow.name == "feed"))
            assert slot is not None
            assert feed_max >> 20 <= slot, "the feed counter never falls behind the feed"
    finally:
        await db.dispose()


@pytest.mark.timeout(300)
async def test_sigkilled_server_during_pushes_applies_every_mutation_exactly_once(
    backend: dict[str, str], tmp_path: Path
) -> None:
    begun = time.monotonic()
    seed = int(os.environ.get("FIELDSYNC_CRASH_SEED", random.randrange(1 << 32)))
    rng = random.Random(seed)
    data = tmp_path / "data"
    data.mkdir()
    url = backend.get("FIELDSYNC_DATABASE_URL") or f"sqlite+aiosqlite:///{data / 'fieldsync.db'}"
    server = KillableServer(data, backend)
    try:
        await _setup_database(server)
        await server.start()
        desk, job_id, part_id = await _office(server.base)

        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            phone = SyncClient(http=http, username="wang", password=PASSWORD)
            await phone.pull()
            assert phone.get("jobs", job_id) is not None
            phone.mutate("job.accept", job_id=job_id)
            phone.mutate("job.status", job_id=job_id, to="en_route")
            phone.mutate("job.status", job_id=job_id, to="on_site", latitude=31.2, longitude=121.5)
            plan = Plan(job_id=job_id, part_id=part_id)
            plan.queue(phone, FIRST_NOTES)

            pushes = Pushes()
            kills_done = asyncio.Event()
            async with (
                LastSeq(url) as seqs,
                asyncio.timeout(240),
                asyncio.TaskGroup() as tasks,
            ):
                killing = tasks.create_task(kill_repeatedly(server, pushes, seqs, rng, kills_done))
                tasks.create_task(push_until_done(phone, plan, pushes, kills_done))
            victims = killing.result()

            mutations = phone.next_seq - 1
            stats = (
                f"seed={seed} kills={len(victims)} restarts={server.started - 1} "
                f"attempts={pushes.attempts} failed={len(pushes.failed)} mutations={mutations}"
            )
            interrupted = sum(1 for v in victims if v in pushes.failed)
            replayed = sum(1 for a in pushes.answers if any(r.replayed for r in a.results))
            stats += f" interrupted={interrupted} answers_lost_and_replayed={replayed}"
            print(stats)
            assert len(victims) == KILLS, stats
            assert server.started == KILLS + 1, stats
            assert interrupted >= KILLS // 4, f"too few kills hit a push in flight: {stats}"
            assert replayed > 0, f"no kill fell between a commit and its answer: {stats}"

            # The device: every mutation answered once, none refused, the outbox empty.
            assert phone.outbox == []
            assert phone.failed == [], [f.reason for f in phone.failed[:3]]
            assert len(phone.results) == mutations
            assert len({r.id for r in phone.results}) == mutations
            assert {r.seq for r in phone.results} == set(range(1, mutations + 1))
            assert {r.status for r in phone.results} == {wire.Status.APPLIED}, stats
            assert pushes.answers[-1].last_seq == mutations

            # A final push (the last mutation once more, as after a lost answer) is answered
            # from the log and reports every sequence number applied.
            assert plan.last is not None
            phone.outbox = [plan.last]
            final = await phone.push()
            assert final is not None
            assert final.last_seq == mutations
            assert [(r.seq, r.status, r.replayed) for r in final.results] == [
                (mutations, wire.Status.APPLIED, True)
            ]

            # The office sees each note once, every part line, the last diagnosis.
            detail = await http.get(f"/api/jobs/{job_id}", headers=desk)
            assert detail.status_code == 200, detail.text
            job = detail.json()
        bodies = Counter(n["body"] for n in job["notes"])
        assert [b for b, n in bodies.items() if n > 1] == [], "a note applied twice"
        assert sorted(bodies) == sorted(plan.notes), "a note lost"
        assert len(job["notes"]) == len(plan.notes), "one note per note.add mutation"
        assert sorted(p["id"] for p in job["part_lines"]) == sorted(plan.lines)
        assert job["diagnosis"] == plan.diagnosis
        assert job["job"]["status"] == "on_site"
        assert [t["kind"] for t in job["trip"]] == ["departed", "arrived"]
    finally:
        await server.close()
    assert server.errors() == [], server.errors()[:5]
    await _check_database(url, plan, phone, mutations)
    print(f"crash test on {'PostgreSQL' if backend else 'SQLite'}: {time.monotonic() - begun:.1f}s")
