"""A stateful property test of the whole sync engine over an unreliable network.

Three devices (the engineer wang on two phones, the engineer li on one) and the office ("desk",
and the supervisor "boss", over REST) work on the same two jobs. Devices edit the engineer's
record, move statuses, add notes, use, change and remove parts, take, correct and remove
photos, take customer signatures (a stray one, or at the end of a visit: on site, work done,
signed), the customer's rating on site and items taken back for repair; the office edits its
own fields, reassigns, cancels and revives jobs, resolves conflicts, and takes a signed job
through the rest of its life: the supervisor approves it (or sends it back), the desk settles
it, calls the customer back (satisfied: the job leaves the engineer's phone; not satisfied: it
is reopened for a new visit and its signatures are set aside), closes it, or reopens it after a
complaint, and dispatches the new visit. In some examples a visit is over (signed and synced)
when the test begins, so that the office has signed jobs to take further. Every push and pull
goes through :mod:`tests.sync.simnet`, which drops requests, drops answers, delivers twice, or
holds a request and hands it to the app later, after others and in any order; phones keep
working offline on jobs the office has meanwhile reviewed, settled or closed.

At the end everything is delivered over a reliable network, and then:

1. every device's copy of the server's records equals what a brand-new device of the same
   engineer gets from a priming pull (jobs evicted from it included), and that device holds
   the jobs assigned to its engineer, but those called back satisfied or closed (they left the
   phones), and no other (a job reopened after such a call-back may be held or not until its
   new visit is dispatched);
2. every value a device wrote to the engineer's record (diagnosis, cause, work done, advice),
   to a part line (note, quantity) or to a photo (caption, category), every customer
   signature, and every office note the office wrote, is the current value, or in the job's
   field history (overridden, or refused with the mutation's arguments), or in a conflict
   record, or in the job's audit trail: nothing is lost;
3. no mutation took effect twice: each job has exactly one note per note.add and one rating
   per satisfaction.add that was not rejected, and every part line, photo, repair receipt and
   rating a mutation made that was not rejected exists;
4. every outbox is empty and every refused mutation has a reason; the app never answered 5xx
   and logged no error;
5. after the office's review: an edit (job.record, part_line.change/remove, photo.change/
   remove) that reached the server while its job was reviewed, settled, followed up or closed
   was refused with ``job_reviewed`` and is in the job's field history, and no other edit was;
   a new part line, photo or receipt that arrived then was kept with a ``jobs.reviewed_work``
   conflict (or, from a former assignee, a reassigned one), and no other was; the record,
   part lines and photos of a job still under review are as the supervisor approved them
   (but for the office's own conflict decisions since);
6. one rating on site per visit: taking each rating to belong to the visit it was made in, the
   one it reached the server in, or one between (so whatever the server takes it to be), the
   ratings a job kept fit one per visit (a visit ends when the office reopens the job); and a
   rating refused with ``already_rated`` came after one that may be of its visit.

It runs on SQLite only: the property is about the protocol (exactly once, merge, feed) over a
bad network, not the database; the PostgreSQL path of the same code is covered by the other
sync tests, which run on both. Each example copies one migrated SQLite file with the people,
a part and two assigned jobs already in it (and the devices already logged in), and runs on
one app built once per test (``create_app`` takes about 0.25 s; its only per-database state
is ``app.state.db``, which each example replaces with its own ``Database``).

``FIELDSYNC_STATEFUL_EXAMPLES`` sets the number of examples (default 300, a few minutes on two
cores). Marked ``slow`` (it still runs by default) and given its own timeout, since shrinking a
failure may take Hypothesis up to five more minutes.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar import Litestar
from sqlalchemy import select

from api.app import create_app
from api.db import Database
from api.domain.sync.maintenance import prune_feed
from api.models import (
    Asset,
    Contact,
    Customer,
    Job,
    LocationKind,
    PartLine,
    Photo,
    RepairReceipt,
    Role,
    Satisfaction,
    Site,
    StockLocation,
    User,
    utcnow,
)
from api.settings import AuthSettings, Settings
from sync import wire
from sync.client import SyncClient, SyncError
from sync.rules.lifecycle import OFFICE_STAGE
from sync.rules.warranty import warranty_end
from tests.helpers import PASSWORD, PASSWORD_HASH
from tests.sync.simnet import Fault, SimNet

T = TypeVar("T")

EXAMPLES = int(os.environ.get("FIELDSYNC_STATEFUL_EXAMPLES", "300"))
BASE_URL = "http://testserver"
SECRET = "stateful-test-secret-key-that-is-long-enough"

DEVICES = ("wang-1", "wang-2", "li-1")
USER_OF = {"wang-1": "wang", "wang-2": "wang", "li-1": "li"}
FRESH = {"wang": "wang-fresh", "li": "li-fresh"}
"""Devices that log in at the start and pull only at the end, to see the server's truth."""
ENGINEERS = ("wang", "li")
RECORD_FIELDS = ("diagnosis", "cause", "work_done", "advice")
ROW_ADDS = {
    "part_line.add": PartLine,
    "photo.add": Photo,
    "receipt.add": RepairReceipt,
    "satisfaction.add": Satisfaction,
}
"""Mutations that make a row with the device's id, and its table."""
REVIEWED_EDITS = (
    "job.record",
    "part_line.change",
    "part_line.remove",
    "photo.change",
    "photo.remove",
)
"""Mutations refused (``job_reviewed``) on a job the office has reviewed."""
KEPT_AFTER_REVIEW = ("part_line.add", "photo.add", "receipt.add")
"""Mutations kept with a ``jobs.reviewed_work`` conflict on a job the office has reviewed."""
UNDER_REVIEW = frozenset(str(s) for s in OFFICE_STAGE)
"""reviewed, settled, followed_up, closed."""
OFF_THE_PHONE = frozenset({"followed_up", "closed"})
"""Statuses whose job has left its engineer's phone (the satisfied call-back ended it)."""
SIGNED_ON_THE_PHONE = frozenset({"signed", *UNDER_REVIEW})
"""Statuses of a job whose customer has signed."""
AFTER_VISIT = ("signed", "reviewed", "settled", "followed_up", "reopened")
"""Statuses from which the office takes a job further after the customer signed."""
FINISH = {
    "assigned": ("on_site", "work_done"),
    "en_route": ("on_site", "work_done"),
    "waiting_parts": ("on_site", "work_done"),
    "on_site": ("work_done",),
    "work_done": (),
}
"""The taps that end a visit, from the status the phone shows, before the customer signs."""
FRESH_VALUE = "*"
"""Stands for a value never written before, so that losing it cannot hide behind a twin."""
VALUES = st.sampled_from(["A", "B", FRESH_VALUE])
JOB = st.sampled_from([0, 1])
DEVICE = st.sampled_from(DEVICES)
PUSH_FAULTS = st.sampled_from(list(Fault))
PULL_FAULTS = st.lists(
    st.sampled_from([Fault.DELIVER, Fault.DROP_REQUEST, Fault.DROP_RESPONSE, Fault.DUPLICATE]),
    max_size=2,
)
SERVER_FAILED = "the server failed to apply this change"


