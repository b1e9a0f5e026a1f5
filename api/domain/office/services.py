"""The office after the visit: the review queue, the call list, complaints and the figures."""

from __future__ import annotations

import re
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db import count_rows
from api.domain.office.schemas import (
    CallItem,
    ComplaintIn,
    ComplaintOut,
    ComplaintPatch,
    Figures,
    MonthFigures,
    ReviewFlags,
    ReviewItem,
)
from api.error_codes import ErrorCode
from api.http import DomainError, Page, apply_patch, check_version, not_found
from api.media.access import photo_on_the_way
from api.models import (
    Billing,
    Complaint,
    ComplaintSeverity,
    ComplaintStatus,
    ConflictStatus,
    Customer,
    DeviceSync,
    Job,
    Part,
    PartLine,
    PartSource,
    Photo,
    PhotoCategory,
    Role,
    Satisfaction,
    SatisfactionSource,
    Settlement,
    SettlementLine,
    Signature,
    SignerRole,
    StockLevel,
    StockLocation,
    SyncConflict,
    User,
)
from api.sheets import as_data
from sync.rules.lifecycle import JobStatus

REVIEW_STATUSES = (JobStatus.WORK_DONE, JobStatus.SIGNED)
"""Completed on site: waiting for the customer's signature or for the supervisor."""
REPEAT_WINDOW = timedelta(days=30)
"""Another fault on the same asset within this long after a fix is a repeat visit."""
CENT = Decimal("0.01")


# ---- the review queue (主管审核) -------------------------------------------------------------


async def review_queue(session: AsyncSession) -> list[ReviewItem]:
    """Jobs completed on site, oldest first, each with the concerns a supervisor checks."""
    rows = (
        await session.execute(
            select(Job, Customer.name, User.display_name)
            .join(Customer, Customer.id == Job.customer_id)
            .outerjoin(User, User.id == Job.assigned_engineer_id)
            .where(Job.status.in_(REVIEW_STATUSES))
            .order_by(Job.completed_at.is_(None), Job.completed_at, Job.number)
        )
    ).all()
    ids = [job.id for job, _, _ in rows]
    if not ids:
        return []
    signed = set(
        await session.scalars(
            select(Signature.job_id).where(
                Signature.job_id.in_(ids),
                Signature.signer_role == SignerRole.CUSTOMER,
                Signature.superseded_at.is_(None),
            )
        )
    )
    after = set(
        await session.scalars(
            select(Photo.job_id).where(
                Photo.job_id.in_(ids),
                Photo.category == PhotoCategory.AFTER,
                Photo.removed_at.is_(None),
            )
        )
    )
    waiting = await session.execute(
        select(Photo.job_id, func.count())
        .where(Photo.job_id.in_(ids), photo_on_the_way())
        .group_by(Photo.job_id)
    )
    on_the_way: dict[uuid.UUID, int] = {job_id: n for job_id, n in waiting}
    open_conflicts = await session.execute(
        select(SyncConflict.job_id, func.count())
        .where(SyncConflict.job_id.in_(ids), SyncConflict.status == ConflictStatus.OPEN)
        .group_by(SyncConflict.job_id)
    )
    conflicts: dict[uuid.UUID, int] = {job_id: n for job_id, n in open_conflicts}
    engineers = {job.assigned_engineer_id for job, _, _ in rows if job.assigned_engineer_id}
    skewed = set(
        await session.scalars(
            select(DeviceSync.user_id).where(
                DeviceSync.user_id.in_(engineers), DeviceSync.clock_skewed.is_(True)
            )
        )
    )
    short: dict[uuid.UUID, list[str]] = defaultdict(list)
    lacking = await session.execute(
        select(PartLine.job_id, Part.code)
        .join(Part, Part.id == PartLine.part_id)
        .join(Job, Job.id == PartLine.job_id)
        .join(StockLocation, StockLocation.engineer_id == Job.assigned_engineer_id)
        .join(
            StockLevel,
            and_(
                StockLevel.location_id == StockLocation.id,
                StockLevel.part_id == PartLine.part_id,
            ),
        )
        .where(
            PartLine.job_id.in_(ids),
            PartLine.removed_at.is_(None),
            PartLine.source == PartSource.VAN,
            StockLevel.quantity < 0,
        )
        .order_by(Part.code)
    )
    for job_id, code in lacking:
        if code not in short[job_id]:
            short[job_id].append(code)
    return [
        ReviewItem(
            id=job.id,
            number=job.number,
            status=str(job.status),
            customer_name=customer,
            engineer_name=engineer,
            completed_at=job.completed_at,
            signed_at=job.signed_at,
            review_note=job.review_note,
            flags=ReviewFlags(
                unsigned=job.id not in signed,
                no_after_photo=job.id not in after,
                open_conflicts=int(conflicts.get(job.id, 0)),
                clock_skew=job.assigned_engineer_id in skewed,
                beyond_van_stock=short.get(job.id, []),
                photos_on_the_way=int(on_the_way.get(job.id, 0)),
            ),
        )
        for job, customer, engineer in rows
    ]


