"""The settlement (结算): warranty and chargeable lines of a job, reclassified by a supervisor,
frozen when the job is settled; the van check and the month's van reconciliation.

Definitions (labour hours, rounding, the warranty rule, the van check) are in
docs/settlement.md; keep the two in step.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.office.services import month_bounds
from api.domain.settlement.schemas import (
    LineKind,
    ReconciliationRow,
    SettlementLineOut,
    SettlementOut,
    SettlementPatch,
    Totals,
    VanCheck,
)
from api.error_codes import ErrorCode
from api.http import Conflict, DomainError, not_found
from api.models import (
    Asset,
    Billing,
    Customer,
    Job,
    LocationKind,
    Part,
    PartLine,
    PartSource,
    Settlement,
    SettlementLine,
    StockLevel,
    StockLocation,
    StockMovement,
    TripEvent,
    TripKind,
    User,
)
from api.settings import SettlementSettings
from sync.rules.warranty import in_warranty

CENT = Decimal("0.01")
HALF_HOUR_SECONDS = 1800
MIN_LABOUR_HOURS = Decimal("0.5")
"""Labour is never charged for less than half an hour."""
LABOUR = "labour"
CALLOUT = "callout"
KINDS: dict[str, LineKind] = {"part": "part", LABOUR: "labour", CALLOUT: "callout"}
"""The stored kind of a frozen line, typed."""

LABOUR_TEXT = "人工 Labour"
CALLOUT_TEXT = "上门费 Call-out fee"
LABOUR_UNIT = "h"
CALLOUT_UNIT = "次"


def money(value: Decimal) -> str:
    """An amount as a string with exactly 2 decimals (half up)."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def quantity_text(value: Decimal) -> str:
    """A quantity as a plain decimal string without trailing zeros: ``2``, ``2.5``, ``0.125``."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


@dataclass
class Line:
    """A settlement line while it is worked out."""

    key: str
    kind: LineKind
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    billing: Billing
    original_billing: Billing
    reason: str = ""
    changed_by: uuid.UUID | None = None
    changed_at: datetime | None = None

    @property
    def amount(self) -> Decimal:
        """Quantity times unit price, rounded half up to the fen."""
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Basis:
    """What the lines are worked out from."""

    in_warranty: bool
    warranty_end: date | None
    visit_date: date | None
    labour_hours: Decimal
    labour_rate: Decimal
    callout_fee: Decimal


def away_seconds(
    arrived_at: datetime, completed_at: datetime, trips: Iterable[tuple[TripKind, datetime]]
) -> float:
    """Seconds between the first arrival and work done that the trip log (外出工地登记) shows
    the engineer off the site: from leaving (or departing again) to the next arrival, or to
    work done when no arrival follows. A job waiting for parts (待料) is not on-site time."""
    away = 0.0
    gone: datetime | None = None
    for kind, at in sorted(trips, key=lambda trip: trip[1]):
        if not arrived_at < at < completed_at:
            continue
        if kind is TripKind.ARRIVED:
            if gone is not None:
                away += (at - gone).total_seconds()
                gone = None
        elif gone is None:
            gone = at
    if gone is not None:
        away += (completed_at - gone).total_seconds()
    return away


def default_labour_hours(
    arrived_at: datetime | None,
    completed_at: datetime | None,
    trips: Iterable[tuple[TripKind, datetime]] = (),
) -> Decimal:
    """On-site time (arrival to work done, less the time the trip log shows the engineer away)
    rounded up to the next half hour, at least 0.5; 0.5 when either time is missing."""
    if arrived_at is None or completed_at is None:
        return MIN_LABOUR_HOURS
    away = away_seconds(arrived_at, completed_at, trips)
    seconds = max(0.0, (completed_at - arrived_at).total_seconds() - away)
    halves = max(1, math.ceil(seconds / HALF_HOUR_SECONDS))
    return Decimal(halves) / 2


def visit_date(job: Job, tz: ZoneInfo) -> date | None:
    """The day of the visit in the department's time zone: arrival, else work done."""
    at = job.arrived_at or job.completed_at
    return at.astimezone(tz).date() if at is not None else None


def is_settled(job: Job, header: Settlement | None) -> bool:
    """Whether the job's settlement no longer changes."""
    return job.settled_at is not None or (header is not None and header.frozen_at is not None)


