"""A stateful property test of the whole sync engine over an unreliable network.

Three devices (the engineer wang on two phones, the engineer li on one) and the office ("desk",
over REST) work on the same two jobs. Devices edit the engineer's record, move statuses, add
notes, use, change and remove parts, take, correct and remove photos and take customer
signatures; the office edits its own fields, reassigns, cancels and revives jobs and resolves
conflicts. Every push and pull goes through :mod:`tests.sync.simnet`, which drops requests,
drops answers, delivers twice, or holds a request and hands it to the app later, after others
and in any order.

At the end everything is delivered over a reliable network, and then:

1. every device's copy of the server's records equals what a brand-new device of the same
   engineer gets from a priming pull;
2. every value a device wrote to the engineer's record (diagnosis, cause, work done, advice),
   to a part line (note, quantity) or to a photo (caption, category), every customer
   signature, and every office note the office wrote, is the current value, or in the job's
   field history (overridden, or refused with the mutation's arguments), or in a conflict
   record, or in the job's audit trail: nothing is lost;
3. no mutation took effect twice: each job has exactly one note per note.add that was not
   rejected;
4. every outbox is empty and every refused mutation has a reason; the app never answered 5xx
   and logged no error.

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
from collections.abc import Coroutine, Iterator
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

from api.app import create_app
from api.db import Database
from api.domain.sync.maintenance import prune_feed
from api.models import (
    Asset,
    Contact,
    Customer,
    LocationKind,
    Role,
    Site,
    StockLocation,
    User,
    utcnow,
)
from api.settings import AuthSettings, Settings
from sync import wire
from sync.client import SyncClient, SyncError
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
    """Device name to its login; "desk" is the office."""
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
        session.add_all(users)
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
        logins = {"desk": await _login(http, "desk")}
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
        self.net = SimNet(httpx.ASGITransport(app=stage.app))
        self.transports = {name: self.net.transport(name) for name in (*DEVICES, *FRESH.values())}
        self.https = {
            name: httpx.AsyncClient(transport=t, base_url=BASE_URL)
            for name, t in self.transports.items()
        }
        self.devices = {name: self._client(name) for name in DEVICES}
        desk = stage.logins["desk"]
        self.office = httpx.AsyncClient(
            transport=self.net.transport("office"),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {desk.access}"},
        )
        self.errors.records.clear()
        self.rng = random.Random(0)
        self.counter = 0
        self.writes: list[Write] = []
        self.notes: dict[uuid.UUID, str] = {}
        """note.add mutation id to its job."""
        self.signatures: list[tuple[uuid.UUID, str, str]] = []
        """signature.add mutation id, job, content hash."""

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

    @initialize(skews=st.lists(st.sampled_from([0, -7200, 5400]), min_size=3, max_size=3))
    def clocks(self, skews: list[int]) -> None:
        """Some phones' clocks are off by hours (their times are data, never the order)."""
        for dev, skew in zip(DEVICES, skews, strict=True):
            self.devices[dev].clock_skew = timedelta(seconds=skew)

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

    @precondition(lambda self: len(self.signatures) < 3)
    @rule(dev=DEVICE, job=JOB, content=st.sampled_from(["v1", "v2"]))
    def sign(self, dev: str, job: int, content: str) -> None:
        """The customer signs on the phone (write-once: a second, different one clashes)."""
        held = self._holds(dev, job)
        if held is None:
            return
        client, job_id = held
        digest = _sha(f"{job_id}/{content}")
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

    async def _call(self, method: str, url: str, ok: set[int], body: Any = None) -> httpx.Response:
        response = await self.office.request(method, url, json=body)
        assert response.status_code in ok, f"{method} {url} {body}: {response.text}"
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
            await self._call(
                "POST", f"/api/conflicts/{target['id']}/resolve", {200, 409}, {"choice": choice}
            )

        self.run(act())

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

        rejected = {
            f.pending.envelope.id: f.reason for c in self.devices.values() for f in c.failed
        }
        # 2. no value is lost
        kept: dict[tuple[str, str, str], set[Any]] = defaultdict(set)

        def keep(entity: str, entity_id: str, field: str, value: Any) -> None:
            kept[(entity, entity_id, field)].add(_norm(field, value))

        for job_id in self.stage.jobs:
            detail = (await self._call("GET", f"/api/jobs/{job_id}", {200})).json()
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
            for entry in history.json():
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
        # every signature is the job's, or waits in (or was decided by) a conflict, or was
        # refused and kept in the field history
        for client in truth.values():
            for (entity, _), row in client.server.items():
                if entity == "signatures":
                    keep("signatures", row["job_id"], "content_sha256", row["content_sha256"])
        for c in conflicts:
            if c["entity"] == "signatures":
                for side in ("client_value", "server_value"):
                    digest = (c[side] or {}).get("content_sha256")
                    keep("signatures", c["job_id"], "content_sha256", digest)
        for mid, job_id, digest in self.signatures:
            assert digest in kept[("signatures", job_id, "content_sha256")], (
                f"signature {digest} of mutation {mid} lost ({rejected.get(mid)})"
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
