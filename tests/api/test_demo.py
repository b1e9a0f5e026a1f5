"""The demo loader: enough realistic data in every status, consistent, deterministic, once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections import Counter as Tally
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.db import Database
from api.demo import DEMO_PASSWORD, DemoSummary, load_demo
from api.migrate import upgrade
from api.models import (
    Asset,
    Assignment,
    Billing,
    Customer,
    Job,
    LocationKind,
    Part,
    PartLine,
    ReceiptEvent,
    ReceiptStatus,
    RepairReceipt,
    Role,
    Satisfaction,
    Signature,
    StockLevel,
    StockLocation,
    TripEvent,
    TripKind,
    User,
)
from api.security import verify_password
from sync.rules.lifecycle import JobStatus
from sync.rules.sla import WorkCalendar, at_risk_from, callback_due, on_site_due, plan_due
from sync.rules.warranty import in_warranty, warranty_end

CAL = WorkCalendar()
NOW = datetime(2026, 3, 18, 2, 30, tzinfo=UTC)  # 10:30 on a Wednesday in Shanghai
S = JobStatus
DONE = {S.WORK_DONE, S.SIGNED, S.REVIEWED, S.SETTLED, S.FOLLOWED_UP, S.CLOSED, S.REOPENED}
SIGNED_ON = {S.SIGNED, S.REVIEWED, S.SETTLED, S.FOLLOWED_UP, S.CLOSED, S.REOPENED}
SETTLED_ON = {S.SETTLED, S.FOLLOWED_UP, S.CLOSED, S.REOPENED}


@dataclass(frozen=True)
class Loaded:
    url: str
    summary: DemoSummary


def _load(path: Path, seed: int = 2026) -> Loaded:
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)

    async def run() -> DemoSummary:
        db = Database(url)
        try:
            return await load_demo(db, calendar=CAL, now=NOW, seed=seed)
        finally:
            await db.dispose()

    return Loaded(url, asyncio.run(run()))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    # One load serves the module's read-only tests; it takes about a second.
    return _load(tmp_path_factory.mktemp("demo") / "t.db")


@pytest.fixture
async def db(loaded: Loaded) -> AsyncIterator[Database]:
    database = Database(loaded.url)
    yield database
    await database.dispose()


async def _jobs(db: Database) -> list[Job]:
    async with db.read() as session:
        return list((await session.scalars(select(Job).order_by(Job.number))).all())


async def test_demo_loads_at_least_the_promised_counts(db: Database, loaded: Loaded) -> None:
    async with db.read() as session:
        roles = Counter(
            (await session.scalars(select(User.role))).all(),
        )
        customers = await session.scalar(select(func.count()).select_from(Customer))
        english = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.locale == "en")
        )
        assets = await session.scalar(select(func.count()).select_from(Asset))
        parts = await session.scalar(select(func.count()).select_from(Part))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    assert roles[Role.ENGINEER] >= 5
    assert roles[Role.DISPATCHER] == 2
    assert roles[Role.SUPERVISOR] >= 1
    assert roles[Role.QUALITY] >= 1
    assert roles[Role.ADMIN] == 1
    assert customers == 60
    assert english is not None
    assert 1 <= english < 60
    assert assets == 150
    assert parts == 300
    assert jobs == 80
    summary = loaded.summary
    assert not summary.skipped
    assert (summary.customers, summary.assets, summary.parts, summary.jobs) == (60, 150, 300, 80)
    assert ("engineer1", DEMO_PASSWORD, "engineer") in summary.logins


async def test_every_job_status_appears_at_least_three_times(db: Database) -> None:
    counts = Counter(job.status for job in await _jobs(db))
    assert {status: n for status, n in counts.items() if n < 3} == {}
    assert set(counts) == set(JobStatus)


async def test_second_load_is_skipped_and_writes_nothing(db: Database) -> None:
    async with db.read() as session:
        before = await session.scalar(select(func.count()).select_from(Job))
    again = await load_demo(db, calendar=CAL, now=NOW)
    async with db.read() as session:
        after = await session.scalar(select(func.count()).select_from(Job))
    assert again.skipped
    assert again.jobs == 0
    assert before == after == 80


async def test_demo_users_log_in_with_the_demo_password(db: Database) -> None:
    async with db.read() as session:
        admin = await session.scalar(select(User).where(User.username == "admin"))
        engineers = (await session.scalars(select(User).where(User.role == Role.ENGINEER))).all()
    assert admin is not None
    assert verify_password(admin.password_hash, DEMO_PASSWORD)
    assert not verify_password(admin.password_hash, "wrong")
    assert {e.username for e in engineers} >= {f"engineer{i}" for i in range(1, 6)}
    # Engineers carry what the dispatch screen shows: a Chinese name, a phone, a region.
    for engineer in engineers:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", engineer.display_name)
        assert re.fullmatch(r"1\d{10}", engineer.phone)
        assert engineer.region_id is not None


async def test_job_numbers_are_unique_well_formed_and_in_report_order(db: Database) -> None:
    jobs = await _jobs(db)
    numbers = [job.number for job in jobs]
    assert len(set(numbers)) == 80
    for job in jobs:
        year = job.reported_at.astimezone(CAL.tz).year
        assert re.fullmatch(rf"FS-{year}-\d{{6}}", job.number), job.number
    by_report = [job.number for job in sorted(jobs, key=lambda j: j.reported_at)]
    assert by_report == sorted(numbers)


async def test_timestamps_agree_with_each_status(db: Database) -> None:
    jobs = await _jobs(db)
    async with db.read() as session:
        trips = (await session.scalars(select(TripEvent))).all()
        ratings = (await session.scalars(select(Satisfaction))).all()
        assignments = (await session.scalars(select(Assignment))).all()
    trip_kinds: dict[object, set[TripKind]] = {}
    for trip in trips:
        trip_kinds.setdefault(trip.job_id, set()).add(trip.kind)
    rated = {r.job_id for r in ratings if r.source == "callback"}
    holders = {a.job_id: a for a in assignments}
    oldest = NOW - timedelta(days=45)
    for job in jobs:
        s = job.status
        assert oldest <= job.reported_at <= NOW, job.number
        assert job.plan_due_at == plan_due(job.reported_at)
        assert job.on_site_due_at == on_site_due(job.reported_at, CAL)
        assert job.plan_at_risk_at == at_risk_from(job.reported_at, job.plan_due_at)
        steps = [
            job.reported_at,
            job.plan_given_at,
            job.assigned_at,
            job.arrived_at,
            job.completed_at,
            job.signed_at,
            job.reviewed_at,
            job.settled_at,
            job.followed_up_at,
            job.closed_at,
        ]
        present = [t for t in steps if t is not None]
        assert present == sorted(present), job.number
        assert present[-1] <= NOW, job.number
        if s not in {S.REPORTED, S.ACCEPTED, S.CANCELLED}:
            assert job.assigned_engineer_id is not None, job.number
            assert job.assigned_at is not None, job.number
        if s in DONE:
            assert job.arrived_at is not None
            assert job.completed_at is not None
            record = (job.diagnosis, job.cause, job.work_done, job.advice)
            assert all(record), job.number
            assert trip_kinds[job.id] == {TripKind.DEPARTED, TripKind.ARRIVED, TripKind.LEFT}
        else:
            assert job.completed_at is None, job.number
        assert (job.signed_at is not None) == (s in SIGNED_ON), job.number
        assert (job.settled_at is not None) == (s in SETTLED_ON), job.number
        if s in SETTLED_ON:
            assert job.settled_at is not None
            assert job.callback_due_at == callback_due(job.settled_at, CAL)
        if s in {S.FOLLOWED_UP, S.CLOSED, S.REOPENED}:
            # The call-back was made (a reopening one too): its clock has stopped.
            assert job.followed_up_at is not None, job.number
            assert job.id in rated, job.number
        assert (job.closed_at is not None) == (s is S.CLOSED)
        if job.assigned_engineer_id is not None:
            # On the engineer's phone until the customer is satisfied at the call-back.
            held = holders[job.id]
            left = job.followed_up_at if s in {S.FOLLOWED_UP, S.CLOSED} else None
            assert held.ended_at == left, job.number
        assert bool(job.cancel_reason) == (s is S.CANCELLED)
        assert (job.cancelled_at is not None) == (s is S.CANCELLED)
        if s is S.EN_ROUTE:
            assert trip_kinds[job.id] == {TripKind.DEPARTED}
        if s in {S.REPORTED, S.ACCEPTED}:
            assert job.id not in trip_kinds


async def test_engineer1_has_work_today(db: Database) -> None:
    async with db.read() as session:
        engineer1 = await session.scalar(select(User).where(User.username == "engineer1"))
        assert engineer1 is not None
        mine = (
            await session.scalars(select(Job).where(Job.assigned_engineer_id == engineer1.id))
        ).all()
    today = NOW.astimezone(CAL.tz).date()
    booked_today = [
        j
        for j in mine
        if j.status is S.ASSIGNED
        and j.scheduled_at is not None
        and j.scheduled_at.astimezone(CAL.tz).date() == today
    ]
    assert len(booked_today) >= 2
    assert any(j.status is S.EN_ROUTE for j in mine)


async def test_part_line_billing_agrees_with_the_warranty_on_the_visit_day(db: Database) -> None:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(PartLine, Job, Asset)
                .join(Job, PartLine.job_id == Job.id)
                .join(Asset, Job.asset_id == Asset.id)
            )
        ).all()
    assert len(rows) >= 40
    seen = Counter()
    for line, job, asset in rows:
        assert job.status in DONE
        assert job.arrived_at is not None
        visit_day = job.arrived_at.astimezone(CAL.tz).date()
        expected = (
            Billing.WARRANTY if in_warranty(asset.warranty_end, visit_day) else Billing.CHARGEABLE
        )
        assert line.billing == expected, job.number
        assert line.unit_price > 0
        seen[line.billing] += 1
    # The demo must show both free and chargeable repairs.
    assert seen[Billing.WARRANTY] > 0
    assert seen[Billing.CHARGEABLE] > 0


async def test_every_done_job_has_one_to_three_part_lines(db: Database) -> None:
    jobs = await _jobs(db)
    async with db.read() as session:
        per_job = Counter((await session.scalars(select(PartLine.job_id))).all())
    for job in jobs:
        if job.status in DONE:
            assert 1 <= per_job[job.id] <= 3, job.number
        else:
            assert per_job[job.id] == 0, job.number


async def test_asset_warranty_ends_follow_the_rule_and_contracts(db: Database) -> None:
    async with db.read() as session:
        assets = (await session.scalars(select(Asset))).all()
    today = NOW.astimezone(CAL.tz).date()
    contract = [a for a in assets if a.warranty_months == 36]
    assert contract
    assert all(a.contract_ref for a in contract)
    covered = 0
    for asset in assets:
        if asset.acceptance_date is None:
            assert asset.warranty_end is None
            continue
        assert asset.acceptance_date >= today - timedelta(days=4 * 366)
        assert asset.warranty_end == warranty_end(asset.acceptance_date, asset.warranty_months)
        covered += in_warranty(asset.warranty_end, today)
    # Some in warranty and some expired, as the brief asks.
    assert 20 < covered < 130


async def test_every_demo_part_has_its_unit_in_english(db: Database) -> None:
    async with db.read() as session:
        rows = (await session.execute(select(Part.unit, Part.unit_en))).all()
    units = {(unit, english) for unit, english in rows}
    han = re.compile(r"[\u4e00-\u9fff]")
    assert units
    assert all(english and not han.search(english) for _, english in units), units
    assert ("台", "set") in units


async def test_stock_in_the_warehouse_and_every_engineers_van(db: Database) -> None:
    async with db.read() as session:
        locations = (await session.scalars(select(StockLocation))).all()
        levels = Counter((await session.scalars(select(StockLevel.location_id))).all())
        engineers = set(
            (await session.scalars(select(User.id).where(User.role == Role.ENGINEER))).all()
        )
    warehouses = [loc for loc in locations if loc.kind is LocationKind.WAREHOUSE]
    vans = [loc for loc in locations if loc.kind is LocationKind.VAN]
    assert len(warehouses) == 1
    assert levels[warehouses[0].id] == 300
    assert {van.engineer_id for van in vans} == engineers
    for van in vans:
        assert 20 <= levels[van.id] <= 40


async def test_receipts_are_numbered_and_logged_in_and_out(db: Database) -> None:
    async with db.read() as session:
        receipts = (await session.scalars(select(RepairReceipt))).all()
        events = (await session.scalars(select(ReceiptEvent))).all()
    assert len(receipts) >= 2
    logs: dict[object, list[str]] = {}
    for event in sorted(events, key=lambda e: e.id):
        logs.setdefault(event.receipt_id, []).append(event.direction)
    expected = {
        ReceiptStatus.TAKEN: ["taken"],
        ReceiptStatus.IN_WORKSHOP: ["taken", "in"],
        ReceiptStatus.RETURNED: ["taken", "in", "out"],
    }
    for receipt in receipts:
        assert re.fullmatch(r"RR-\d{4}-\d{6}", receipt.number)
        assert logs[receipt.id] == expected[receipt.status], "as the office logs them"
        assert (receipt.returned_at is not None) == (receipt.status is ReceiptStatus.RETURNED)


async def test_settled_jobs_keep_their_settlement_frozen_as_settling_does(db: Database) -> None:
    from api.models import PartLine, Settlement, SettlementLine

    async with db.read() as session:
        settled = {
            job.id: job.settled_at
            for job in await session.scalars(select(Job).where(Job.settled_at.is_not(None)))
        }
        frozen = {h.job_id: h.frozen_at for h in await session.scalars(select(Settlement))}
        parts = Tally(
            line.job_id
            for line in await session.scalars(select(PartLine).where(PartLine.removed_at.is_(None)))
        )
        billed = Tally(
            line.job_id
            for line in await session.scalars(
                select(SettlementLine).where(SettlementLine.kind == "part")
            )
        )
    assert settled
    assert frozen == settled, "every settled job frozen when it was settled, and no other"
    for job_id in settled:
        assert billed[job_id] == parts[job_id], "each part line frozen on the statement"


async def test_every_job_signed_on_site_has_both_signatures_over_its_content(
    tmp_path: Path,
) -> None:
    from api.domain.reports.content import content_input
    from api.media.signatures import render_png
    from api.media.store import LocalBlobStore
    from api.models import SignerRole
    from pdf.canonical import content_sha256

    url = f"sqlite+aiosqlite:///{tmp_path / 'signed.db'}"
    upgrade(url)
    db, blobs = Database(url), LocalBlobStore(tmp_path / "blobs")
    try:
        summary = await load_demo(db, calendar=CAL, now=NOW, blobs=blobs)
        async with db.read() as session:
            jobs = {j.id: j for j in await session.scalars(select(Job))}
            signatures = list(await session.scalars(select(Signature)))
            signed = {j.id for j in jobs.values() if j.signed_at is not None}
            assert signed, "the demo has signed jobs"
            assert summary.signatures == len(signatures) == 2 * len(signed)
            by_job: dict[object, set[SignerRole]] = {}
            for signature in signatures:
                job = jobs[signature.job_id]
                by_job.setdefault(job.id, set()).add(signature.signer_role)
                # The report can be issued: the signature covers the content as it stands.
                assert signature.content_sha256 == content_sha256(await content_input(session, job))
                reopened = job.status is S.REOPENED
                assert (signature.superseded_at is not None) is reopened
                assert await blobs.read_all(signature.png_sha256) == render_png(signature.strokes)
            assert by_job == {j: {SignerRole.CUSTOMER, SignerRole.ENGINEER} for j in signed}
    finally:
        await db.dispose()


async def test_english_customers_get_english_fault_descriptions(db: Database) -> None:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Job.fault_description, Customer.locale).join(
                    Customer, Job.customer_id == Customer.id
                )
            )
        ).all()
    han = re.compile(r"[\u4e00-\u9fff]")
    for fault, locale in rows:
        assert bool(han.search(fault)) == (locale != "en"), fault


def test_same_seed_gives_the_same_demo_and_another_seed_does_not(tmp_path: Path) -> None:
    async def content(url: str) -> list[tuple[str, str, str, str]]:
        db = Database(url)
        try:
            async with db.read() as session:
                rows = await session.execute(
                    select(Job.number, Job.status, Job.fault_description, Customer.name)
                    .join(Customer, Job.customer_id == Customer.id)
                    .order_by(Job.number)
                )
                return [(n, str(s), f, c) for n, s, f, c in rows.all()]
        finally:
            await db.dispose()

    first = _load(tmp_path / "a.db")
    second = _load(tmp_path / "b.db")
    other = _load(tmp_path / "c.db", seed=7)
    a, b, c = (asyncio.run(content(x.url)) for x in (first, second, other))
    assert len(a) == 80
    assert a == b
    assert a != c
