"""A load simulator: N engineers' phones syncing with a running Fieldsync server.

Each simulated engineer is a :class:`~sync.client.SyncClient` over its own
``httpx.AsyncClient`` (its own connections, as a phone has). It logs in and primes its replica
(the warm-up, timed apart), then loops until the time is up: it waits about ``think`` seconds,
makes one to three changes on its assigned jobs (``job.record``, ``note.add``,
``part_line.add``), pushes and pulls. Every request's latency is recorded from the moment it is
sent until its body has arrived; an HTTP error, a network error or a refused mutation is counted
as an error.

The engineers' accounts must exist and share one password: ``PREFIX1`` … ``PREFIXN``.
``fieldsync demo`` makes ``engineer1`` … ``engineer6`` (password ``demo1234``) with jobs
assigned; for larger N, ``bench/sync_bench.py`` makes users and jobs directly in the database.

Run it as ``fieldsync simulate --url URL --engineers N --seconds S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from sync.client import Key, SyncClient, SyncError, apply_locally

PUSH = "push"
PULL = "pull"
LOGIN = "login"
PRIME = "prime"
OTHER = "other"
AFTER = "after"
MEASURED = (PUSH, PULL)
"""The request kinds of the timed phase; ``all`` in the summary is these together."""
RECORD_FIELDS = ("diagnosis", "cause", "work_done", "advice")
MAX_SAMPLES = 20
"""Error messages kept as examples (all are counted)."""


class Percentiles(msgspec.Struct, kw_only=True):
    """Latency figures of one kind of request, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float


class Report(msgspec.Struct, kw_only=True):
    """What a simulation measured (also written by ``fieldsync simulate --json``)."""

    url: str
    engineers: int
    """Engineers that logged in and took part."""
    seconds: float
    """Length of the timed phase."""
    think_s: float
    requests: int
    """Requests of the timed phase (pushes and pulls)."""
    requests_per_s: float
    errors: int
    """Failed requests (HTTP status 400 or above, or no answer) in every phase."""
    rejected: int
    """Mutations the server refused."""
    mutations: int
    """Mutations the server answered, by status in ``statuses``."""
    statuses: dict[str, int]
    latency_ms: dict[str, Percentiles]
    """Per kind: push, pull (timed phase), all (both), login and prime (warm-up)."""
    error_samples: list[str] = []


def percentile(sorted_values: list[float], pct: float) -> float:
    """The nearest-rank percentile of values sorted ascending (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(values: list[float]) -> Percentiles:
    """Percentiles of latencies given in seconds, reported in milliseconds."""
    ordered = sorted(values)
    mean = sum(ordered) / len(ordered) if ordered else 0.0
    return Percentiles(
        count=len(ordered),
        p50=round(percentile(ordered, 50) * 1000, 2),
        p95=round(percentile(ordered, 95) * 1000, 2),
        p99=round(percentile(ordered, 99) * 1000, 2),
        max=round((ordered[-1] if ordered else 0.0) * 1000, 2),
        mean=round(mean * 1000, 2),
    )


@dataclass
class Recorder:
    """Latencies and errors of every request, shared by all simulated engineers."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    last_timed: float = 0.0
    """When the last request of the timed phase ended (``time.perf_counter``)."""

    def request(self, kind: str, seconds: float) -> None:
        """One request answered (whatever its status)."""
        self.latencies.setdefault(kind, []).append(seconds)
        if kind in MEASURED:
            self.last_timed = time.perf_counter()

    def error(self, message: str) -> None:
        """One failure."""
        self.errors += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(message[:300])