# ---- the call list (回访) --------------------------------------------------------------------


async def call_list(session: AsyncSession, *, now: datetime) -> list[CallItem]:
    """Settled jobs not yet called back, the most urgent first."""
    rows = await session.execute(
        select(Job, Customer.name, User.display_name)
        .join(Customer, Customer.id == Job.customer_id)
        .outerjoin(User, User.id == Job.assigned_engineer_id)
        .where(Job.status == JobStatus.SETTLED)
        .order_by(Job.callback_due_at.is_(None), Job.callback_due_at, Job.number)
    )
    return [
        CallItem(
            id=job.id,
            number=job.number,
            customer_name=customer,
            contact_name=job.contact_name,
            contact_phone=job.contact_phone,
            engineer_name=engineer,
            settled_at=job.settled_at,
            callback_due_at=job.callback_due_at,
            overdue=job.callback_due_at is not None and job.callback_due_at < now,
        )
        for job, customer, engineer in rows
    ]


# ---- complaints (投诉) -----------------------------------------------------------------------


def complaint_out(complaint: Complaint, customer_name: str, *, now: datetime) -> ComplaintOut:
    """The wire form of a complaint."""
    open_ = complaint.status != ComplaintStatus.RESOLVED
    return ComplaintOut(
        id=complaint.id,
        customer_id=complaint.customer_id,
        customer_name=customer_name,
        job_id=complaint.job_id,
        severity=complaint.severity,
        description=complaint.description,
        status=complaint.status,
        owner_id=complaint.owner_id,
        deadline=complaint.deadline,
        overdue=open_ and complaint.deadline is not None and complaint.deadline < now,
        escalated_at=complaint.escalated_at,
        resolved_at=complaint.resolved_at,
        resolution=complaint.resolution,
        created_at=complaint.created_at,
        version=complaint.version,
    )


async def _check_refs(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
) -> None:
    if customer_id is not None and await session.get(Customer, customer_id) is None:
        raise DomainError("unknown customer", status_code=400)
    if job_id is not None:
        job = await session.get(Job, job_id)
        if job is None:
            raise DomainError("unknown job", status_code=400)
        if customer_id is not None and job.customer_id != customer_id:
            raise DomainError("the job is not this customer's", status_code=400)
    if owner_id is not None:
        owner = await session.get(User, owner_id)
        if owner is None or owner.role == Role.ENGINEER or not owner.active:
            raise DomainError("the owner must be an active office user", status_code=400)


async def create_complaint(session: AsyncSession, data: ComplaintIn, *, now: datetime) -> Complaint:
    """Record a complaint; a serious one goes to the director at once (情节重大者)."""
    await _check_refs(
        session, customer_id=data.customer_id, job_id=data.job_id, owner_id=data.owner_id
    )
    complaint = Complaint(
        customer_id=data.customer_id,
        job_id=data.job_id,
        severity=data.severity,
        description=data.description,
        owner_id=data.owner_id,
        deadline=data.deadline,
        escalated_at=now if data.severity == ComplaintSeverity.SERIOUS else None,
    )
    session.add(complaint)
    await session.flush()
    return complaint


