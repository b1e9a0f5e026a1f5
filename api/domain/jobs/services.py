"""Jobs: fault intake, dispatch, cancellation, visibility, the list and the detail."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from api.db import count_rows
from api.domain.customers.services import asset_out, customer_out, site_out
from api.domain.jobs.schemas import (
    FaultIn,
    HistoryOut,
    JobDetail,
    JobFilter,
    JobPatch,
    JobSummary,
    NoteOut,
    PartLineOut,
    PhotoOut,
    ReceiptOut,
    SatisfactionOut,
    SignatureOut,
    SlaOut,
    TripEventOut,
    VisitOut,
)
from api.domain.reports.content import content_input
from api.domain.settlement.services import freeze as freeze_settlement
from api.error_codes import ErrorCode
from api.feed import announce
from api.http import (
    Conflict,
    DomainError,
    apply_patch,
    check_version,
    job_status,
    not_found,
    patch_fields,
    text_search,
)
from api.media.access import photos_with_bytes
from api.models import (
    Asset,
    Assignment,
    AuditLog,
    BlobInfo,
    Complaint,
    Customer,
    Job,
    Note,
    Part,
    PartLine,
    Photo,
    RepairReceipt,
    Report,
    Role,
    Satisfaction,
    SatisfactionSource,
    Signature,
    SignerRole,
    Site,
    TripEvent,
    User,
)
from api.numbers import next_number
from api.security import Principal
from api.settings import SettlementSettings
from pdf.canonical import content_sha256
from sync.rules import sla
from sync.rules.lifecycle import (
    SIGNED_OR_LATER,
    JobStatus,
    actor_for_role,
    check_transition,
)
from sync.rules.warranty import warranty_status

STOPPED = (JobStatus.CANCELLED, JobStatus.CLOSED)
"""Statuses whose SLA clocks no longer run."""

FROZEN_BY_SIGNATURE = ("fault_description", "site_id", "asset_id")
"""Office fields that the signed report shows, so the signature freezes them."""

JOB_NUMBER = re.compile(r"FS-\d{4}-\d{6}", re.IGNORECASE)
"""A whole job number, as :func:`api.numbers.next_number` makes them."""

EARLIEST_REPORT = datetime(2000, 1, 1, tzinfo=UTC)
"""No fault report is older than this; an earlier ``reported_at`` is a typing slip."""

EARLIER_VISITS = 20
"""Earlier jobs on the same asset that a job's detail lists (the newest)."""
OFFICE_HISTORY = ("settlements", "settlement_lines", "complaints")
"""Records only the office reads (their routes are staff only): their changes stay out of
the history an engineer sees with the job."""


def move(job: Job, target: JobStatus, me: Principal) -> None:
    """Move a job's status through the state machine, or raise ``TransitionError``."""
    check_transition(job.status, target, actor_for_role(me.role))
    job.status = target


def job_visible_to(me: Principal) -> ColumnElement[bool]:
    """The SQL condition of the jobs ``me`` may see: engineers only their assigned jobs."""
    if me.role == Role.ENGINEER:
        return Job.assigned_engineer_id == me.user_id
    return ~false()


async def get_visible_job(
    session: AsyncSession, job_id: uuid.UUID, me: Principal, *, for_update: bool = False
) -> Job:
    """The job, if ``me`` may see it; else 404 (never 403: others' jobs do not exist for them)."""
    query = select(Job).where(Job.id == job_id, job_visible_to(me))
    if for_update:
        query = query.with_for_update()
    job = (await session.execute(query)).scalar()
    if job is None:
        raise not_found("job")
    return job