class TimedTransport(httpx.AsyncBaseTransport):
    """Times each request from sending to the end of its body, and counts failures."""

    def __init__(self, recorder: Recorder, who: str, limits: httpx.Limits) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=limits)
        self._recorder = recorder
        self._who = who
        self.phase = "warm-up"
        """warm-up (logins and priming pulls), timed, or after (the last push): timed apart."""

    def _kind(self, request: httpx.Request) -> str:
        path = request.url.path
        if path.endswith("/auth/login"):
            return LOGIN
        if self.phase == "warm-up":
            return PRIME if path.endswith("/sync/pull") else OTHER
        if self.phase == "after":
            return AFTER
        if path.endswith("/sync/push"):
            return PUSH
        if path.endswith("/sync/pull"):
            return PULL
        return OTHER

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        kind = self._kind(request)
        start = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
            try:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            self._recorder.error(f"{self._who} {kind}: {exc!r}")
            raise
        self._recorder.request(kind, time.perf_counter() - start)
        if response.status_code >= 400:
            text = raw[:200].decode(errors="replace")
            self._recorder.error(f"{self._who} {kind}: HTTP {response.status_code} {text}")
        # The raw (still compressed) body: the client decodes it as it would have.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class SimulatedClient(SyncClient):
    """The reference client with a cheaper ``get``: one record of the replica, not a deep copy
    of all of it (the results are the same)."""

    def get(self, entity: str, ident: uuid.UUID | str) -> dict[str, Any] | None:
        key: Key = (entity, str(ident))
        current = self.server.get(key)
        view: dict[Key, dict[str, Any]] = {} if current is None else {key: dict(current)}
        for pending in self.outbox:
            apply_locally(view, pending.envelope.name, pending.args)
        return view.get(key)


@dataclass
class Engineer:
    """One simulated engineer with one phone."""

    username: str
    client: SimulatedClient
    http: httpx.AsyncClient
    transport: TimedTransport
    rng: random.Random
    jobs: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    made: int = 0

    def refresh_scope(self) -> None:
        """Learn the assigned jobs and the catalogue from the replica."""
        self.jobs = sorted(ident for entity, ident in self.client.server if entity == "jobs")
        self.parts = sorted(ident for entity, ident in self.client.server if entity == "parts")

    def make_change(self) -> None:
        """One change on one of the engineer's jobs, as a person would make it."""
        if not self.jobs:
            return
        self.made += 1
        job_id = self.rng.choice(self.jobs)
        roll = self.rng.random()
        if roll < 0.3:
            name = self.rng.choice(RECORD_FIELDS)
            text = f"{name} by {self.username}, edit {self.made}: 检查压缩机与冷凝器"
            self.client.mutate("job.record", job_id=job_id, fields={name: text})
        elif roll < 0.8 or not self.parts:
            self.client.mutate(
                "note.add",
                id=uuid.uuid4(),
                job_id=job_id,
                body=f"Note {self.made} from {self.username}: 客户要求下周复查",
            )
        else:
            self.client.mutate(
                "part_line.add",
                id=uuid.uuid4(),
                job_id=job_id,
                part_id=self.rng.choice(self.parts),
                quantity=str(self.rng.randint(1, 3)),
                billing=self.rng.choice(("warranty", "chargeable")),
            )


async def _warm_up(engineer: Engineer, recorder: Recorder, gate: asyncio.Semaphore) -> bool:
    async with gate:
        try:
            await engineer.client.login()
            await engineer.client.pull(limit=2000)
        except SyncError as exc:
            if "login failed" in str(exc):
                recorder.error(
                    f"{engineer.username}: {exc} (the accounts must exist: `fieldsync demo` "
                    "makes engineer1..6 with password demo1234)"
                )
            return False
    engineer.refresh_scope()
    engineer.transport.phase = "timed"
    return True


async def _run_engineer(
    engineer: Engineer, recorder: Recorder, *, think: float, deadline: float
) -> None:
    rng = engineer.rng
    # Staggered starts: the engineers do not all sync in the same instant.
    await asyncio.sleep(rng.uniform(0, think))
    while time.perf_counter() < deadline:
        for _ in range(rng.randint(1, 3)):
            engineer.make_change()
        # A failure is counted by the transport; the outbox is intact and goes next time.
        with contextlib.suppress(SyncError):
            await engineer.client.push()
        with contextlib.suppress(SyncError):
            await engineer.client.pull()
        engineer.refresh_scope()
        pause = rng.uniform(0.5, 1.5) * think
        if time.perf_counter() + pause >= deadline:
            break
        await asyncio.sleep(pause)
    # Whatever is still queued goes now (not timed), so no work is left behind.
    engineer.transport.phase = "after"
    with contextlib.suppress(SyncError):
        await engineer.client.push()