async def update_complaint(
    session: AsyncSession, complaint: Complaint, patch: ComplaintPatch, *, now: datetime
) -> None:
    """Change a complaint's handling; resolving needs a resolution, raising to serious escalates."""
    check_version(complaint, patch)
    if isinstance(patch.owner_id, uuid.UUID):
        await _check_refs(session, owner_id=patch.owner_id)
    apply_patch(complaint, patch)
    if complaint.status == ComplaintStatus.RESOLVED:
        if not complaint.resolution.strip():
            raise DomainError("say how the complaint was resolved", code=ErrorCode.REASON_NEEDED)
        if complaint.resolved_at is None:
            complaint.resolved_at = now
    else:
        complaint.resolved_at = None
    if complaint.severity == ComplaintSeverity.SERIOUS and complaint.escalated_at is None:
        complaint.escalated_at = now


def escalate(complaint: Complaint, *, now: datetime) -> None:
    """Escalate a complaint to the director (总监 / 副总)."""
    if complaint.escalated_at is None:
        complaint.escalated_at = now


async def complaint_with_customer(
    session: AsyncSession, complaint_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Complaint, str]:
    """A complaint and its customer's name, or 404."""
    query = (
        select(Complaint, Customer.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.id == complaint_id)
    )
    if for_update:
        query = query.with_for_update(of=Complaint)
    row = (await session.execute(query)).first()
    if row is None:
        raise not_found("complaint")
    return row[0], row[1]


def filtered_complaints(
    *,
    status: ComplaintStatus | None = None,
    severity: ComplaintSeverity | None = None,
    owner_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    escalated: bool | None = None,
) -> Select[Complaint, str]:
    """Complaints with their customer's name, filtered, in no order (count it, then page it)."""
    query = select(Complaint, Customer.name).join(Customer, Customer.id == Complaint.customer_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    if severity is not None:
        query = query.where(Complaint.severity == severity)
    if owner_id is not None:
        query = query.where(Complaint.owner_id == owner_id)
    if job_id is not None:
        query = query.where(Complaint.job_id == job_id)
    if escalated is not None:
        query = query.where(
            Complaint.escalated_at.is_not(None) if escalated else Complaint.escalated_at.is_(None)
        )
    return query


async def complaint_page(
    session: AsyncSession,
    query: Select[Complaint, str],
    *,
    now: datetime,
    limit: int,
    offset: int,
) -> Page[ComplaintOut]:
    """One page of ``query``, newest first; the id breaks ties of the same instant, so that
    paging neither repeats nor skips a complaint."""
    total = await count_rows(session, query)
    rows = await session.execute(
        query.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit).offset(offset)
    )
    items = [complaint_out(c, name, now=now) for c, name in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)


# ---- figures (统计) ---------------------------------------------------------------------------


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a calendar month (``YYYY-MM``) in the department's time zone."""
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise DomainError(f"month must be YYYY-MM, not {month!r}", status_code=400)
    return period_bounds(month, tz)


PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2})|-Q(?P<quarter>[1-4]))?")
"""A period of figures: a month ``2026-11``, a quarter ``2026-Q4`` or a year ``2026``."""