async def _basis(
    session: AsyncSession,
    job: Job,
    header: Settlement | None,
    *,
    rates: SettlementSettings,
    tz: ZoneInfo,
) -> Basis:
    asset = await session.get(Asset, job.asset_id) if job.asset_id else None
    visited = visit_date(job, tz)
    # No visit on record (a job settled from the desk): the report day decides, as on the job.
    day = visited or job.reported_at.astimezone(tz).date()
    end = asset.warranty_end if asset is not None else None
    hours = header.labour_hours if header is not None else None
    trips: list[tuple[TripKind, datetime]] = []
    if hours is None and job.arrived_at is not None and job.completed_at is not None:
        trips = [
            (kind, at)
            for kind, at in await session.execute(
                select(TripEvent.kind, TripEvent.device_time).where(TripEvent.job_id == job.id)
            )
        ]
    return Basis(
        in_warranty=asset is not None and in_warranty(end, day),
        warranty_end=end,
        visit_date=visited,
        labour_hours=(
            hours
            if hours is not None
            else default_labour_hours(job.arrived_at, job.completed_at, trips)
        ),
        labour_rate=rates.labour_rate,
        callout_fee=rates.callout_fee,
    )


async def _computed_lines(session: AsyncSession, job: Job, basis: Basis) -> list[Line]:
    """The lines from the job as it is now, before any reclassification."""
    rows = await session.execute(
        select(PartLine, Part)
        .join(Part, Part.id == PartLine.part_id)
        .where(PartLine.job_id == job.id, PartLine.removed_at.is_(None))
        .order_by(PartLine.created_at, PartLine.id)
    )
    lines = [
        Line(
            key=str(line.id),
            kind="part",
            description=f"{part.code} {part.name}",
            quantity=line.quantity,
            unit=part.unit,
            unit_price=line.unit_price,
            billing=line.billing,
            original_billing=line.billing,
        )
        for line, part in rows.all()
    ]
    service = Billing.WARRANTY if basis.in_warranty else Billing.CHARGEABLE
    lines.append(
        Line(
            key=LABOUR,
            kind="labour",
            description=LABOUR_TEXT,
            quantity=basis.labour_hours,
            unit=LABOUR_UNIT,
            unit_price=basis.labour_rate,
            billing=service,
            original_billing=service,
        )
    )
    lines.append(
        Line(
            key=CALLOUT,
            kind="callout",
            description=CALLOUT_TEXT,
            quantity=Decimal(1),
            unit=CALLOUT_UNIT,
            unit_price=basis.callout_fee,
            billing=service,
            original_billing=service,
        )
    )
    return lines


async def _rows(session: AsyncSession, job_id: uuid.UUID) -> list[SettlementLine]:
    return list(
        await session.scalars(
            select(SettlementLine)
            .where(SettlementLine.job_id == job_id)
            .order_by(SettlementLine.position, SettlementLine.key)
        )
    )


def _reclassified(lines: list[Line], rows: list[SettlementLine]) -> list[Line]:
    """``lines`` with the stored reclassifications applied (those of lines gone are ignored)."""
    by_key = {row.key: row for row in rows}
    for line in lines:
        row = by_key.get(line.key)
        if row is not None:
            line.billing = row.billing
            line.reason = row.reason
            line.changed_by = row.changed_by
            line.changed_at = row.changed_at
    return lines


def _frozen(rows: list[SettlementLine]) -> list[Line]:
    return [
        Line(
            key=r.key,
            kind=KINDS[r.kind],
            description=r.description,
            quantity=r.quantity,
            unit=r.unit,
            unit_price=r.unit_price,
            billing=r.billing,
            original_billing=r.original_billing,
            reason=r.reason,
            changed_by=r.changed_by,
            changed_at=r.changed_at,
        )
        for r in rows
    ]


@dataclass
class Worked:
    """A job's settlement as the services work it out."""

    job: Job
    customer_name: str
    basis: Basis
    lines: list[Line]

    @property
    def totals(self) -> dict[Billing, Decimal]:
        """Sums of the line amounts by billing."""
        sums = {Billing.WARRANTY: Decimal(0), Billing.CHARGEABLE: Decimal(0)}
        for line in self.lines:
            sums[line.billing] += line.amount
        return sums


