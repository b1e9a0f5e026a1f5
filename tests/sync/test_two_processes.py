"""Two ``fieldsync serve`` processes on one PostgreSQL database: devices sync through both.

The scale-out shape of DESIGN.md (stateless app processes behind a load balancer, one
PostgreSQL): two engineers' devices, and two devices of one engineer on the same job, push and
pull alternately against different processes at the same time, while the office edits through
one process and a device pulls from the other. Every mutation must be applied exactly once,
the feed that each device reads must be strictly increasing with no change missed, and each
device's replica must end equal to what a new device gets from its priming pull.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import select

from api.db import Database
from api.models import DeviceSync, MutationLog
from sync import wire
from sync.client import SyncClient
from sync.cursor import decode_cursor
from tests.helpers import PASSWORD, fieldsync, fresh_pg_database, served

ROUNDS = 6
NOTES_PER_ROUND = 5

Page = tuple[str | None, wire.PullResponse]
"""A pull as a device made it: the cursor it sent and the page it got."""


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (required when CI=true)."""
    with fresh_pg_database() as url:
        yield url


def _setup_database(data: Path, env: dict[str, str]) -> None:
    fieldsync(data, "db", "upgrade", **env)
    users = [("dispatcher", "desk"), ("engineer", "wang"), ("engineer", "li")]
    with ThreadPoolExecutor(len(users)) as pool:
        runs = [
            pool.submit(
                fieldsync,
                data,
                *("user", "create", "--role", role, "--username", name, "--password", PASSWORD),
                **env,
            )
            for role, name in users
        ]
        for run in runs:
            run.result()


@dataclass
class Device:
    """A reference client that can reach both processes, and every pull it made."""

    name: str
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    client: SyncClient
    pages: list[Page] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Note bodies queued, by job."""
    lines: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Part lines queued, by job."""

    def via(self, process: str) -> None:
        """Talk to process "a" or "b" from now on."""
        self.client.http = self.a if process == "a" else self.b

    def work(self, job_id: str, part_id: str, round_no: int) -> None:
        """Queue a round of work on a job: notes and a part line."""
        for i in range(NOTES_PER_ROUND):
            body = f"{self.name} round {round_no} note {i} {uuid.uuid4().hex[:6]}"
            self.client.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body=body)
            self.notes[job_id].append(body)
        line = uuid.uuid4()
        self.client.mutate(
            "part_line.add",
            id=line,
            job_id=job_id,
            part_id=part_id,
            quantity=str(round_no + 1),
            billing="chargeable",
        )
        self.lines[job_id].append(str(line))

    async def push_all(self) -> list[wire.PushResponse]:
        """Push until the outbox is empty."""
        answers = []
        while self.client.outbox:
            answer = await self.client.push(batch=7)
            assert answer is not None
            answers.append(answer)
        return answers


class Processes:
    """The two app processes and the devices talking to them."""

    def __init__(self, base_a: str, base_b: str, stack: AsyncExitStack) -> None:
        self.base_a = base_a
        self.base_b = base_b
        self.stack = stack

    async def http(self, base: str, pages: list[Page] | None = None) -> httpx.AsyncClient:
        """An HTTP client for one process; with ``pages``, every pull is recorded there."""

        async def record(response: httpx.Response) -> None:
            if pages is not None and response.url.path == "/api/sync/pull":
                await response.aread()
                if response.status_code == 200:
                    page = msgspec.json.decode(response.content, type=wire.PullResponse)
                    pages.append((response.request.url.params.get("cursor"), page))

        client = httpx.AsyncClient(base_url=base, timeout=30, event_hooks={"response": [record]})
        return await self.stack.enter_async_context(client)

    async def device(self, name: str, username: str, first: str) -> Device:
        """A new device of ``username``, first talking to process ``first``."""
        pages: list[Page] = []
        a = await self.http(self.base_a, pages)
        b = await self.http(self.base_b, pages)
        client = SyncClient(http=a if first == "a" else b, username=username, password=PASSWORD)
        return Device(name=name, a=a, b=b, client=client, pages=pages)


def check_feed(device: Device) -> int:
    """The feed a device read: each pull continues from the last cursor, and the sequence
    numbers of the changes it received increase strictly from page to page. Returns how many
    feed pages had changes."""
    last_cursor: str | None = None
    last_seq = -1
    with_changes = 0
    for sent, page in device.pages:
        assert not page.resync, f"{device.name}: resync"
        assert sent == last_cursor, f"{device.name}: a pull did not continue from the last cursor"
        before = decode_cursor(sent) if sent else None
        after = decode_cursor(page.cursor)
        if before is not None and before.phase == "feed":
            assert after.phase == "feed"
            assert after.seq >= before.seq, f"{device.name}: the cursor went back"
            seqs = [i.seq for i in page.items if i.seq]
            assert len(seqs) == len(set(seqs)), f"{device.name}: a change twice in one page"
            if seqs:
                with_changes += 1
                assert min(seqs) > max(before.seq, last_seq), (
                    f"{device.name}: a change at or before one already delivered"
                )
                assert max(seqs) <= after.seq, f"{device.name}: a change beyond the cursor"
                last_seq = max(seqs)
        last_cursor = page.cursor
    return with_changes