async def register_fault(
    session: AsyncSession,
    data: FaultIn,
    *,
    created_by: uuid.UUID | None,
    now: datetime,
    cal: sla.WorkCalendar,
) -> Job:
    """Register a fault report: checks the customer, site and asset belong together, numbers
    the job and starts its SLA clocks."""
    customer = await session.get(Customer, data.customer_id)
    if customer is None:
        raise not_found("customer")
    site_id = data.site_id
    if data.asset_id is not None:
        asset = await session.get(Asset, data.asset_id)
        if asset is None or asset.customer_id != customer.id:
            raise DomainError(
                "the asset does not belong to this customer", code=ErrorCode.WRONG_CUSTOMER
            )
        if site_id is not None and asset.site_id != site_id:
            raise DomainError("the asset is not at this site", code=ErrorCode.WRONG_CUSTOMER)
        site_id = asset.site_id
    if site_id is not None:
        site = await session.get(Site, site_id)
        if site is None or site.customer_id != customer.id:
            raise DomainError(
                "the site does not belong to this customer", code=ErrorCode.WRONG_CUSTOMER
            )
    reported_at = data.reported_at or now
    if reported_at.tzinfo is None:
        raise DomainError("reported_at needs a time zone (e.g. 2026-11-26T09:30:00+08:00)")
    if reported_at > now + timedelta(minutes=5):
        raise DomainError("reported_at is in the future", code=ErrorCode.REPORTED_IN_FUTURE)
    if reported_at < EARLIEST_REPORT:
        raise DomainError(
            "reported_at is before 2000-01-01; check the year",
            code=ErrorCode.REPORTED_TOO_EARLY,
        )
    year = reported_at.astimezone(cal.tz).year
    job = Job(
        number=await next_number(session, "FS", year),
        customer_id=customer.id,
        site_id=site_id,
        asset_id=data.asset_id,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        channel=data.channel,
        fault_description=data.fault_description,
        urgency=data.urgency,
        status=JobStatus.REPORTED,
        office_notes=data.office_notes,
        reported_at=reported_at,
        created_by=created_by,
    )
    start_clocks(job, cal)
    session.add(job)
    await session.flush()
    return job


def start_clocks(job: Job, cal: sla.WorkCalendar) -> None:
    """Set the due and at-risk times of the plan and on-site clocks from ``reported_at``."""
    job.plan_due_at = sla.plan_due(job.reported_at)
    job.on_site_due_at = sla.on_site_due(job.reported_at, cal)
    job.plan_at_risk_at = sla.at_risk_from(job.reported_at, job.plan_due_at)
    job.on_site_at_risk_at = sla.at_risk_from(job.reported_at, job.on_site_due_at)


def start_callback_clock(job: Job, cal: sla.WorkCalendar) -> None:
    """Set the due and at-risk times of the call-back clock from ``settled_at``."""
    if job.settled_at is None:
        raise ValueError("the call-back clock starts when the job is settled")
    job.callback_due_at = sla.callback_due(job.settled_at, cal)
    job.callback_at_risk_at = sla.at_risk_from(job.settled_at, job.callback_due_at)


async def update_job(session: AsyncSession, job: Job, patch: JobPatch) -> None:
    """Change the office's fields of a job. Once the customer has signed, the fault, site and
    asset that the report shows stay as signed; notes, contact and urgency may still change."""
    check_version(job, patch)
    if job.status in STOPPED:
        raise job_status(f"a {job.status} job cannot be changed", job.status)
    fields = patch_fields(patch)
    if job.status in SIGNED_OR_LATER:
        frozen = [f for f in FROZEN_BY_SIGNATURE if f in fields and fields[f] != getattr(job, f)]
        if frozen:
            raise Conflict(
                f"the customer signed the report; {', '.join(frozen)} can no longer change "
                "(record corrections in office_notes)",
                code=ErrorCode.JOB_SIGNED,
                params={"fields": ", ".join(frozen)},
            )
    moving_from = (
        job.customer_id if fields.get("customer_id", job.customer_id) != job.customer_id else None
    )
    if moving_from is not None:
        await _check_move(session, job, fields)
    changed = apply_patch(job, patch)
    if moving_from is not None:
        await _moved(session, job, fields, moving_from)
    if job.asset_id is not None and changed.keys() & {"asset_id", "site_id"}:
        asset = await session.get(Asset, job.asset_id)
        if asset is None or asset.customer_id != job.customer_id:
            raise DomainError(
                "the asset does not belong to this job's customer", code=ErrorCode.WRONG_CUSTOMER
            )
        job.site_id = asset.site_id
    elif job.site_id is not None and "site_id" in changed:
        site = await session.get(Site, job.site_id)
        if site is None or site.customer_id != job.customer_id:
            raise DomainError(
                "the site does not belong to this job's customer", code=ErrorCode.WRONG_CUSTOMER
            )