async def work_out(
    session: AsyncSession, job: Job, *, rates: SettlementSettings, tz: ZoneInfo
) -> Worked:
    """The job's settlement: the frozen one once settled, else computed with reclassifications.

    A job settled before settlements were kept has no frozen lines: it is computed.
    """
    header = await session.get(Settlement, job.id)
    rows = await _rows(session, job.id)
    customer = await session.get(Customer, job.customer_id)
    name = customer.name if customer is not None else ""
    if header is not None and header.frozen_at is not None:
        basis = Basis(
            in_warranty=bool(header.in_warranty),
            warranty_end=header.warranty_end,
            visit_date=header.visit_date,
            labour_hours=header.labour_hours or Decimal(0),
            labour_rate=header.labour_rate or Decimal(0),
            callout_fee=header.callout_fee or Decimal(0),
        )
        return Worked(job=job, customer_name=name, basis=basis, lines=_frozen(rows))
    basis = await _basis(session, job, header, rates=rates, tz=tz)
    lines = _reclassified(await _computed_lines(session, job, basis), rows)
    return Worked(job=job, customer_name=name, basis=basis, lines=lines)


async def settlement_out(
    session: AsyncSession, job: Job, *, rates: SettlementSettings, tz: ZoneInfo
) -> SettlementOut:
    """The wire form of a job's settlement, with the van check."""
    worked = await work_out(session, job, rates=rates, tz=tz)
    return await to_out(session, worked)


async def to_out(session: AsyncSession, worked: Worked) -> SettlementOut:
    """The wire form of a worked-out settlement, with the van check."""
    changers = {line.changed_by for line in worked.lines if line.changed_by is not None}
    names: dict[uuid.UUID, str] = {
        ident: name
        for ident, name in await session.execute(
            select(User.id, User.display_name).where(User.id.in_(changers))
        )
    }
    totals = worked.totals
    basis = worked.basis
    job = worked.job
    return SettlementOut(
        job_id=job.id,
        number=job.number,
        status=str(job.status),
        customer_name=worked.customer_name,
        in_warranty=basis.in_warranty,
        warranty_end=basis.warranty_end,
        visit_date=basis.visit_date,
        labour_hours=quantity_text(basis.labour_hours),
        labour_rate=money(basis.labour_rate),
        callout_fee=money(basis.callout_fee),
        lines=[
            SettlementLineOut(
                key=line.key,
                kind=line.kind,
                description=line.description,
                quantity=quantity_text(line.quantity),
                unit=line.unit,
                unit_price=money(line.unit_price),
                amount=money(line.amount),
                billing=line.billing,
                original_billing=line.original_billing,
                reason=line.reason,
                changed_by=names.get(line.changed_by) if line.changed_by else None,
            )
            for line in worked.lines
        ],
        totals=Totals(
            warranty=money(totals[Billing.WARRANTY]),
            chargeable=money(totals[Billing.CHARGEABLE]),
            total=money(totals[Billing.WARRANTY] + totals[Billing.CHARGEABLE]),
        ),
        settled_at=job.settled_at,
        van=await van_check(session, job.id),
    )


async def _open_header(session: AsyncSession, job: Job) -> Settlement:
    """The job's settlement header for a change: 409 once settled; made when missing."""
    header = await session.get(Settlement, job.id, with_for_update=True)
    if is_settled(job, header):
        raise Conflict(
            "the job is settled; its settlement no longer changes", code=ErrorCode.SETTLED
        )
    if header is None:
        header = Settlement(job_id=job.id)
        session.add(header)
    return header


async def update_settlement(session: AsyncSession, job: Job, patch: SettlementPatch) -> None:
    """The office sets the labour hours (``None``: back to the on-site time)."""
    header = await _open_header(session, job)
    if not isinstance(patch.labour_hours, msgspec.UnsetType):
        header.labour_hours = patch.labour_hours