async def simulate(
    url: str,
    *,
    engineers: int,
    seconds: float,
    password: str,
    prefix: str = "engineer",
    first: int = 1,
    think: float = 1.0,
    warm_up_concurrency: int = 8,
    seed: int | None = None,
) -> Report:
    """Run ``engineers`` simulated engineers against ``url`` for ``seconds`` after a warm-up
    (logins and priming pulls, at most ``warm_up_concurrency`` at once)."""
    if engineers < 1:
        raise ValueError("at least one engineer")
    master = random.Random(seed)
    recorder = Recorder()
    crew: list[Engineer] = []
    active: list[Engineer] = []
    # Idle connections are dropped well before uvicorn's 5 s keep-alive closes them, so a
    # request never goes out on a connection that the server is closing.
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=2.0)
    for n in range(first, first + engineers):
        username = f"{prefix}{n}"
        transport = TimedTransport(recorder, username, limits)
        http = httpx.AsyncClient(base_url=url, transport=transport, timeout=60)
        client = SimulatedClient(http=http, username=username, password=password)
        crew.append(
            Engineer(
                username=username,
                client=client,
                http=http,
                transport=transport,
                rng=random.Random(master.random()),
            )
        )
    try:
        gate = asyncio.Semaphore(warm_up_concurrency)
        ready = await asyncio.gather(*(_warm_up(e, recorder, gate) for e in crew))
        active = [e for e, ok in zip(crew, ready, strict=True) if ok]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(_run_engineer(e, recorder, think=think, deadline=deadline) for e in active)
        )
        elapsed = max(recorder.last_timed - start, 0.0)
    finally:
        await asyncio.gather(*(e.http.aclose() for e in crew))
    statuses: Counter[str] = Counter()
    rejected = 0
    for engineer in active:
        statuses.update(r.status.value for r in engineer.client.results)
        for failed in engineer.client.failed:
            rejected += 1
            if len(recorder.samples) < MAX_SAMPLES:
                what = f"{engineer.username} {failed.pending.envelope.name}"
                recorder.samples.append(f"{what} rejected: {failed.reason}"[:300])
    measured = [v for kind in MEASURED for v in recorder.latencies.get(kind, [])]
    latency = {"all": summarise(measured)}
    for kind in (PUSH, PULL, LOGIN, PRIME):
        latency[kind] = summarise(recorder.latencies.get(kind, []))
    return Report(
        url=url,
        engineers=len(active),
        seconds=round(elapsed, 2),
        think_s=think,
        requests=len(measured),
        requests_per_s=round(len(measured) / elapsed, 1) if elapsed > 0 else 0.0,
        errors=recorder.errors,
        rejected=rejected,
        mutations=sum(statuses.values()),
        statuses=dict(statuses),
        latency_ms=latency,
        error_samples=recorder.samples,
    )


def format_report(report: Report) -> str:
    """The report as a few lines of text."""
    lines = [
        f"{report.engineers} engineers for {report.seconds:.1f} s against {report.url} "
        f"(one sync every ~{report.think_s:g} s each): {report.requests} requests, "
        f"{report.requests_per_s:.1f}/s",
        f"{'kind':<7} {'count':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}",
    ]
    for kind in ("all", PUSH, PULL, LOGIN, PRIME):
        p = report.latency_ms[kind]
        lines.append(
            f"{kind:<7} {p.count:>7} {p.p50:>9.1f} {p.p95:>9.1f} {p.p99:>9.1f} {p.max:>9.1f}"
        )
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items())) or "none"
    lines.append(f"mutations answered: {report.mutations} ({statuses})")
    requests = "request" if report.errors == 1 else "requests"
    mutations = "mutation" if report.rejected == 1 else "mutations"
    lines.append(
        f"errors: {report.errors} failed {requests}, {report.rejected} rejected {mutations}"
    )
    lines += [f"  {sample}" for sample in report.error_samples[:10]]
    return "\n".join(lines)


__all__ = [
    "Percentiles",
    "Report",
    "format_report",
    "percentile",
    "simulate",
    "summarise",
]