async def _check_move(session: AsyncSession, job: Job, fields: dict[str, Any]) -> None:
    """Refuse to file ``job`` under another customer once the engineer has been on site (the
    phone may hold a signature not yet sent, over content naming this customer), once any
    customer has signed it (a visit set aside by a reopening too) or a report was made of it
    (its links and statements name the customer), or under a customer that does not exist."""
    signed = await session.scalar(
        select(Signature.id)
        .where(Signature.job_id == job.id, Signature.signer_role == SignerRole.CUSTOMER)
        .limit(1)
    )
    reported = await session.scalar(select(Report.id).where(Report.job_id == job.id).limit(1))
    if (
        job.status in SIGNED_OR_LATER
        or job.arrived_at is not None
        or signed is not None
        or reported is not None
    ):
        raise Conflict(
            "the engineer has been on site or the customer signed; the job stays with its "
            "customer (cancel it and register the fault under the right customer)",
            code=ErrorCode.JOB_SIGNED,
            params={"fields": "customer_id"},
        )
    if await session.get(Customer, fields["customer_id"]) is None:
        raise DomainError("customer_id does not name a customer", code=ErrorCode.MISSING_REFERENCE)


async def _moved(
    session: AsyncSession, job: Job, fields: dict[str, Any], old_customer: uuid.UUID
) -> None:
    """What follows a job filed under another customer: the old customer's site and equipment
    go unless the patch names the new one's; complaints about the job follow it; and the
    engineer's phone is sent the job again with its new customer's file (:func:`announce`)."""
    if "site_id" not in fields:
        job.site_id = None
    if "asset_id" not in fields:
        job.asset_id = None
    complaints = await session.scalars(
        select(Complaint).where(Complaint.job_id == job.id, Complaint.customer_id == old_customer)
    )
    for complaint in complaints:
        complaint.customer_id = job.customer_id
    current = await session.scalar(
        select(Assignment).where(Assignment.job_id == job.id, Assignment.ended_at.is_(None))
    )
    if current is not None:
        announce(session.sync_session, current)


async def assign(
    session: AsyncSession,
    job: Job,
    *,
    engineer_id: uuid.UUID,
    scheduled_at: datetime | None,
    handling_plan: str,
    me: Principal,
    now: datetime,
) -> None:
    """Dispatch or reassign a job to an active engineer."""
    engineer = await session.get(User, engineer_id)
    if engineer is None or engineer.role != Role.ENGINEER or not engineer.active:
        raise DomainError(
            "engineer_id does not name an active engineer", code=ErrorCode.NOT_AN_ENGINEER
        )
    if job.assigned_engineer_id == engineer_id and job.status in (
        JobStatus.EN_ROUTE,
        JobStatus.ON_SITE,
    ):
        # Back to "assigned" under the engineer's feet: their phone's next move (work done)
        # would clash with it. Nothing is to be dispatched; the visit is theirs already.
        raise Conflict(
            f"the job is {job.status} with this engineer already; to move the visit, "
            "change its schedule, or assign another engineer",
            code=ErrorCode.ALREADY_WITH_ENGINEER,
            params={"status": str(job.status)},
        )
    # Reassigning an assigned job keeps its status; every other start goes through the machine.
    if job.status != JobStatus.ASSIGNED:
        move(job, JobStatus.ASSIGNED, me)
    held = await session.scalar(
        select(Assignment.engineer_id).where(
            Assignment.job_id == job.id, Assignment.ended_at.is_(None)
        )
    )
    # A new assignment for another engineer, and for the same one whose assignment ended (a
    # satisfied call-back ends it; a complaint may then reopen the job): without one, the job
    # would never reach their phone again.
    if job.assigned_engineer_id != engineer_id or held != engineer_id:
        job.acknowledged_at = None
        await end_assignment(session, job, now=now)
        session.add(Assignment(job_id=job.id, engineer_id=engineer_id, assigned_at=now))
    job.assigned_engineer_id = engineer_id
    job.assigned_at = now
    if scheduled_at is not None:
        job.scheduled_at = scheduled_at
    if handling_plan and not job.handling_plan:
        job.handling_plan = handling_plan
    if job.plan_given_at is None:
        job.plan_given_at = now


async def end_assignment(session: AsyncSession, job: Job, *, now: datetime) -> None:
    """End the job's current assignment: it leaves that engineer's phone at the next sync."""
    current = await session.scalar(
        select(Assignment).where(Assignment.job_id == job.id, Assignment.ended_at.is_(None))
    )
    if current is not None:
        current.ended_at = now