async def reclassify(
    session: AsyncSession,
    job: Job,
    *,
    key: str,
    billing: Billing,
    reason: str,
    me: uuid.UUID,
    now: datetime,
    rates: SettlementSettings,
    tz: ZoneInfo,
) -> None:
    """A supervisor bills one line differently, saying why. The part line stays as the
    customer signed it; the settlement keeps its own billing."""
    header = await _open_header(session, job)
    if not reason.strip():
        raise DomainError("say why the line is reclassified (reason)", code=ErrorCode.REASON_NEEDED)
    basis = await _basis(session, job, header, rates=rates, tz=tz)
    line = next((x for x in await _computed_lines(session, job, basis) if x.key == key), None)
    if line is None:
        raise not_found("settlement line")
    row = await session.get(SettlementLine, (job.id, key), with_for_update=True)
    if row is None:
        row = SettlementLine(job_id=job.id, key=key)
        session.add(row)
    _copy(row, line, position=0)
    row.billing = billing
    row.reason = reason.strip()
    row.changed_by = me
    row.changed_at = now


def _copy(row: SettlementLine, line: Line, *, position: int) -> None:
    row.position = position
    row.kind = line.kind
    row.description = line.description
    row.quantity = line.quantity
    row.unit = line.unit
    row.unit_price = line.unit_price
    row.amount = line.amount
    row.billing = line.billing
    row.original_billing = line.original_billing
    row.reason = line.reason
    row.changed_by = line.changed_by
    row.changed_at = line.changed_at


async def freeze(
    session: AsyncSession, job: Job, *, rates: SettlementSettings, tz: ZoneInfo, now: datetime
) -> None:
    """Write the job's settlement as it stands, so it no longer follows the job (called by
    the settle service in its transaction). A job settled again after a reopened visit keeps
    the settlement frozen the first time."""
    header = await session.get(Settlement, job.id, with_for_update=True)
    if header is not None and header.frozen_at is not None:
        return
    if header is None:
        header = Settlement(job_id=job.id)
        session.add(header)
    basis = await _basis(session, job, header, rates=rates, tz=tz)
    rows = await _rows(session, job.id)
    lines = _reclassified(await _computed_lines(session, job, basis), rows)
    keep = {line.key for line in lines}
    stale = [row.key for row in rows if row.key not in keep]
    if stale:
        # Reclassifications of part lines removed since: nothing left to bill.
        await session.execute(
            delete(SettlementLine).where(
                SettlementLine.job_id == job.id, SettlementLine.key.in_(stale)
            )
        )
    existing = {row.key: row for row in rows if row.key in keep}
    for position, line in enumerate(lines):
        row = existing.get(line.key)
        if row is None:
            row = SettlementLine(job_id=job.id, key=line.key)
            session.add(row)
        _copy(row, line, position=position)
    header.labour_hours = basis.labour_hours
    header.labour_rate = basis.labour_rate
    header.callout_fee = basis.callout_fee
    header.in_warranty = basis.in_warranty
    header.warranty_end = basis.warranty_end
    header.visit_date = basis.visit_date
    header.frozen_at = now


# ---- the van ---------------------------------------------------------------------------------


async def _van_owners(session: AsyncSession) -> dict[uuid.UUID, uuid.UUID]:
    """Van location id -> the engineer whose van it is."""
    rows = await session.execute(
        select(StockLocation.id, StockLocation.engineer_id).where(
            StockLocation.kind == LocationKind.VAN, StockLocation.engineer_id.is_not(None)
        )
    )
    return {loc: owner for loc, owner in rows if owner is not None}


def _movements() -> Select[uuid.UUID, uuid.UUID | None, uuid.UUID | None, Decimal]:
    """Part, from, to and quantity of stock movements."""
    return select(
        StockMovement.part_id,
        StockMovement.from_location_id,
        StockMovement.to_location_id,
        StockMovement.quantity,
    )


def _van_delta(
    movement_from: uuid.UUID | None,
    movement_to: uuid.UUID | None,
    quantity: Decimal,
    vans: dict[uuid.UUID, uuid.UUID],
) -> tuple[uuid.UUID, Decimal] | None:
    """(van owner, quantity out of the van) of a movement; a return into a van is negative."""
    if movement_from in vans:
        return vans[movement_from], quantity
    if movement_to in vans:
        return vans[movement_to], -quantity
    return None