def period_bounds(period: str, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a month (``YYYY-MM``), a quarter (``YYYY-Qn``) or a year
    (``YYYY``) of the calendar in the department's time zone."""
    found = PERIOD.fullmatch(period)
    if found is None:
        raise DomainError(
            f"the period must be a month (YYYY-MM), a quarter (YYYY-Q1 to YYYY-Q4) or a year "
            f"(YYYY), not {period!r}",
            status_code=400,
        )
    year = int(found["year"])
    if not 2000 <= year <= 2999:
        # Years 1 and 9999 would overflow in the time-zone arithmetic below.
        raise DomainError(f"{period} is outside the years 2000 to 2999", status_code=400)
    if found["month"] is not None:
        first_month, months = int(found["month"]), 1
        if not 1 <= first_month <= 12:
            raise DomainError(f"month must be YYYY-MM, not {period!r}", status_code=400)
    elif found["quarter"] is not None:
        first_month, months = 3 * int(found["quarter"]) - 2, 3
    else:
        first_month, months = 1, 12
    first = date(year, first_month, 1)
    following = first_month - 1 + months
    after = date(year + following // 12, following % 12 + 1, 1)
    zone = ZoneInfo(tz)

    def start(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return start(first), start(after)


def _hours(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    spans = [(b - a).total_seconds() / 3600 for a, b in pairs if a is not None and b is not None]
    return round(statistics.median(spans), 2) if spans else None


def _rate(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _mean(scores: Sequence[int]) -> float | None:
    return round(statistics.fmean(scores), 2) if scores else None


def _text(column: Any, name: str) -> Any:
    """A UUID column read as text: ids the figures only compare or group by skip making a UUID
    each (a year's 270,000 of them were most of its figures' time); see :meth:`_Period.owner`."""
    return cast(column, String).label(name)


_REPORTED = (
    _text(Job.assigned_engineer_id, "engineer"),
    Job.reported_at,
    Job.plan_given_at,
    Job.plan_due_at,
    Job.arrived_at,
    Job.on_site_due_at,
)
"""What a figure reads of a job reported in the period (whole rows cost a year 15 s)."""
_COMPLETED = (
    _text(Job.id, "id"),
    _text(Job.assigned_engineer_id, "engineer"),
    _text(Job.asset_id, "asset_id"),
    Job.arrived_at,
    Job.completed_at,
)
"""What a figure reads of a job completed in the period (ids as text)."""


class _Share:
    """The rows of one engineer's figures (or the department's, or nobody's)."""

    def __init__(self) -> None:
        self.reported: list[Any] = []
        """Rows of :data:`_REPORTED`."""
        self.completed: list[Any] = []
        """Rows of :data:`_COMPLETED`."""
        self.scores: dict[SatisfactionSource, list[int]] = defaultdict(list)
        self.complaints = 0
        self.costs = {Billing.WARRANTY: Decimal(0), Billing.CHARGEABLE: Decimal(0)}


class _Period:
    """A period's rows, split by engineer as they are read (once, not once per engineer)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        """When the figures are asked for: a clock still open past due by then is missed."""
        self.total = _Share()
        self.shares: dict[uuid.UUID | None, _Share] = defaultdict(_Share)
        """Per engineer; None: jobs nobody was dispatched to, complaints about no job."""
        self.repeats: set[str] = set()
        """Jobs completed in the period that were no first-time fix (ids as text)."""
        self.asked: set[uuid.UUID | None] = set()
        """Whoever a figure counts: a row each (see :func:`month_figures`)."""
        self._owners: dict[str | None, uuid.UUID | None] = {None: None}

    def owner(self, text: str | None) -> uuid.UUID | None:
        """The engineer an id read as text names, made a UUID once per engineer."""
        if text not in self._owners:
            self._owners[text] = uuid.UUID(text)
        return self._owners[text]

    def both(self, text: str | None, *, asked: bool = True) -> tuple[_Share, _Share]:
        """The engineer's share and the department's; ``asked``: the engineer gets a row."""
        owner = self.owner(text)
        if asked:
            self.asked.add(owner)
        return self.shares[owner], self.total


async def _gather(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime
) -> _Period:
    period = _Period(now)
    done = aliased(Job)
    completed_in = and_(done.completed_at >= start, done.completed_at < end)
    # A cancelled job (a duplicate report, a call withdrawn) is no demand and owes no clock.
    for reported in await session.execute(
        select(*_REPORTED).where(
            Job.reported_at >= start, Job.reported_at < end, Job.status != JobStatus.CANCELLED
        )
    ):
        for share in period.both(reported.engineer):
            share.reported.append(reported)
    completed = list(
        await session.execute(
            select(*_COMPLETED).where(Job.completed_at >= start, Job.completed_at < end)
        )
    )
    for row in completed:
        for share in period.both(row.engineer):
            share.completed.append(row)
    fixed = [(r.id, r.asset_id, r.completed_at) for r in completed if r.asset_id is not None]
    if fixed:
        period.repeats = await _repeats(session, fixed, done, completed_in)
    asked = (SatisfactionSource.ON_SITE, SatisfactionSource.CALLBACK)
    for engineer, source, score in await session.execute(
        select(_text(Job.assigned_engineer_id, "engineer"), Satisfaction.source, Satisfaction.score)
        .join(Job, Job.id == Satisfaction.job_id)
        .where(Satisfaction.at >= start, Satisfaction.at < end)
    ):
        for share in period.both(engineer, asked=source in asked):
            share.scores[source].append(score)
    for engineer in await session.scalars(
        select(_text(Job.assigned_engineer_id, "engineer"))
        .select_from(Complaint)
        .outerjoin(Job, Job.id == Complaint.job_id)
        .where(Complaint.created_at >= start, Complaint.created_at < end)
    ):
        for share in period.both(engineer):
            share.complaints += 1
    if completed:
        ids = select(done.id).where(completed_in)
        for engineer, billing, amount in await _parts_billed(session, ids):
            for share in period.both(engineer, asked=False):
                share.costs[billing] += amount
    return period


async def _repeats(
    session: AsyncSession,
    fixed: Sequence[tuple[str, str, datetime]],
    done: Any,
    completed_in: ColumnElement[bool],
) -> set[str]:
    """The fixed jobs that were no first-time fix. The jobs are chosen again in SQL (``done``,
    ``completed_in``), not sent as a list: a year's list passed PostgreSQL's 32,767
    parameters."""
    # A repeat: another job on the same asset reported within 30 days after the fix. A
    # cancelled one (a duplicate report, a call withdrawn) was no visit, and repeats nothing.
    later = await session.execute(
        select(_text(Job.id, "id"), _text(Job.asset_id, "asset_id"), Job.reported_at).where(
            Job.asset_id.in_(select(done.asset_id).where(completed_in)),
            Job.reported_at > min(at for _, _, at in fixed),
            Job.status != JobStatus.CANCELLED,
        )
    )
    by_asset: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for ident, asset_id, reported_at in later:
        if asset_id is not None:
            by_asset[asset_id].append((ident, reported_at))
    repeats = {
        ident
        for ident, asset, at in fixed
        if any(
            other != ident and at < seen <= at + REPEAT_WINDOW for other, seen in by_asset[asset]
        )
    }
    # Reopened after an unsatisfied call-back (重新派修): the same job's new visit is a
    # repeat too. Reopening, and nothing else, sets the visit's signatures aside.
    with_asset = {ident for ident, _, _ in fixed}
    reopened = await session.scalars(
        select(_text(Signature.job_id, "job_id"))
        .where(
            Signature.job_id.in_(select(done.id).where(completed_in)),
            Signature.superseded_at.is_not(None),
        )
        .distinct()
    )
    return repeats | (set(reopened) & with_asset)


async def _parts_billed(
    session: AsyncSession, jobs: Select[Any]
) -> list[tuple[str | None, Billing, Decimal]]:
    """(engineer, billing, amount) of the part lines of ``jobs`` (a query of their ids) as
    their settlements bill them, so the period adds up to what the statements show: a settled
    job's frozen part lines, else its part lines not removed, each amount half up to the fen,
    with a supervisor's reclassification (改判) applied.

    The engineer is read as text (see :func:`_text`)."""
    settled = select(Settlement.job_id).where(
        Settlement.job_id.in_(jobs), Settlement.frozen_at.is_not(None)
    )
    engineer = _text(Job.assigned_engineer_id, "engineer")
    billed = [
        (text, billing, amount)
        for text, billing, amount in await session.execute(
            select(engineer, SettlementLine.billing, SettlementLine.amount)
            .join(Job, Job.id == SettlementLine.job_id)
            .where(SettlementLine.job_id.in_(settled), SettlementLine.kind == "part")
        )
    ]
    unsettled = and_(PartLine.job_id.in_(jobs), PartLine.job_id.not_in(settled))
    reclassified: dict[tuple[uuid.UUID, str], Billing] = {
        (job_id, key): billing
        for job_id, key, billing in await session.execute(
            select(SettlementLine.job_id, SettlementLine.key, SettlementLine.billing).where(
                SettlementLine.job_id.in_(jobs),
                SettlementLine.job_id.not_in(settled),
                SettlementLine.kind == "part",
            )
        )
    }
    for ident, job_id, text, quantity, unit_price, billing in await session.execute(
        select(
            PartLine.id,
            PartLine.job_id,
            engineer,
            PartLine.quantity,
            PartLine.unit_price,
            PartLine.billing,
        )
        .join(Job, Job.id == PartLine.job_id)
        .where(unsettled, PartLine.removed_at.is_(None))
    ):
        amount = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        billing = reclassified.get((job_id, str(ident)), billing)
        billed.append((text, billing, amount))
    return billed


def _kept(clocks: Iterable[tuple[datetime | None, datetime]], *, now: datetime) -> list[bool]:
    """Whether each (done, due) clock was kept: done by its due time. A clock still open past
    its due time is a miss already; one still open before it is not judged yet."""
    return [done <= due if done is not None else False for done, due in clocks if done or due < now]


def _figures(period: _Period, share: _Share, engineer_id: uuid.UUID | None, name: str) -> Figures:
    reported, completed = share.reported, share.completed
    return Figures(
        engineer_id=engineer_id,
        engineer_name=name,
        jobs_reported=len(reported),
        jobs_completed=len(completed),
        response_hours=_hours((j.reported_at, j.plan_given_at) for j in reported),
        to_site_hours=_hours((j.reported_at, j.arrived_at) for j in reported),
        to_fix_hours=_hours((j.arrived_at, j.completed_at) for j in completed),
        first_time_fix_rate=_rate(
            [j.id not in period.repeats for j in completed if j.asset_id is not None]
        ),
        plan_sla_rate=_rate(
            _kept(((j.plan_given_at, j.plan_due_at) for j in reported), now=period.now)
        ),
        site_sla_rate=_rate(
            _kept(((j.arrived_at, j.on_site_due_at) for j in reported), now=period.now)
        ),
        satisfaction_on_site=_mean(share.scores[SatisfactionSource.ON_SITE]),
        satisfaction_callback=_mean(share.scores[SatisfactionSource.CALLBACK]),
        complaints=share.complaints,
        parts_cost_warranty=str(share.costs[Billing.WARRANTY].quantize(CENT)),
        parts_cost_chargeable=str(share.costs[Billing.CHARGEABLE].quantize(CENT)),
    )


async def month_figures(
    session: AsyncSession, *, month: str, tz: str, now: datetime
) -> MonthFigures:
    """The figures of a month, a quarter or a year (``month``: see :data:`PERIOD`) for the
    department and for each engineer who had work in it."""
    start, end = period_bounds(month, tz)
    period = await _gather(session, start, end, now=now)
    # Whoever a figure of the period counts gets a row: a call-back rating or a complaint about
    # last month's job is this month's, and the engineer's, even without a job this month.
    engineers = {owner for owner in period.asked if owner is not None}
    named = await session.execute(select(User.id, User.display_name).where(User.id.in_(engineers)))
    names: dict[uuid.UUID, str] = {ident: name for ident, name in named}
    per = [
        _figures(period, period.shares[engineer], engineer, names.get(engineer, ""))
        for engineer in sorted(engineers, key=lambda e: (names.get(e, ""), e))
    ]
    if None in period.asked:
        # Jobs nobody was dispatched to (still waiting, or cancelled before), and complaints
        # about no engineer's job: a row of their own, last, so the rows add up to the total.
        per.append(_figures(period, period.shares[None], None, ""))
    return MonthFigures(month=month, total=_figures(period, period.total, None, ""), engineers=per)


COLUMNS = [
    ("engineer_name", "Engineer 工程师"),
    ("jobs_reported", "Jobs reported 报修数"),
    ("jobs_completed", "Jobs completed 完工数"),
    ("response_hours", "Response h 响应时长"),
    ("to_site_hours", "To site h 到场时长"),
    ("to_fix_hours", "To fix h 修复时长"),
    ("first_time_fix_rate", "First-time fix 一次修复率"),
    ("plan_sla_rate", "Plan SLA 24h 方案达标率"),
    ("site_sla_rate", "On-site SLA 到场达标率"),
    ("satisfaction_on_site", "Satisfaction on site 现场满意度"),
    ("satisfaction_callback", "Satisfaction call-back 回访满意度"),
    ("complaints", "Complaints 投诉"),
    ("parts_cost_warranty", "Parts in warranty 保内备件"),
    ("parts_cost_chargeable", "Parts chargeable 保外备件"),
]


def figures_xlsx(figures: MonthFigures) -> bytes:
    """The month's figures as a workbook: one row per engineer, then the department."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = figures.month
    sheet.append([title for _, title in COLUMNS])
    for row in [*figures.engineers, figures.total]:
        values: list[object] = []
        for name, _ in COLUMNS:
            value = getattr(row, name)
            if name.startswith("parts_cost"):
                value = float(value)
            values.append(value)
        if row is figures.total:
            values[0] = "Total 合计"
        elif row.engineer_id is None:
            values[0] = "No engineer 无工程师"
        sheet.append(values)
    return as_data(book)