def accept(job: Job, *, handling_plan: str, me: Principal, now: datetime) -> None:
    """The desk verified a reported job and gave a handling plan (受理)."""
    if job.status == JobStatus.CANCELLED:
        raise Conflict(
            "the job is cancelled; to take it up again, undo the cancellation",
            code=ErrorCode.JOB_CANCELLED,
        )
    if job.status != JobStatus.REPORTED:
        raise job_status(
            f"only a reported job can be accepted; this one is {job.status}", job.status
        )
    move(job, JobStatus.ACCEPTED, me)
    job.handling_plan = handling_plan
    if job.plan_given_at is None:
        job.plan_given_at = now


def cancel(job: Job, *, reason: str, me: Principal, now: datetime) -> None:
    """Cancel a job that has not been completed on site."""
    if job.status == JobStatus.CANCELLED:
        raise job_status("the job is already cancelled", job.status)
    move(job, JobStatus.CANCELLED, me)
    job.cancelled_at = now
    job.cancel_reason = reason


CANCELLED_STAYS = timedelta(days=3)
"""How long a cancelled job stays on its engineer's phone: long enough for them to see that
the office called it off (a weekend away included), after which it only takes up room."""

RETIRE_BATCH = 500
"""Assignments ended per transaction by :func:`retire_cancelled`."""


async def retire_cancelled(
    session: AsyncSession, *, now: datetime, keep: timedelta = CANCELLED_STAYS
) -> int:
    """End the open assignments of jobs cancelled more than ``keep`` ago (at most
    :data:`RETIRE_BATCH`); returns how many. Each leaves its engineer's phone at the next sync,
    as a closed job does. The job still names its engineer, so work queued for it on the phone
    arrives as before (kept, with a conflict), and :func:`uncancel` still takes it up again.

    Run by every app process (:class:`Housekeeping`); on PostgreSQL an assignment another
    process is ending is skipped, not waited for.
    """
    query = (
        select(Assignment)
        .join(Job, Job.id == Assignment.job_id)
        .where(
            Assignment.ended_at.is_(None),
            Job.status == JobStatus.CANCELLED,
            Job.cancelled_at <= now - keep,
        )
        .order_by(Assignment.id)
        .limit(RETIRE_BATCH)
        .with_for_update(of=Assignment, skip_locked=True)
    )
    retired = (await session.scalars(query)).all()
    for assignment in retired:
        assignment.ended_at = now
    await session.flush()
    return len(retired)


async def uncancel(session: AsyncSession, job: Job, *, me: Principal, now: datetime) -> None:
    """Undo a cancellation made in error: the job goes back to the desk as accepted, to be
    dispatched again (to the same engineer or another); until then it is nobody's, so it
    waits on the board and leaves the phone of the engineer who had it."""
    if job.status != JobStatus.CANCELLED:
        raise job_status(
            f"only a cancelled job can be taken up again; this one is {job.status}", job.status
        )
    move(job, JobStatus.ACCEPTED, me)
    job.cancelled_at = None
    job.cancel_reason = ""
    if job.assigned_engineer_id is not None:
        await end_assignment(session, job, now=now)
        job.assigned_engineer_id = None
        job.assigned_at = None
        job.acknowledged_at = None


# ---- after the visit: review, settlement, follow-up ---------------------------------------


def review(job: Job, *, approve: bool, note: str, me: Principal, now: datetime) -> None:
    """The supervisor approves a signed service record (主管审核) or sends it back.

    Sent back, the job returns to ``work_done`` and the reason goes to the engineer's phone with
    the job (``review_note``); the signed version stays on file.
    """
    if approve:
        if job.status != JobStatus.SIGNED:
            raise job_status(
                f"only a signed job can be approved; this one is {job.status}", job.status
            )
        move(job, JobStatus.REVIEWED, me)
        job.reviewed_at = now
    else:
        if not note.strip():
            raise DomainError(
                "say why the record goes back to the engineer", code=ErrorCode.REASON_NEEDED
            )
        if job.status != JobStatus.SIGNED:
            raise job_status(
                f"only a signed job can be sent back; this one is {job.status}", job.status
            )
        move(job, JobStatus.WORK_DONE, me)
    job.review_note = note