@pytest.fixture
async def processes(pg_url: str, tmp_path: Path) -> AsyncIterator[Processes]:
    """Two ``fieldsync serve`` processes, each with its own data folder, on one database and
    one signing key."""
    env = {"FIELDSYNC_DATABASE_URL": pg_url, "FIELDSYNC_SECRET_KEY": secrets.token_urlsafe(48)}
    for name in ("cli", "a", "b"):
        (tmp_path / name).mkdir()
    await asyncio.to_thread(_setup_database, tmp_path / "cli", env)
    with ExitStack() as stack_a, ExitStack() as stack_b:
        base_a, base_b = await asyncio.gather(
            asyncio.to_thread(stack_a.enter_context, served(tmp_path / "a", **env)),
            asyncio.to_thread(stack_b.enter_context, served(tmp_path / "b", **env)),
        )
        async with AsyncExitStack() as clients:
            yield Processes(base_a, base_b, clients)


async def _ok(call: Awaitable[httpx.Response], status: int = 200) -> dict:
    response = await call
    assert response.status_code == status, response.text
    body: dict = response.json()
    return body


@pytest.mark.postgres
@pytest.mark.timeout(300)
async def test_two_app_processes_on_one_postgresql_database_sync_correctly(
    processes: Processes, pg_url: str
) -> None:
    a = await processes.http(processes.base_a)
    b = await processes.http(processes.base_b)

    # The office logs in on A; its token works on B as well (one signing key).
    login = await _ok(
        a.post(
            "/api/auth/login",
            json={"username": "desk", "password": PASSWORD, "device_id": str(uuid.uuid4())},
        )
    )
    desk = {"Authorization": f"Bearer {login['access_token']}"}
    customer = await _ok(
        b.post(
            "/api/customers",
            json={"name": "上海浦东建工集团", "contacts": [{"name": "赵经理", "phone": "139"}]},
            headers=desk,
        ),
        201,
    )
    site = await _ok(
        a.post(
            "/api/sites",
            json={"customer_id": customer["id"], "name": "浦东工地", "address": "上海市浦东新区"},
            headers=desk,
        ),
        201,
    )
    asset = await _ok(
        b.post(
            "/api/assets",
            json={"site_id": site["id"], "model": "CH-300", "serial": "SN-0001"},
            headers=desk,
        ),
        201,
    )
    part = await _ok(
        a.post("/api/parts", json={"code": "P-1", "name": "阀门", "price": "12.50"}, headers=desk),
        201,
    )
    engineers = (await _ok(b.get("/api/users?role=engineer", headers=desk)))["items"]
    ids = {u["username"]: u["id"] for u in engineers}
    jobs: dict[str, str] = {}
    for engineer, register, assign in (("wang", a, b), ("li", b, a)):
        job = await _ok(
            register.post(
                "/api/jobs",
                json={
                    "customer_id": customer["id"],
                    "asset_id": asset["id"],
                    "channel": "phone",
                    "fault_description": f"冷水机组不制冷 ({engineer})",
                },
                headers=desk,
            ),
            201,
        )
        jobs[engineer] = job["job"]["id"]
        await _ok(
            assign.post(
                f"/api/jobs/{jobs[engineer]}/assign",
                json={"engineer_id": ids[engineer]},
                headers=desk,
            )
        )
    shared, other = jobs["wang"], jobs["li"]

    phone = await processes.device("wang's phone", "wang", "a")
    tablet = await processes.device("wang's tablet", "wang", "b")
    li = await processes.device("li's phone", "li", "b")
    watcher = await processes.device("wang's watcher", "wang", "a")
    devices = [phone, tablet, li, watcher]
    await asyncio.gather(*(d.client.pull() for d in devices))
    for d in (phone, tablet, watcher):
        assert d.client.get("jobs", shared) is not None
        assert d.client.get("jobs", other) is None
    assert li.client.get("jobs", other) is not None

    answers: list[wire.PushResponse] = []
    office_edits: dict[str, str] = {}

    async def device_round(
        device: Device, job_id: str, push_to: str, edit: tuple[str, str], round_no: int
    ) -> None:
        device.work(job_id, part["id"], round_no)
        device.client.mutate("job.record", job_id=job_id, fields={edit[0]: edit[1]})
        device.via(push_to)
        answers.extend(await device.push_all())
        device.via("b" if push_to == "a" else "a")  # and pull from the other process
        await device.client.pull(limit=9)

    async def office_round(round_no: int) -> None:
        # Through B, while the devices pull from A (and push to both).
        for job_id in (shared, other):
            note = f"office round {round_no} {uuid.uuid4().hex[:6]}"
            await _ok(b.patch(f"/api/jobs/{job_id}", json={"office_notes": note}, headers=desk))
            office_edits[job_id] = note
        await _ok(
            b.patch(
                f"/api/customers/{customer['id']}",
                json={"phone": f"021-555{round_no}"},
                headers=desk,
            )
        )

    stop = asyncio.Event()

    async def watch() -> int:
        pulls = 0
        while not stop.is_set():
            await watcher.client.pull(limit=5)
            pulls += 1
            await asyncio.sleep(0.005)
        return pulls

    edits: dict[str, dict[str, str]] = {shared: {}, other: {}}
    watching = asyncio.create_task(watch())
    try:
        for round_no in range(ROUNDS):
            first, second = ("a", "b") if round_no % 2 == 0 else ("b", "a")
            plan = (
                (phone, shared, first, ("diagnosis", f"phone diagnosis {round_no}")),
                (tablet, shared, second, ("advice", f"tablet advice {round_no}")),
                (li, other, second, ("diagnosis", f"li diagnosis {round_no}")),
            )
            for _, job_id, _, (name, value) in plan:
                edits[job_id][name] = value
            await asyncio.gather(
                *(device_round(*work, round_no) for work in plan), office_round(round_no)
            )
    finally:
        stop.set()
        watcher_pulls = await watching

    # Every push answered, every mutation applied, none refused.
    for d in devices:
        assert d.client.outbox == []
        assert d.client.failed == [], (d.name, [f.reason for f in d.client.failed[:3]])
    statuses = Counter(r.status for ans in answers for r in ans.results)
    assert set(statuses) == {wire.Status.APPLIED}, statuses
    assert not any(r.replayed for ans in answers for r in ans.results)

    # The office sees each piece of work exactly once, through either process.
    for job_id, workers, via in ((shared, (phone, tablet), a), (other, (li,), b)):
        detail = await _ok(via.get(f"/api/jobs/{job_id}", headers=desk))
        bodies = Counter(n["body"] for n in detail["notes"])
        planned = [body for w in workers for body in w.notes[job_id]]
        assert [body for body, n in bodies.items() if n > 1] == [], "a note applied twice"
        assert sorted(bodies) == sorted(planned), "a note lost"
        lines = sorted(line["id"] for line in detail["part_lines"])
        assert lines == sorted(line for w in workers for line in w.lines[job_id])
        for name, value in edits[job_id].items():
            assert detail[name] == value, name
        assert detail["office_notes"] == office_edits[job_id]

    # In the database: each device's mutations logged once each, its last_seq the last one.
    db = Database(pg_url)
    try:
        async with db.read() as s:
            for d in devices:
                seqs = list(
                    await s.scalars(
                        select(MutationLog.seq).where(MutationLog.device_id == d.client.device_id)
                    )
                )
                sent = d.client.next_seq - 1
                assert sorted(seqs) == list(range(1, sent + 1)), d.name
                state = await s.get(DeviceSync, d.client.device_id)
                assert (state.last_seq if state else 0) == sent, d.name
    finally:
        await db.dispose()

    # A final sync of every device (through either process) and new devices' priming pulls.
    for i, d in enumerate(devices):
        d.via("ab"[i % 2])
        await d.client.sync()
    fresh_wang = await processes.device("wang's new phone", "wang", "b")
    fresh_li = await processes.device("li's new phone", "li", "a")
    await asyncio.gather(fresh_wang.client.pull(), fresh_li.client.pull())
    for d, fresh in ((phone, fresh_wang), (tablet, fresh_wang), (watcher, fresh_wang)):
        assert d.client.replica == fresh.client.replica, _difference(d, fresh)
    assert li.client.replica == fresh_li.client.replica, _difference(li, fresh_li)
    for fresh, job_id, workers in ((fresh_wang, shared, (phone, tablet)), (fresh_li, other, (li,))):
        rows = fresh.client.server.items()
        notes = [v["body"] for (e, _), v in rows if e == "notes" and v["job_id"] == job_id]
        assert sorted(notes) == sorted(body for w in workers for body in w.notes[job_id])
        job = fresh.client.get("jobs", job_id)
        assert job is not None
        assert job["office_notes"] == office_edits[job_id]
        for name, value in edits[job_id].items():
            assert job[name] == value, name
        assert fresh.client.get("customers", customer["id"])["phone"] == f"021-555{ROUNDS - 1}"

    # The feeds: strictly increasing, continued from cursor to cursor; the watcher pulled all
    # through the concurrent pushes and still ended with every note (nothing skipped).
    for d in devices:
        check_feed(d)
    assert watcher_pulls >= ROUNDS
    assert check_feed(watcher) >= ROUNDS, "the watcher saw changes arrive during the rounds"


def _difference(device: Device, fresh: Device) -> str:
    mine, theirs = device.client.replica, fresh.client.replica
    only_mine = sorted(set(mine) - set(theirs))[:5]
    only_theirs = sorted(set(theirs) - set(mine))[:5]
    changed = [k for k in set(mine) & set(theirs) if mine[k] != theirs[k]][:3]
    shown = [(k, mine[k], theirs[k]) for k in changed]
    return f"{device.name}: only here {only_mine}, only new {only_theirs}, differ {shown}"