# ---- the stage: one migrated database with the people, a part and two jobs ---------------------


@dataclass(frozen=True)
class Login:
    """A device already logged in when the stage was built."""

    user: str
    device_id: uuid.UUID
    access: str
    refresh: str


@dataclass
class Stage:
    """What every example starts from."""

    app: Litestar
    path: Path
    """The SQLite file each example copies."""
    workdir: Path
    jobs: tuple[str, str]
    part_id: str
    users: dict[str, str]
    logins: dict[str, Login]
    """Device name to its login; "desk" is the office, "boss" its supervisor."""
    primed: dict[str, tuple[dict[tuple[str, str], dict[str, Any]], str | None]]
    """Each device's records and cursor after its first pull (pulls change nothing stored)."""


async def _people(db: Database) -> dict[str, str]:
    def user(name: str, role: Role) -> User:
        return User(
            username=name, display_name=name.title(), password_hash=PASSWORD_HASH, role=role
        )

    async with db.write() as session:
        users = [user("desk", Role.DISPATCHER), user("wang", Role.ENGINEER)]
        users.append(user("li", Role.ENGINEER))
        session.add_all([*users, user("boss", Role.SUPERVISOR)])
        customer = Customer(
            code="C-1", name="上海浦东建工集团", contacts=[Contact(name="赵经理", phone="139")]
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
        for u in users[1:]:
            session.add(
                StockLocation(kind=LocationKind.VAN, name=f"van-{u.username}", engineer_id=u.id)
            )
        await session.flush()
        ids = {u.username: str(u.id) for u in users}
        ids.update(customer=str(customer.id), site=str(site.id), asset=str(asset.id))
    return ids


async def _login(http: httpx.AsyncClient, user: str) -> Login:
    device_id = uuid.uuid4()
    response = await http.post(
        "/api/auth/login",
        json={"username": user, "password": PASSWORD, "device_id": str(device_id)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Login(user, device_id, body["access_token"], body["refresh_token"])


async def _build_stage(app: Litestar, db: Database, path: Path, workdir: Path) -> Stage:
    ids = await _people(db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        logins = {"desk": await _login(http, "desk"), "boss": await _login(http, "boss")}
        for name in (*DEVICES, *FRESH.values()):
            logins[name] = await _login(http, name.split("-")[0])
        desk = {"Authorization": f"Bearer {logins['desk'].access}"}
        part = await http.post(
            "/api/parts", json={"code": "P-1", "name": "膨胀阀", "price": "120"}, headers=desk
        )
        assert part.status_code == 201, part.text
        jobs = []
        for engineer in ENGINEERS:
            created = await http.post(
                "/api/jobs",
                json={
                    "customer_id": ids["customer"],
                    "asset_id": ids["asset"],
                    "channel": "phone",
                    "fault_description": "冷水机组不制冷",
                },
                headers=desk,
            )
            assert created.status_code == 201, created.text
            job_id = created.json()["job"]["id"]
            assigned = await http.post(
                f"/api/jobs/{job_id}/assign", json={"engineer_id": ids[engineer]}, headers=desk
            )
            assert assigned.status_code == 200, assigned.text
            jobs.append(job_id)
        primed = {}
        for name in DEVICES:
            phone = SyncClient(
                http=http,
                username=logins[name].user,
                password=PASSWORD,
                device_id=logins[name].device_id,
                access_token=logins[name].access,
                refresh_token=logins[name].refresh,
            )
            await phone.pull()
            primed[name] = (phone.server, phone.cursor)
    await db.dispose()
    return Stage(
        app=app,
        path=path,
        workdir=workdir,
        jobs=(jobs[0], jobs[1]),
        part_id=part.json()["id"],
        users=ids,
        logins=logins,
        primed=primed,
    )


class ErrorLog(logging.Handler):
    """Keeps every error the app logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def stage(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Stage:
    """One app and one database file with the people, a part and two assigned jobs."""
    workdir = tmp_path_factory.mktemp("stateful")
    path = workdir / "stage.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    app = create_app(
        Settings(
            data_dir=workdir / "data",
            database_url=url,
            secret_key=SECRET,
            auth=AuthSettings(access_minutes=24 * 60),
        ),
        db=db,
    )
    built = asyncio.run(_build_stage(app, db, path, workdir))
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the stage is all in the main file"
    return built


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    """Errors logged by the app; the access log is quietened (thousands of requests)."""
    handler = ErrorLog()
    root = logging.getLogger("fieldsync")
    quiet = [logging.getLogger(name) for name in ("fieldsync.access", "httpx")]
    levels = [logger.level for logger in quiet]
    root.addHandler(handler)
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    yield handler
    root.removeHandler(handler)
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)


# ---- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """A value a device or the office wrote to a field."""

    who: str
    mutation_id: uuid.UUID | None
    """The device's mutation; None for the office (a REST call that succeeded)."""
    entity: str
    entity_id: str
    field: str
    value: str


@dataclass(frozen=True)
class Arrival:
    """A mutation as it first reached the app (where it took effect, or was refused)."""

    device: str
    name: str
    args: dict[str, Any]
    job_id: str | None
    """The job it names, directly or through its part line or photo."""
    status: str | None
    """The job's status then. No push moves a job into or out of the office's stages (only
    the office does), so whether it was under review holds for every mutation of the push."""
    holder: str | None
    """The job's engineer then."""
    visit: int
    """How often the office had reopened the job then (0: its first visit)."""


class WatchedNet(SimNet):
    """The simulated network, telling the test of each request just before it reaches the
    app (:attr:`before`) and after it was answered (:attr:`after`). Requests reach the app
    one at a time."""

    before: Callable[[str, httpx.Request], Awaitable[None]] | None = None
    after: Callable[[httpx.Request], None] | None = None

    async def send(self, device: str, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            await self.before(device, request)
        try:
            return await super().send(device, request)
        finally:
            if self.after is not None:
                self.after(request)


def _sha(tag: object) -> str:
    return hashlib.sha256(str(tag).encode()).hexdigest()


def _strokes(content: str) -> dict[str, Any]:
    """A short signature drawn on a 300×150 canvas; each content draws a different line."""
    lift = 40 * int(content[1:])
    points = [{"x": 10 + 25 * i, "y": 20 + lift + 10 * (i % 2), "t": 16 * i} for i in range(10)]
    return {"width": 300, "height": 150, "strokes": [points]}


def _norm(field: str, value: Any) -> Any:
    """Values as compared: quantities as numbers, everything else as stored."""
    if field == "quantity" and value is not None:
        try:
            return Decimal(str(value)).normalize()
        except InvalidOperation:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _refused_values(entry: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """The values a refused mutation (kept in the field history) would have written."""
    args = entry["value"] if isinstance(entry["value"], dict) else {}
    fields = args.get("fields") if isinstance(args.get("fields"), dict) else {}
    match entry["field"]:
        case "job.record":
            for field, value in fields.items():
                yield "jobs", str(args.get("job_id")), field, value
        case "part_line.change":
            for field, value in fields.items():
                yield "part_lines", str(args.get("id")), field, value
        case "part_line.add":
            for field in ("note", "quantity"):
                yield "part_lines", str(args.get("id")), field, args.get(field)
        case "photo.change":
            for field, value in fields.items():
                yield "photos", str(args.get("id")), field, value
        case "photo.add":
            for field in ("caption", "category"):
                yield "photos", str(args.get("id")), field, args.get(field)
        case "signature.add":
            yield (
                "signatures",
                str(args.get("job_id")),
                "content_sha256",
                args.get("content_sha256"),
            )


def _diff(device: dict[Any, dict[str, Any]], truth: dict[Any, dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for key in sorted(device.keys() | truth.keys()):
        if key not in truth:
            out.append(f"{key}: on the device only: {device[key]}")
        elif key not in device:
            out.append(f"{key}: missing on the device: {truth[key]}")
        elif device[key] != truth[key]:
            a, b = device[key], truth[key]
            fields = {f: (a.get(f), b.get(f)) for f in a.keys() | b.keys() if a.get(f) != b.get(f)}
            out.append(f"{key}: differs (device, server): {fields}")
    return out


class SyncUnderBadNetwork(RuleBasedStateMachine):
    """Devices and the office editing the same jobs over a flaky network."""

    stage: ClassVar[Stage]
    errors: ClassVar[ErrorLog]

    def __init__(self) -> None:
        super().__init__()
        self.outer_exc = sys.exc_info()[1]
        stage = self.stage
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(dir=stage.workdir))
        path = self.dir / "fieldsync.db"
        shutil.copyfile(stage.path, path)
        self.db = Database(f"sqlite+aiosqlite:///{path}")
        stage.app.state.db = self.db
        self.net = WatchedNet(httpx.ASGITransport(app=stage.app))
        self.net.before = self._arriving
        self.net.after = self._answered
        self.transports = {name: self.net.transport(name) for name in (*DEVICES, *FRESH.values())}
        self.https = {
            name: httpx.AsyncClient(transport=t, base_url=BASE_URL)
            for name, t in self.transports.items()
        }
        self.devices = {name: self._client(name) for name in DEVICES}
        desk, boss = stage.logins["desk"], stage.logins["boss"]
        self.office = httpx.AsyncClient(
            transport=self.net.transport("office"),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {desk.access}"},
        )
        self.boss = httpx.AsyncClient(
            transport=self.net.transport("boss"),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {boss.access}"},
        )
        self.errors.records.clear()
        self.rng = random.Random(0)
        self.counter = 0
        self.writes: list[Write] = []
        self.notes: dict[uuid.UUID, str] = {}
        """note.add mutation id to its job."""
        self.signatures: list[tuple[uuid.UUID, str, str]] = []
        """signature.add mutation id, job, content hash."""
        self.strays = 0
        """Signatures taken outside the end of a visit (``sign``)."""
        self.row_job: dict[str, str] = {}
        """Part line or photo id to its job."""
        self.arrivals: dict[uuid.UUID, Arrival] = {}
        """Every mutation that reached the app, as it first did."""
        self.jobs_now: dict[str, tuple[str, str | None]] | None = None
        """Job id to its status and engineer on the server; None after anything was written."""
        self.reopened: Counter[str] = Counter()
        """Job id to how often the office reopened it for a new visit."""
        self.rated: dict[uuid.UUID, int] = {}
        """satisfaction.add mutation id to the visit it was made in (see ``reopened``)."""
        self.clock = 0
        """Counts the office's actions."""
        self.approved: dict[str, tuple[int, dict[tuple[str, str, str], Any]]] = {}
        """Job id to the office clock and the job's record when the supervisor last approved it."""
        self.decided: dict[tuple[str, str, str], int] = {}
        """(entity, id, field) to the office clock when a conflict decision last set it."""

    def _client(self, name: str) -> SyncClient:
        login = self.stage.logins[name]
        server, cursor = self.stage.primed.get(name, ({}, None))
        return SyncClient(
            server=copy.deepcopy(server),
            cursor=cursor,
            http=self.https[name],
            username=login.user,
            password=PASSWORD,
            device_id=login.device_id,
            access_token=login.access,
            refresh_token=login.refresh,
        )

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def value(self, token: str, who: str) -> str:
        if token != FRESH_VALUE:
            return token
        self.counter += 1
        return f"{who}#{self.counter}"

    def job(self, index: int) -> str:
        return self.stage.jobs[index]

    # ---- what the server holds, seen by the test ----------------------------------------------

    async def _read_jobs(self) -> dict[str, tuple[str, str | None]]:
        if self.jobs_now is None:
            async with self.db.read() as session:
                rows = await session.execute(select(Job.id, Job.status, Job.assigned_engineer_id))
                self.jobs_now = {
                    str(ident): (str(status), None if holder is None else str(holder))
                    for ident, status, holder in rows
                }
        return self.jobs_now

    def server_jobs(self) -> dict[str, tuple[str, str | None]]:
        """Each job's status and engineer on the server now."""
        return self.jobs_now if self.jobs_now is not None else self.run(self._read_jobs())

    def jobs_in(self, *statuses: str) -> list[str]:
        """The jobs whose status on the server is one of ``statuses``, in the stage's order."""
        now = self.server_jobs()
        return [job for job in self.stage.jobs if now[job][0] in statuses]

    async def _arriving(self, device: str, request: httpx.Request) -> None:
        """Note each mutation of a push the first time it reaches the app, with its job's
        status and engineer then (the mutation takes effect in this request, or is refused)."""
        if request.url.path != "/api/sync/push":
            return
        jobs = await self._read_jobs()
        for envelope in json.loads(request.content)["mutations"]:
            mid = uuid.UUID(envelope["id"])
            if mid in self.arrivals:
                continue
            args = envelope["args"]
            job_id = args.get("job_id") or self.row_job.get(args.get("id", ""))
            status, holder = jobs.get(job_id, (None, None)) if job_id else (None, None)
            visit = self.reopened[job_id] if job_id else 0
            self.arrivals[mid] = Arrival(
                device, envelope["name"], args, job_id, status, holder, visit
            )

    def _answered(self, request: httpx.Request) -> None:
        if request.method != "GET":
            self.jobs_now = None  # it may have written

    @initialize(skews=st.lists(st.sampled_from([0, -7200, 5400]), min_size=3, max_size=3))
    def clocks(self, skews: list[int]) -> None:
        """Some phones' clocks are off by hours (their times are data, never the order)."""
        for dev, skew in zip(DEVICES, skews, strict=True):
            self.devices[dev].clock_skew = timedelta(seconds=skew)

    @initialize(done=st.sampled_from([(), (), (0,), (1,), (0, 1)]))
    def head_start(self, done: tuple[int, ...]) -> None:
        """Some visits are over when the test begins: the engineer's first phone was on site,
        used a part, took a photo, the customer signed, and it synced (so that the office has
        signed jobs to take further, and phones work on them while it does)."""
        for index in done:
            dev = DEVICES[2 * index]  # wang-1 holds job 0, li-1 job 1
            job_id = self.job(index)
            client = self.devices[dev]
            for to in FINISH["assigned"]:
                client.mutate("job.status", job_id=job_id, to=to)
            self.part(dev, index, "add", 0, "1", ("quantity",), FRESH_VALUE)
            self.photo(dev, index, "add", 0, "after", ("caption",), FRESH_VALUE)
            self._sign(client, job_id, "v1")
            self.run(client.sync())

    @rule()
    def idle(self) -> None:
        """Nothing happens for a while. Hypothesis runs every example to its full length, so
        the steps a failing example does not need shrink to this one."""

    # ---- the engineers' phones ----------------------------------------------------------------

    def _holds(self, dev: str, index: int) -> tuple[SyncClient, str] | None:
        """The device and the ``index``-th job it shows (modulo), if it shows any."""
        client = self.devices[dev]
        shown = [job for job in self.stage.jobs if client.get("jobs", job) is not None]
        return (client, shown[index % len(shown)]) if shown else None

    @rule(
        dev=DEVICE,
        job=JOB,
        fields=st.dictionaries(st.sampled_from(RECORD_FIELDS), VALUES, min_size=1, max_size=2),
    )
    def record(self, dev: str, job: int, fields: dict[str, str]) -> None:
        """The engineer writes part of the job's record."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        values = {name: self.value(token, dev) for name, token in fields.items()}
        mid = client.mutate("job.record", job_id=job_id, fields=values)
        for name, value in values.items():
            self.writes.append(Write(dev, mid, "jobs", job_id, name, value))

    @rule(
        dev=DEVICE,
        job=JOB,
        to=st.sampled_from(["accept", "en_route", "on_site", "waiting_parts", "work_done"]),
    )
    def status(self, dev: str, job: int, to: str) -> None:
        """A status tap (or 接单)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        if to == "accept":
            client.mutate("job.accept", job_id=job_id)
        else:
            client.mutate("job.status", job_id=job_id, to=to)

    @rule(dev=DEVICE, job=JOB)
    def note(self, dev: str, job: int) -> None:
        """A note on the job."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        note_id = self.new_id()
        mid = client.mutate("note.add", id=note_id, job_id=job_id, body=f"note {note_id}")
        self.notes[mid] = job_id

    @rule(
        dev=DEVICE,
        job=JOB,
        action=st.sampled_from(["add", "change", "remove"]),
        pick=st.integers(0, 3),
        quantity=st.sampled_from(["1", "2", "3"]),
        fields=st.sampled_from([("quantity",), ("note",), ("quantity", "note")]),
        note=VALUES,
    )
    def part(
        self,
        dev: str,
        job: int,
        action: str,
        pick: int,
        quantity: str,
        fields: tuple[str, ...],
        note: str,
    ) -> None:
        """A part used on the job, changed or taken off."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        text = self.value(note, dev)
        if action == "add":
            line = str(self.new_id())
            self.row_job[line] = job_id
            mid = client.mutate(
                "part_line.add",
                id=line,
                job_id=job_id,
                part_id=self.stage.part_id,
                quantity=quantity,
                billing="warranty",
                note=text,
            )
            self.writes.append(Write(dev, mid, "part_lines", line, "note", text))
            self.writes.append(Write(dev, mid, "part_lines", line, "quantity", quantity))
            return
        lines = sorted(
            ident
            for (entity, ident), row in client.replica.items()
            if entity == "part_lines" and row.get("job_id") == job_id
        )
        if not lines:
            return
        line = lines[pick % len(lines)]
        if action == "remove":
            client.mutate("part_line.remove", id=line)
            return
        values = {"quantity": quantity, "note": text}
        change = {name: values[name] for name in fields}
        mid = client.mutate("part_line.change", id=line, fields=change)
        for name, value in change.items():
            self.writes.append(Write(dev, mid, "part_lines", line, name, value))

    @rule(
        dev=DEVICE,
        job=JOB,
        action=st.sampled_from(["add", "change", "remove"]),
        pick=st.integers(0, 3),
        category=st.sampled_from(["before", "defect"]),
        fields=st.sampled_from([("caption",), ("category",), ("caption", "category")]),
        caption=VALUES,
    )
    def photo(
        self,
        dev: str,
        job: int,
        action: str,
        pick: int,
        category: str,
        fields: tuple[str, ...],
        caption: str,
    ) -> None:
        """A photo taken on the job, corrected or taken off (until the customer signs)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        text = self.value(caption, dev)
        if action == "add":
            photo = str(self.new_id())
            self.row_job[photo] = job_id
            mid = client.mutate(
                "photo.add",
                id=photo,
                job_id=job_id,
                blob_sha256=_sha(photo),
                category=category,
                caption=text,
            )
            self.writes.append(Write(dev, mid, "photos", photo, "caption", text))
            self.writes.append(Write(dev, mid, "photos", photo, "category", category))
            return
        photos = sorted(
            ident
            for (entity, ident), row in client.replica.items()
            if entity == "photos" and row.get("job_id") == job_id and not row.get("removed_at")
        )
        if not photos:
            return
        photo = photos[pick % len(photos)]
        if action == "remove":
            client.mutate("photo.remove", id=photo)
            return
        values = {"caption": text, "category": category}
        change = {name: values[name] for name in fields}
        mid = client.mutate("photo.change", id=photo, fields=change)
        for name, value in change.items():
            self.writes.append(Write(dev, mid, "photos", photo, name, value))

    @precondition(lambda self: self.strays < 3)
    @rule(dev=DEVICE, job=JOB, content=st.sampled_from(["v1", "v2"]))
    def sign(self, dev: str, job: int, content: str) -> None:
        """The customer signs on the phone, whatever it shows (write-once per visit: a second,
        different one clashes)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        self.strays += 1
        self._sign(client, job_id, content)

    @precondition(lambda self: len(self.signatures) - self.strays < 4)
    @rule(
        dev=DEVICE,
        job=JOB,
        content=st.sampled_from(["v1", "v2"]),
        score=st.sampled_from([None, 5, 3]),
        sync=st.booleans(),
    )
    def finish(self, dev: str, job: int, content: str, score: int | None, sync: bool) -> None:
        """The engineer ends the visit: on site, work done, and the customer signs, in a row
        (from what the phone shows; nothing if it shows a job not on a visit), and rates the
        visit (with a ``score``); with ``sync`` the phone has signal there and pushes its
        outbox at once."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        taps = FINISH.get(client.replica[("jobs", job_id)]["status"])
        if taps is None:
            return
        for to in taps:
            client.mutate("job.status", job_id=job_id, to=to)
        self._sign(client, job_id, content)
        if score is not None:
            self._rate(client, job_id, score)
        if sync:
            self._push(dev, Fault.DELIVER, 200)

    def _sign(self, client: SyncClient, job_id: str, content: str) -> None:
        # What the customer signs differs from visit to visit of the job: a signature of the
        # new visit lost cannot hide behind its twin of the last one (set aside, and kept).
        digest = _sha(f"{job_id}/{self.reopened[job_id]}/{content}")
        mid = client.mutate(
            "signature.add",
            id=self.new_id(),
            job_id=job_id,
            signer_role="customer",
            signer_name="赵经理",
            strokes=_strokes(content),
            content_sha256=digest,
        )
        self.signatures.append((mid, job_id, digest))

    def _rate(self, client: SyncClient, job_id: str, score: int) -> None:
        mid = client.mutate("satisfaction.add", id=self.new_id(), job_id=job_id, score=score)
        self.rated[mid] = self.reopened[job_id]

    @rule(dev=DEVICE, job=JOB, kind=st.sampled_from(["rating", "receipt"]), score=st.integers(1, 5))
    def rate_or_take_back(self, dev: str, job: int, kind: str, score: int) -> None:
        """The customer rates the visit on the phone (once per visit), or the engineer takes
        an item back for repair (a receipt)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        if kind == "rating":
            self._rate(client, job_id, score)
        else:
            self._take_back(client, job_id, f"CB-{score}")

    def _take_back(self, client: SyncClient, job_id: str, serial: str) -> None:
        client.mutate(
            "receipt.add",
            id=self.new_id(),
            job_id=job_id,
            item_description="控制主板",
            serial=serial,
            fault="上电无显示",
        )

    @rule(
        dev=DEVICE,
        job=JOB,
        kind=st.sampled_from(["part", "photo", "receipt"]),
        text=VALUES,
    )
    def late_work(self, dev: str, job: int, kind: str, text: str) -> None:
        """After the customer signed (as far as the phone knows), the engineer records work
        left out of the visit: a part used, a photo, an item taken back for repair (the
        office may have reviewed the job meanwhile: kept, with a conflict)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        if client.replica[("jobs", job_id)]["status"] not in SIGNED_ON_THE_PHONE:
            return
        if kind == "part":
            self.part(dev, job, "add", 0, "2", ("quantity",), text)
        elif kind == "photo":
            self.photo(dev, job, "add", 0, "after", ("caption",), text)
        else:
            self._take_back(client, job_id, self.value(text, dev))

    # ---- the network --------------------------------------------------------------------------

    def _over_network(self, dev: str, plan: list[Fault], coro: Coroutine[Any, Any, Any]) -> None:
        transport = self.transports[dev]
        transport.plan = list(plan)
        injected = len(transport.injected)
        error: SyncError | None = None
        try:
            self.run(coro)
        except SyncError as exc:
            error = exc
        finally:
            transport.plan = []
        if error is not None:
            assert str(error).startswith("network:"), f"{dev}: the app refused: {error}"
            assert len(transport.injected) > injected, f"{dev}: {error} with no fault injected"

    def _push(self, dev: str, fault: Fault, batch: int) -> None:
        client = self.devices[dev]
        if client.outbox:
            self._over_network(dev, [fault], client.push(batch))

    def _pull(self, dev: str, faults: list[Fault], limit: int) -> None:
        self._over_network(dev, faults, self.devices[dev].pull(limit))

    @rule(dev=DEVICE, fault=PUSH_FAULTS, batch=st.sampled_from([1, 3, 200]))
    def push(self, dev: str, fault: Fault, batch: int) -> None:
        """The device pushes (part of) its outbox."""
        self._push(dev, fault, batch)

    @rule(dev=DEVICE, fault=PUSH_FAULTS, batch=st.sampled_from([2, 200]))
    def push_more(self, dev: str, fault: Fault, batch: int) -> None:
        """The same as ``push``: pushes are frequent on a phone."""
        self._push(dev, fault, batch)

    @rule(dev=DEVICE, faults=PULL_FAULTS, limit=st.sampled_from([2, 7, 500]))
    def pull(self, dev: str, faults: list[Fault], limit: int) -> None:
        """The device pulls every page of its feed (the first requests may fail)."""
        self._pull(dev, faults, limit)

    @rule(dev=DEVICE, faults=PULL_FAULTS, limit=st.sampled_from([3, 500]))
    def pull_more(self, dev: str, faults: list[Fault], limit: int) -> None:
        """The same as ``pull``."""
        self._pull(dev, faults, limit)

    @precondition(lambda self: self.net.held)
    @rule(pick=st.integers(0, 7))
    def deliver_held(self, pick: int) -> None:
        """A request held in the network reaches the app at last."""
        response = self.run(self.net.deliver(pick % len(self.net.held)))
        assert response.status_code == 200, response.text

    # ---- the office ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        ok: set[int],
        body: Any = None,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        response = await (http or self.office).request(method, url, json=body)
        assert response.status_code in ok, f"{method} {url} {body}: {response.text}"
        if method != "GET":
            self.clock += 1
        return response

    @rule(
        job=JOB,
        field=st.sampled_from(["office_notes", "office_notes", "urgency"]),
        value=VALUES,
        urgency=st.sampled_from(["low", "normal", "high", "critical"]),
    )
    def office_edit(self, job: int, field: str, value: str, urgency: str) -> None:
        """The desk edits its own fields of the job."""
        text = self.value(value, "office") if field == "office_notes" else urgency
        response = self.run(
            self._call("PATCH", f"/api/jobs/{self.job(job)}", {200, 409}, {field: text})
        )
        if response.status_code == 200 and field == "office_notes":
            self.writes.append(Write("office", None, "jobs", self.job(job), field, text))

    @rule(job=JOB, engineer=st.sampled_from(ENGINEERS))
    def office_assign(self, job: int, engineer: str) -> None:
        """The desk (re)assigns the job; the status machine may refuse (409)."""
        self.run(
            self._call(
                "POST",
                f"/api/jobs/{self.job(job)}/assign",
                {200, 409},
                {"engineer_id": self.stage.users[engineer]},
            )
        )

    @rule(job=JOB, odds=st.integers(0, 3), engineer=st.sampled_from(ENGINEERS))
    def office_cancel(self, job: int, odds: int, engineer: str) -> None:
        """Now and then the desk cancels a job, or undoes a cancellation and dispatches again."""
        if odds < 3:  # shrinks towards doing nothing
            return

        async def act() -> None:
            url = f"/api/jobs/{self.job(job)}"
            current = (await self._call("GET", url, {200})).json()
            if current["job"]["status"] != "cancelled":
                await self._call("POST", f"{url}/cancel", {200, 409}, {"reason": "客户取消"})
                return
            undone = await self._call("POST", f"{url}/uncancel", {200, 404, 405})
            if undone.status_code != 200:  # an older app: accepting again undoes it
                await self._call("POST", f"{url}/accept", {200}, {"handling_plan": "重新受理"})
            await self._call(
                "POST", f"{url}/assign", {200}, {"engineer_id": self.stage.users[engineer]}
            )

        self.run(act())

    @rule(pick=st.integers(0, 7), choice=st.sampled_from(["server", "client"]))
    def office_resolve(self, pick: int, choice: str) -> None:
        """The desk decides an open conflict."""

        async def act() -> None:
            page = (await self._call("GET", "/api/conflicts?status=open&limit=500", {200})).json()
            items = sorted(
                page["items"],
                key=lambda c: (
                    self.stage.jobs.index(c["job_id"]),
                    c["entity"],
                    c["entity_id"],
                    c["field"],
                    c["reason"],
                    json.dumps([c["base_value"], c["server_value"], c["client_value"]]),
                    c["created_at"],
                ),
            )
            if not items:
                return
            target = items[pick % len(items)]
            # Work that arrived after the review is acknowledged; there is no device's side.
            refused = target["field"] == "reviewed_work" and choice == "client"
            decided = await self._call(
                "POST",
                f"/api/conflicts/{target['id']}/resolve",
                {400} if refused else {200, 409},
                {"choice": choice},
            )
            if decided.status_code == 200 and choice == "client":
                key = (target["entity"], target["entity_id"], target["field"])
                self.decided[key] = self.clock

        self.run(act())

    # ---- the office after the visit ------------------------------------------------------------

    def _after_visit(self, url: str, body: Any, status: str, **kw: Any) -> None:
        """An office action the job's status allows: it succeeds, and the job moves."""
        response = self.run(self._call("POST", url, {200}, body, **kw))
        now = response.json()["job"]["status"]
        assert now == status, f"{url} {body}: the job is {now}, not {status}"

    def _take_further(
        self,
        pick: int,
        steps: int,
        approve: bool,
        satisfied: bool,
        complaint: bool,
        engineer: str | None,
    ) -> None:
        jobs = self.jobs_in(*AFTER_VISIT)
        job_id = jobs[pick % len(jobs)]
        url = f"/api/jobs/{job_id}"
        for _ in range(steps):
            match self.server_jobs()[job_id][0]:
                case "signed" if approve:
                    body = {"decision": "approve"}
                    self._after_visit(f"{url}/review", body, "reviewed", http=self.boss)
                    self.approved[job_id] = (self.clock, self.run(self._record_of(job_id)))
                case "signed":
                    body = {"decision": "send_back", "note": "缺少完工照片"}
                    self._after_visit(f"{url}/review", body, "work_done", http=self.boss)
                case "reviewed":
                    self._after_visit(f"{url}/settle", None, "settled")
                case "settled" if satisfied:
                    call = {"score": 5, "satisfied": True, "remarks": "很满意"}
                    self._after_visit(f"{url}/follow-up", call, "followed_up")
                case "settled":
                    call = {"score": 2, "satisfied": False, "remarks": "仍然异响"}
                    self._after_visit(f"{url}/follow-up", call, "reopened")
                    self.reopened[job_id] += 1
                case "followed_up" if complaint:
                    call = {"score": 1, "satisfied": False, "remarks": "又坏了"}
                    self._after_visit(f"{url}/follow-up", call, "reopened")
                    self.reopened[job_id] += 1
                case "followed_up":
                    self._after_visit(f"{url}/close", None, "closed")
                case "reopened" if engineer is not None:
                    body = {"engineer_id": self.stage.users[engineer]}
                    self._after_visit(f"{url}/assign", body, "assigned")
                case _:
                    return

    @precondition(lambda self: self.jobs_in(*AFTER_VISIT))
    @rule(
        pick=JOB,
        steps=st.integers(1, 4),
        approve=st.sampled_from([True, True, False]),
        satisfied=st.sampled_from([True, True, False]),
        complaint=st.sampled_from([False, False, True]),
        engineer=st.sampled_from([None, *ENGINEERS]),
    )
    def office_after_visit(
        self,
        pick: int,
        steps: int,
        approve: bool,
        satisfied: bool,
        complaint: bool,
        engineer: str | None,
    ) -> None:
        """The office takes a job whose customer signed ``steps`` steps further, as its status
        allows: the supervisor approves the service record (主管审核; or, not ``approve``,
        sends it back to the engineer); the desk settles it (结算); calls the customer back
        (回访): ``satisfied``, the job leaves the engineer's phone, if not, it is reopened for a
        new visit (重新派修) and its signatures are set aside; then closes it (关闭), or, on a
        ``complaint`` after the call-back, reopens it; and dispatches a reopened job's new
        visit to ``engineer`` (派工; None: not yet)."""
        self._take_further(pick, steps, approve, satisfied, complaint, engineer)

    @precondition(lambda self: self.jobs_in(*AFTER_VISIT))
    @rule(
        pick=JOB,
        steps=st.integers(1, 4),
        approve=st.sampled_from([True, True, False]),
        satisfied=st.sampled_from([True, True, False]),
        complaint=st.sampled_from([False, False, True]),
        engineer=st.sampled_from([None, *ENGINEERS]),
    )
    def office_after_visit_more(
        self,
        pick: int,
        steps: int,
        approve: bool,
        satisfied: bool,
        complaint: bool,
        engineer: str | None,
    ) -> None:
        """The same as ``office_after_visit``: the office's queues after the visit are long."""
        self._take_further(pick, steps, approve, satisfied, complaint, engineer)

    async def _record_of(self, job_id: str) -> dict[tuple[str, str, str], Any]:
        """What the supervisor approves: the engineer's record, part lines and photos."""
        async with self.db.read() as session:
            job = await session.get(Job, uuid.UUID(job_id))
            assert job is not None
            record: dict[tuple[str, str, str], Any] = {
                ("jobs", job_id, name): getattr(job, name) for name in RECORD_FIELDS
            }
            lines = await session.scalars(select(PartLine).where(PartLine.job_id == job.id))
            for line in lines:
                for name in ("quantity", "note", "billing"):
                    record[("part_lines", str(line.id), name)] = _norm(name, getattr(line, name))
                record[("part_lines", str(line.id), "removed")] = line.removed_at is not None
            for photo in await session.scalars(select(Photo).where(Photo.job_id == job.id)):
                for name in ("caption", "category"):
                    record[("photos", str(photo.id), name)] = str(getattr(photo, name))
                record[("photos", str(photo.id), "removed")] = photo.removed_at is not None
        return record

    @rule(odds=st.integers(0, 3))
    def prune(self, odds: int) -> None:
        """Now and then the feed is pruned to nothing: devices behind it must resync."""
        if odds < 3:  # shrinks towards doing nothing
            return

        async def act() -> None:
            async with self.db.write() as session:
                await prune_feed(session, now=utcnow() + timedelta(seconds=1), keep=timedelta(0))

        self.run(act())

    # ---- checks -------------------------------------------------------------------------------

    @invariant()
    def app_never_fails(self) -> None:
        failed = self.net.server_errors()
        assert not failed, f"the app answered 5xx: {failed}"
        assert not self.errors.records, [r.getMessage() for r in self.errors.records]

    def teardown(self) -> None:
        try:
            if sys.exc_info()[1] is self.outer_exc:
                self.run(self.settle())
                self.run(self.check())
        finally:
            self._close()

    def _close(self) -> None:
        async def close() -> None:
            for http in self.https.values():
                await http.aclose()
            await self.office.aclose()
            await self.boss.aclose()
            await self.db.dispose()

        try:
            self.loop.run_until_complete(close())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    async def settle(self) -> None:
        """Deliver what the network holds, then sync every device over a reliable network."""
        while self.net.held:
            response = await self.net.deliver(len(self.net.held) - 1)
            assert response.status_code == 200, response.text
        for dev, client in self.devices.items():
            while client.outbox:
                before = len(client.outbox)
                await client.push()
                assert len(client.outbox) < before, f"{dev}: the server answered no mutation"
        for client in self.devices.values():
            await client.pull()

    async def check(self) -> None:
        for dev, client in self.devices.items():
            assert client.outbox == [], dev
            for failed in client.failed:
                assert failed.reason, f"{dev}: {failed.pending.envelope.name} refused, no reason"
                assert SERVER_FAILED not in failed.reason, f"{dev}: {failed}"
        statuses = {r.status for c in self.devices.values() for r in c.results}
        assert wire.Status.DUPLICATE not in statuses, "no mutation id is ever reused here"

        # 1. every replica equals the server
        truth: dict[str, SyncClient] = {}
        for user, fresh_name in FRESH.items():
            fresh = truth[user] = self._client(fresh_name)
            await fresh.pull()
            for dev, client in self.devices.items():
                if USER_OF[dev] == user:
                    diff = _diff(client.server, fresh.server)
                    assert not diff, f"{dev} differs from a fresh device of {user}:\n" + "\n".join(
                        diff
                    )
            # ... and holds the jobs given to its engineer, but those whose customer was
            # called back satisfied (or closed): they left the phone. A job reopened after
            # such a call-back comes back with its new dispatch (until then, either way).
            now = await self._read_jobs()
            engineer = self.stage.users[user]
            held = {ident for entity, ident in fresh.server if entity == "jobs"}
            theirs = {job for job, (_, holder) in now.items() if holder == engineer}
            must = {job for job in theirs if now[job][0] not in {*OFF_THE_PHONE, "reopened"}}
            assert must <= held <= theirs - {j for j in theirs if now[j][0] in OFF_THE_PHONE}, (
                f"{user} holds {sorted(held)}; the server's jobs: {now}"
            )

        rejected = {
            f.pending.envelope.id: f.reason for c in self.devices.values() for f in c.failed
        }
        details: dict[str, dict[str, Any]] = {}
        histories: dict[str, list[dict[str, Any]]] = {}
        # 2. no value is lost
        kept: dict[tuple[str, str, str], set[Any]] = defaultdict(set)

        def keep(entity: str, entity_id: str, field: str, value: Any) -> None:
            kept[(entity, entity_id, field)].add(_norm(field, value))

        for job_id in self.stage.jobs:
            detail = details[job_id] = (
                await self._call("GET", f"/api/jobs/{job_id}", {200})
            ).json()
            for field in (*RECORD_FIELDS, "office_notes"):
                keep("jobs", job_id, field, detail[field])
            for line in detail["part_lines"]:
                for field in ("note", "quantity"):
                    keep("part_lines", line["id"], field, line[field])
            for photo in detail["photos"]:
                for field in ("caption", "category"):
                    keep("photos", photo["id"], field, photo[field])
            for entry in detail["history"]:
                for side in (entry["before"], entry["after"]):
                    for field, value in (side or {}).items():
                        keep(entry["entity"], entry["entity_id"], field, value)
            history = await self._call("GET", f"/api/jobs/{job_id}/field-history", {200})
            for entry in histories.setdefault(job_id, history.json()):
                if entry["entity"] == "mutations":  # a refused mutation, with its arguments
                    for entity, ident, field, value in _refused_values(entry):
                        keep(entity, ident, field, value)
                else:
                    keep(entry["entity"], entry["entity_id"], entry["field"], entry["value"])
            notes = Counter(self.notes[m] for m in self.notes if m not in rejected)
            # 3. exactly once
            assert len(detail["notes"]) == notes[job_id], (
                f"job {job_id}: {len(detail['notes'])} notes on the server, "
                f"{notes[job_id]} note.add mutations accepted"
            )
        conflicts: list[dict[str, Any]] = []
        for status in ("open", "resolved"):
            page = await self._call("GET", f"/api/conflicts?status={status}&limit=500", {200})
            conflicts += page.json()["items"]
        for c in conflicts:
            for side in ("client_value", "server_value", "resolved_value"):
                keep(c["entity"], c["entity_id"], c["field"], c[side])
        lost = [
            w
            for w in self.writes
            if _norm(w.field, w.value) not in kept[(w.entity, w.entity_id, w.field)]
        ]
        assert not lost, "values lost:\n" + "\n".join(
            f"{w} (rejected: {rejected.get(w.mutation_id) if w.mutation_id else None}); "
            f"kept: {kept[(w.entity, w.entity_id, w.field)]}"
            for w in lost
        )
        # every signature is the job's (the current visit's, or one set aside by a reopening;
        # on a phone, or on a job that left the phones), or waits in (or was decided by) a
        # conflict, or was refused and kept in the field history
        for client in truth.values():
            for (entity, _), row in client.server.items():
                if entity == "signatures":
                    keep("signatures", row["job_id"], "content_sha256", row["content_sha256"])
        for job_id, detail in details.items():
            for row in detail["signatures"]:
                keep("signatures", job_id, "content_sha256", row["content_sha256"])
        for c in conflicts:
            if c["entity"] == "signatures":
                for side in ("client_value", "server_value"):
                    digest = (c[side] or {}).get("content_sha256")
                    keep("signatures", c["job_id"], "content_sha256", digest)
        for mid, job_id, digest in self.signatures:
            assert digest in kept[("signatures", job_id, "content_sha256")], (
                f"signature {digest} of mutation {mid} lost ({rejected.get(mid)})"
            )
        await self._check_after_visit(details, histories, conflicts)

    async def _check_after_visit(
        self,
        details: dict[str, dict[str, Any]],
        histories: dict[str, list[dict[str, Any]]],
        conflicts: list[dict[str, Any]],
    ) -> None:
        """The rules of a job the office has reviewed, and of ratings (5 and 6 of the module's
        docstring)."""
        results: dict[uuid.UUID, wire.MutationResult] = {}
        for client in self.devices.values():
            for result in client.results:
                results.setdefault(result.id, result)
        assert results.keys() <= self.arrivals.keys(), "answered without reaching the app"
        by_id = {c["id"]: c for c in conflicts}
        refused_kept = {
            (job_id, entry["entity_id"])
            for job_id, entries in histories.items()
            for entry in entries
            if entry["entity"] == "mutations" and entry["outcome"] == "rejected"
        }
        made: dict[type[Any], set[uuid.UUID]] = defaultdict(set)
        refused: dict[type[Any], set[uuid.UUID]] = defaultdict(set)
        for mid, came in self.arrivals.items():
            result = results[mid]
            late = came.status in UNDER_REVIEW
            what = f"{came.name} {came.args} from {came.device} on a {came.status} job: {result}"
            if came.name in REVIEWED_EDITS:
                # the edit reached a reviewed job: refused, its values kept for the office
                # (unless its part line or photo had not arrived yet: refused for that first)
                unknown = result.code is None and result.reason.startswith("unknown ")
                if late and not unknown:
                    assert result.code == wire.Refusal.JOB_REVIEWED, what
                    assert (came.job_id, str(mid)) in refused_kept, f"not in the history: {what}"
                else:
                    assert result.code != wire.Refusal.JOB_REVIEWED, what
            if came.name in ROW_ADDS:
                rows = refused if result.status is wire.Status.REJECTED else made
                rows[ROW_ADDS[came.name]].add(uuid.UUID(came.args["id"]))
            if came.name in KEPT_AFTER_REVIEW and result.status is not wire.Status.REJECTED:
                # a part, photo or receipt that reached a reviewed job: kept, for the office
                raised = [by_id[str(c)] for c in result.conflicts]
                mine = self.stage.users[USER_OF[came.device]]
                flagged = [c for c in raised if c["field"] == "reviewed_work"]
                if late and came.holder == mine:
                    assert [(c["job_id"], c["server_value"]) for c in flagged] == [
                        (came.job_id, came.status)
                    ], what
                elif late:  # a former assignee's: the reassigned conflict tells the office
                    assert [c["field"] for c in raised] == ["assigned_engineer_id"], what
                else:
                    assert not flagged, what
        # 3. every row a mutation made that was not refused exists, and no other
        async with self.db.read() as session:
            for cls in ROW_ADDS.values():
                ids = made[cls] | refused[cls]
                stored = set(await session.scalars(select(cls.id).where(cls.id.in_(ids))))
                assert stored == made[cls], (
                    f"{cls.__tablename__}: missing {made[cls] - stored}, "
                    f"made though refused {stored & refused[cls]}"
                )
            now = {job: await self._record_of(job) for job in self.approved}
        # 5. a job under review is as the supervisor approved it, but for the office's own
        # conflict decisions since
        for job_id, (at, record) in self.approved.items():
            if details[job_id]["job"]["status"] not in UNDER_REVIEW:
                continue
            changed = {
                key: (value, now[job_id].get(key))
                for key, value in record.items()
                if now[job_id].get(key) != value and self.decided.get(key, -1) < at
            }
            assert not changed, f"job {job_id} changed after its review (approved, now): {changed}"
        # 6. one rating on site per visit, exactly once. A rating belongs to the visit it was
        # made in (the phone's view), or the one it reached the server in (the server's), or
        # one between: the accepted ratings of a job must fit one per visit so (Hall's
        # condition: no span of visits holds more ratings than it has visits).
        ratings: dict[str, list[tuple[int, int, uuid.UUID]]] = defaultdict(list)
        for mid, came in self.arrivals.items():
            if came.name != "satisfaction.add" or came.job_id is None:
                continue
            span = (self.rated[mid], came.visit)
            if results[mid].status is not wire.Status.REJECTED:
                ratings[came.job_id].append((*span, mid))
            elif results[mid].code == wire.Refusal.ALREADY_RATED:
                # refused: a rating of a visit it may belong to had arrived before it
                before = [r for r in ratings[came.job_id] if r[0] <= span[1] and span[0] <= r[1]]
                assert before, f"refused, yet no rating of its visit came before: {came}"
        for job_id, detail in details.items():
            on_site = [r for r in detail["satisfaction"] if r["source"] == "on_site"]
            accepted = ratings[job_id]
            assert len(on_site) == len(accepted), (job_id, on_site, accepted)
            visits = 1 + self.reopened[job_id]
            for first in range(visits):
                for last in range(first, visits):
                    inside = [r for r in accepted if first <= r[0] and r[1] <= last]
                    assert len(inside) <= last - first + 1, (
                        f"job {job_id}: {len(inside)} ratings on site of visits {first}..{last} "
                        f"(0: the first; made in, reached the server in, mutation): {inside}"
                    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sync_survives_a_bad_network(stage: Stage, errors: ErrorLog) -> None:
    """The acceptance property of the sync engine (see the module docstring)."""
    SyncUnderBadNetwork.stage = stage
    SyncUnderBadNetwork.errors = errors
    run_state_machine_as_test(
        SyncUnderBadNetwork,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