async def settle(
    session: AsyncSession,
    job: Job,
    *,
    me: Principal,
    now: datetime,
    cal: sla.WorkCalendar,
    rates: SettlementSettings,
) -> None:
    """Settle a reviewed job (结算): its settlement lines are frozen in the same transaction
    and the call-back clock starts."""
    if job.status != JobStatus.REVIEWED:
        raise job_status(
            f"only a reviewed job can be settled; this one is {job.status}", job.status
        )
    move(job, JobStatus.SETTLED, me)
    job.settled_at = now
    # Settled again after a reopened visit: a new call-back is owed.
    job.followed_up_at = None
    start_callback_clock(job, cal)
    await freeze_settlement(session, job, rates=rates, tz=cal.tz, now=now)


async def follow_up(
    session: AsyncSession,
    job: Job,
    *,
    score: int,
    remarks: str,
    satisfied: bool,
    me: Principal,
    now: datetime,
) -> None:
    """Record the call-back (回访): a satisfied customer ends the service, an unsatisfied one
    gets a new visit (重新派修, "until satisfied")."""
    if job.status not in (JobStatus.SETTLED, JobStatus.FOLLOWED_UP):
        raise job_status(f"only a settled job is called back; this one is {job.status}", job.status)
    if satisfied and job.status == JobStatus.FOLLOWED_UP:
        raise job_status("the call-back of this job is recorded already", job.status)
    move(job, JobStatus.FOLLOWED_UP if satisfied else JobStatus.REOPENED, me)
    session.add(
        Satisfaction(
            job_id=job.id,
            source=SatisfactionSource.CALLBACK,
            score=score,
            remarks=remarks,
            recorded_by=me.user_id,
            at=now,
        )
    )
    # Satisfied or not, the call-back was made: its clock stops.
    job.followed_up_at = now
    if satisfied:
        # The engineer's part is over: the job leaves their phone now, not when the desk gets
        # round to closing it (a year of jobs left unclosed was most of a phone's first sync).
        await end_assignment(session, job, now=now)
    else:
        # The new visit is signed afresh: the last visit's signatures are set aside (kept,
        # with their report, and shown as superseded), and the phone hears of it.
        current = await session.scalars(
            select(Signature).where(Signature.job_id == job.id, Signature.superseded_at.is_(None))
        )
        for signature in current:
            signature.superseded_at = now


async def close(session: AsyncSession, job: Job, *, me: Principal, now: datetime) -> None:
    """Close a followed-up job: nothing more is owed (关闭).

    Its assignment ended with the satisfied call-back (:func:`follow_up`; ended here should it
    still be open), so it has left the engineer's phone: a phone that kept every job its
    engineer ever did would fill up and pull ever more. The work stays on the server, and
    ``assigned_engineer_id`` still names who did it.
    """
    if job.status != JobStatus.FOLLOWED_UP:
        raise job_status(
            f"only a followed-up job can be closed; this one is {job.status}", job.status
        )
    move(job, JobStatus.CLOSED, me)
    job.closed_at = now
    await end_assignment(session, job, now=now)


# ---- the list -------------------------------------------------------------------------------