async def van_check(session: AsyncSession, job_id: uuid.UUID) -> list[VanCheck]:
    """For each part on the job: van-sourced quantity used (part lines not removed) vs. the net
    stock moved out of a van for this job (the movements the sync writes name the job)."""
    used: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for part_id, quantity in await session.execute(
        select(PartLine.part_id, PartLine.quantity).where(
            PartLine.job_id == job_id,
            PartLine.removed_at.is_(None),
            PartLine.source == PartSource.VAN,
        )
    ):
        used[part_id] += quantity
    vans = await _van_owners(session)
    taken: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for part_id, source, target, quantity in await session.execute(
        _movements().where(StockMovement.job_id == job_id)
    ):
        moved = _van_delta(source, target, quantity, vans)
        if moved is not None:
            taken[part_id] += moved[1]
    # A line added and removed again leaves nothing on either side: no row.
    part_ids = {pid for pid in set(used) | set(taken) if used[pid] or taken[pid]}
    if not part_ids:
        return []
    parts = {p.id: p for p in await session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    checks = [
        VanCheck(
            part_code=parts[pid].code,
            part_name=parts[pid].name,
            used=quantity_text(used[pid]),
            taken_from_van=quantity_text(taken[pid]),
            difference=quantity_text(used[pid] - taken[pid]),
        )
        for pid in part_ids
        if pid in parts
    ]
    return sorted(checks, key=lambda c: c.part_code)


async def reconciliation(
    session: AsyncSession, *, month: str, tz: str, engineer_id: uuid.UUID | None
) -> list[ReconciliationRow]:
    """Each engineer's van in a month, part by part: what the part lines recorded in the month
    took from the van, against the net stock those lines moved out of it."""
    try:
        start, end = month_bounds(month, tz)
    except (ValueError, OverflowError):
        raise DomainError(f"month {month!r} is out of range", status_code=400) from None
    recorded = (
        PartLine.source == PartSource.VAN,
        PartLine.created_at >= start,
        PartLine.created_at < end,
        PartLine.created_by.is_not(None),
    )
    Key = tuple[uuid.UUID, uuid.UUID]
    used: dict[Key, Decimal] = defaultdict(Decimal)
    for part_id, quantity, removed_at, owner in await session.execute(
        select(PartLine.part_id, PartLine.quantity, PartLine.removed_at, PartLine.created_by).where(
            *recorded
        )
    ):
        if owner is not None:
            used[(owner, part_id)] += Decimal(0) if removed_at is not None else quantity
    vans = await _van_owners(session)
    moved: dict[Key, Decimal] = defaultdict(Decimal)
    for part_id, source, target, quantity in await session.execute(
        _movements().join(PartLine, PartLine.id == StockMovement.part_line_id).where(*recorded)
    ):
        delta = _van_delta(source, target, quantity, vans)
        if delta is not None:
            moved[(delta[0], part_id)] += delta[1]
    keys = {
        k
        for k in set(used) | set(moved)
        if (engineer_id is None or k[0] == engineer_id) and (used[k] or moved[k])
    }
    if not keys:
        return []
    engineers = {e for e, _ in keys}
    part_ids = {p for _, p in keys}
    names: dict[uuid.UUID, str] = {
        ident: name
        for ident, name in await session.execute(
            select(User.id, User.display_name).where(User.id.in_(engineers))
        )
    }
    parts = {p.id: p for p in await session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    van_of = {owner: loc for loc, owner in vans.items()}
    levels: dict[Key, Decimal] = {
        (van_of_owner, part_id): quantity
        for van_of_owner, part_id, quantity in (
            (vans[loc], part_id, quantity)
            for loc, part_id, quantity in await session.execute(
                select(StockLevel.location_id, StockLevel.part_id, StockLevel.quantity).where(
                    StockLevel.location_id.in_([van_of[e] for e in engineers if e in van_of]),
                    StockLevel.part_id.in_(part_ids),
                )
            )
        )
    }
    rows = [
        ReconciliationRow(
            engineer_id=engineer,
            engineer_name=names.get(engineer, ""),
            part_code=parts[part_id].code,
            part_name=parts[part_id].name,
            used_on_jobs=quantity_text(used[(engineer, part_id)]),
            moved_out=quantity_text(moved[(engineer, part_id)]),
            difference=quantity_text(used[(engineer, part_id)] - moved[(engineer, part_id)]),
            level=quantity_text(levels.get((engineer, part_id), Decimal(0))),
        )
        for engineer, part_id in keys
        if part_id in parts
    ]
    return sorted(rows, key=lambda r: (r.engineer_name, str(r.engineer_id), r.part_code))