def _sla_conditions(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """SQL conditions (breached, at risk) over the stored due and at-risk times."""
    running = Job.status.not_in(STOPPED)
    plan_open = and_(running, Job.plan_given_at.is_(None))
    site_open = and_(running, Job.arrived_at.is_(None))
    call_open = and_(running, Job.settled_at.is_not(None), Job.followed_up_at.is_(None))
    breached = or_(
        and_(plan_open, Job.plan_due_at < now),
        and_(site_open, Job.on_site_due_at < now),
        and_(call_open, Job.callback_due_at < now),
    )
    risky = or_(
        and_(plan_open, Job.plan_at_risk_at <= now),
        and_(site_open, Job.on_site_at_risk_at <= now),
        and_(call_open, Job.callback_at_risk_at <= now),
    )
    return breached, and_(not_(breached), risky)


def _day_start(day: date, plus_days: int, cal: sla.WorkCalendar) -> datetime | None:
    """Local midnight ``plus_days`` after ``day``, in UTC; None past the calendar's ends
    (a filter from year 1 or to year 9999 is no bound at all)."""
    try:
        return datetime.combine(day + timedelta(days=plus_days), time.min, cal.tz).astimezone(UTC)
    except OverflowError:
        return None


def filtered_jobs(
    f: JobFilter, *, me: Principal, now: datetime, cal: sla.WorkCalendar
) -> Select[Job]:
    """The job query for a filter, limited to what ``me`` may see."""
    query = select(Job).where(job_visible_to(me))
    if f.status:
        query = query.where(Job.status.in_(f.status))
    if f.engineer_id is not None:
        query = query.where(Job.assigned_engineer_id == f.engineer_id)
    if f.unassigned is not None:
        held = Job.assigned_engineer_id
        query = query.where(held.is_(None) if f.unassigned else held.is_not(None))
    if f.customer_id is not None:
        query = query.where(Job.customer_id == f.customer_id)
    if f.asset_id is not None:
        query = query.where(Job.asset_id == f.asset_id)
    if f.reported_from is not None and (start := _day_start(f.reported_from, 0, cal)):
        query = query.where(Job.reported_at >= start)
    if f.reported_to is not None and (end := _day_start(f.reported_to, 1, cal)):
        query = query.where(Job.reported_at < end)
    if f.q and JOB_NUMBER.fullmatch(f.q.strip()):
        # A whole job number (read out on the phone, copied from a report): the one job, by its
        # unique index, not a scan of every job's texts (300 ms on a year's data).
        query = query.where(Job.number == f.q.strip().upper())
    elif f.q:
        query = query.join(Customer, Customer.id == Job.customer_id).where(
            text_search(f.q, Job.number, Job.fault_description, Customer.name, Job.contact_phone)
        )
    if f.sla is not None:
        breached, at_risk = _sla_conditions(now)
        match f.sla:
            case sla.SlaState.BREACHED:
                query = query.where(breached)
            case sla.SlaState.AT_RISK:
                query = query.where(at_risk)
            case sla.SlaState.OK:
                query = query.where(Job.status.not_in(STOPPED), not_(breached), not_(at_risk))
            case _:
                raise DomainError("sla filter takes ok, at_risk or breached")
    return query


def job_sla(job: Job, *, now: datetime, cal: sla.WorkCalendar) -> SlaOut:
    """The SLA clocks of a job from its stored due times, the same ones the list filters on
    (a later calendar change does not move them); a stopped job's open clocks are frozen at
    its stop time."""
    stop = job.cancelled_at or job.closed_at
    at = min(now, stop) if stop and job.status in STOPPED else now
    plan = sla.sla_state(
        started_at=job.reported_at, due_at=job.plan_due_at, done_at=job.plan_given_at, now=at
    )
    on_site = sla.sla_state(
        started_at=job.reported_at, due_at=job.on_site_due_at, done_at=job.arrived_at, now=at
    )
    callback_due: datetime | None = None
    callback: sla.SlaState | None = None
    if job.settled_at is not None:
        # A settled job has its call-back clock stored; a row settled before that was kept
        # gets it worked out the same way.
        callback_due = job.callback_due_at or sla.callback_due(job.settled_at, cal)
        callback = sla.sla_state(
            started_at=job.settled_at, due_at=callback_due, done_at=job.followed_up_at, now=at
        )
    return SlaOut(
        plan_due=job.plan_due_at,
        on_site_due=job.on_site_due_at,
        callback_due=callback_due,
        plan=plan,
        on_site=on_site,
        callback=callback,
        worst=sla.worst_state((plan, on_site, callback)),
    )


async def summaries(
    session: AsyncSession, jobs: list[Job], *, now: datetime, cal: sla.WorkCalendar
) -> list[JobSummary]:
    """List entries for jobs, with names looked up in two queries."""
    customers = {
        c.id: c.name
        for c in await session.scalars(
            select(Customer).where(Customer.id.in_({j.customer_id for j in jobs}))
        )
    }
    site_ids = {j.site_id for j in jobs if j.site_id}
    sites = {s.id: s.name for s in await session.scalars(select(Site).where(Site.id.in_(site_ids)))}
    eng_ids = {j.assigned_engineer_id for j in jobs if j.assigned_engineer_id}
    engineers = {
        u.id: u.display_name
        for u in await session.scalars(select(User).where(User.id.in_(eng_ids)))
    }
    return [
        JobSummary(
            id=j.id,
            number=j.number,
            status=j.status,
            urgency=j.urgency,
            channel=j.channel,
            customer_id=j.customer_id,
            customer_name=customers.get(j.customer_id, ""),
            site_id=j.site_id,
            site_name=sites.get(j.site_id) if j.site_id else None,
            asset_id=j.asset_id,
            assigned_engineer_id=j.assigned_engineer_id,
            engineer_name=engineers.get(j.assigned_engineer_id) if j.assigned_engineer_id else None,
            fault_description=j.fault_description,
            reported_at=j.reported_at,
            scheduled_at=j.scheduled_at,
            sla=job_sla(j, now=now, cal=cal),
            version=j.version,
            updated_at=j.updated_at,
        )
        for j in jobs
    ]


# ---- the detail -----------------------------------------------------------------------------


async def _photos(
    session: AsyncSession, job_id: uuid.UUID, *, removed: bool = False
) -> list[PhotoOut]:
    """The job's photos (or those taken off it), each with whether its bytes are in and its
    copies' hashes."""
    gone = Photo.removed_at.is_not(None) if removed else Photo.removed_at.is_(None)
    photos = list(
        await session.scalars(
            select(Photo).where(Photo.job_id == job_id, gone).order_by(Photo.created_at)
        )
    )
    hashes = [p.blob_sha256 for p in photos]
    # Bytes count for a record only when its author sent them (docs/media.md).
    with_bytes = await photos_with_bytes(session, photos)
    stored = {
        b.sha256: b
        for b in await session.scalars(select(BlobInfo).where(BlobInfo.sha256.in_(hashes)))
    }
    copies: dict[tuple[str, str], str] = {
        (b.original_sha256 or "", b.variant): b.sha256
        for b in await session.scalars(select(BlobInfo).where(BlobInfo.original_sha256.in_(hashes)))
    }
    out = []
    for p in photos:
        blob = stored.get(p.blob_sha256) if p.id in with_bytes else None
        out.append(
            PhotoOut(
                id=p.id,
                category=p.category.value,
                caption=p.caption,
                blob_sha256=p.blob_sha256,
                uploaded=blob is not None,
                screen_sha256=copies.get((p.blob_sha256, "screen")) if blob else None,
                thumb_sha256=copies.get((p.blob_sha256, "thumb")) if blob else None,
                taken_at=p.taken_at,
                latitude=p.latitude,
                longitude=p.longitude,
                state=blob.state if blob else "uploading",
                error=blob.error if blob else "",
                removed_at=p.removed_at,
            )
        )
    return out


async def detail(
    session: AsyncSession,
    job: Job,
    *,
    now: datetime,
    cal: sla.WorkCalendar,
    for_engineer: bool = False,
) -> JobDetail:
    """Everything about a job, with its change history (for an engineer, without the
    office's records: the settlement and complaints)."""
    (summary,) = await summaries(session, [job], now=now, cal=cal)
    customer = await session.get(
        Customer, job.customer_id, options=[selectinload(Customer.contacts)]
    )
    if customer is None:  # a foreign key guarantees it; this only satisfies the type checker
        raise not_found("customer")
    site = await session.get(Site, job.site_id) if job.site_id else None
    asset = await session.get(Asset, job.asset_id) if job.asset_id else None
    today = now.astimezone(cal.tz).date()
    lines = await session.execute(
        select(PartLine, Part)
        .join(Part, Part.id == PartLine.part_id)
        .where(PartLine.job_id == job.id, PartLine.removed_at.is_(None))
        .order_by(PartLine.created_at)
    )
    actor = aliased(User)
    changes = (
        select(AuditLog, actor.display_name)
        .outerjoin(actor, actor.id == AuditLog.actor_id)
        .where(AuditLog.job_id == job.id)
    )
    if for_engineer:
        changes = changes.where(AuditLog.entity.not_in(OFFICE_HISTORY))
    history = await session.execute(changes.order_by(AuditLog.at, AuditLog.id))
    earlier: list[Job] = []
    earlier_total = 0
    if job.asset_id is not None:
        others = select(Job).where(Job.asset_id == job.asset_id, Job.id != job.id)
        earlier = list(
            await session.scalars(
                others.order_by(Job.reported_at.desc(), Job.id.desc()).limit(EARLIER_VISITS)
            )
        )
        earlier_total = (
            len(earlier) if len(earlier) < EARLIER_VISITS else await count_rows(session, others)
        )
    return JobDetail(
        job=summary,
        contact_name=job.contact_name,
        contact_phone=job.contact_phone,
        handling_plan=job.handling_plan,
        office_notes=job.office_notes,
        cancel_reason=job.cancel_reason,
        review_note=job.review_note,
        diagnosis=job.diagnosis,
        cause=job.cause,
        work_done=job.work_done,
        advice=job.advice,
        plan_given_at=job.plan_given_at,
        assigned_at=job.assigned_at,
        acknowledged_at=job.acknowledged_at,
        arrived_at=job.arrived_at,
        completed_at=job.completed_at,
        signed_at=job.signed_at,
        reviewed_at=job.reviewed_at,
        settled_at=job.settled_at,
        followed_up_at=job.followed_up_at,
        closed_at=job.closed_at,
        cancelled_at=job.cancelled_at,
        customer=customer_out(customer),
        site=site_out(site) if site else None,
        asset=asset_out(asset, today=today) if asset else None,
        warranty_on_report_date=(
            warranty_status(asset.warranty_end, job.reported_at.astimezone(cal.tz).date()).value
            if asset
            else None
        ),
        part_lines=[
            PartLineOut(
                id=line.id,
                part_id=part.id,
                code=part.code,
                name=part.name,
                name_en=part.name_en,
                unit=part.unit,
                unit_en=part.unit_en,
                quantity=line.quantity,
                unit_price=line.unit_price,
                billing=line.billing,
                source=line.source,
                note=line.note,
            )
            for line, part in lines.all()
        ],
        trip=[
            TripEventOut(
                id=t.id,
                kind=t.kind,
                engineer_id=t.engineer_id,
                device_time=t.device_time,
                server_time=t.server_time,
                latitude=t.latitude,
                longitude=t.longitude,
            )
            for t in await session.scalars(
                select(TripEvent).where(TripEvent.job_id == job.id).order_by(TripEvent.server_time)
            )
        ],
        notes=[
            NoteOut(id=n.id, author_id=n.author_id, body=n.body, created_at=n.created_at)
            for n in await session.scalars(
                select(Note).where(Note.job_id == job.id).order_by(Note.created_at)
            )
        ],
        satisfaction=[
            SatisfactionOut(
                id=s.id, source=s.source.value, score=s.score, remarks=s.remarks, at=s.at
            )
            for s in await session.scalars(
                select(Satisfaction).where(Satisfaction.job_id == job.id).order_by(Satisfaction.at)
            )
        ],
        photos=await _photos(session, job.id),
        removed_photos=await _photos(session, job.id, removed=True),
        content_sha256=content_sha256(await content_input(session, job)),
        signatures=[
            SignatureOut(
                id=g.id,
                signer_role=g.signer_role.value,
                signer_name=g.signer_name,
                png_sha256=g.png_sha256,
                content_sha256=g.content_sha256,
                device_time=g.device_time,
                server_time=g.server_time,
                latitude=g.latitude,
                longitude=g.longitude,
                superseded_at=g.superseded_at,
            )
            for g in await session.scalars(
                select(Signature).where(Signature.job_id == job.id).order_by(Signature.server_time)
            )
        ],
        receipts=[
            ReceiptOut(
                id=r.id,
                number=r.number,
                item_description=r.item_description,
                serial=r.serial,
                fault=r.fault,
                accessories=r.accessories,
                status=r.status.value,
                taken_at=r.taken_at,
                promised_at=r.promised_at,
                returned_at=r.returned_at,
            )
            for r in await session.scalars(
                select(RepairReceipt).where(RepairReceipt.job_id == job.id)
            )
        ],
        earlier_visits=[
            VisitOut(
                id=e.id,
                number=e.number,
                status=e.status,
                reported_at=e.reported_at,
                completed_at=e.completed_at,
                fault_description=e.fault_description,
                work_done=e.work_done,
            )
            for e in earlier
        ],
        earlier_visits_total=earlier_total,
        history=[
            HistoryOut(
                at=a.at,
                actor_id=a.actor_id,
                actor_name=name,
                entity=a.entity,
                entity_id=a.entity_id,
                action=a.action,
                before=a.before,
                after=a.after,
            )
            for a, name in history.all()
        ],
    )
