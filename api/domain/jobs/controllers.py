"""Routes of jobs: intake, dispatch, the list and the detail."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, count_rows
from api.domain.jobs import services
from api.domain.jobs.schemas import (
    AcceptIn,
    AssignIn,
    CancelIn,
    FaultIn,
    FollowUpIn,
    JobDetail,
    JobFilter,
    JobPatch,
    JobSummary,
    ReviewIn,
    ScheduleIn,
)
from api.guards import EVERYONE, OFFICE, allow
from api.http import Conflict, DomainError, Offset, Page, SearchText, job_status
from api.models import Job, Role
from api.security import Principal
from api.settings import Settings
from sync.rules.lifecycle import JobStatus
from sync.rules.sla import SlaState

CONFLICT = [NotFoundException, Conflict]


class JobController(Controller):
    """Jobs (工单). Engineers see only the jobs assigned to them; others' are 404."""

    path = "/api/jobs"
    tags = ["jobs"]

    @post(
        "/",
        opt=allow(*OFFICE),
        operation_id="registerFault",
        summary="Register a fault report (报修) from phone, web, e-mail or on site",
        raises=[NotFoundException],
    )
    async def register(
        self, data: FaultIn, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> JobDetail:
        cal = settings.calendar.calendar
        async with db.write(actor_id=me.user_id) as session:
            job = await services.register_fault(
                session, data, created_by=me.user_id, now=now, cal=cal
            )
            return await services.detail(session, job, now=now, cal=cal)

    @get(
        "/",
        opt=allow(*EVERYONE),
        operation_id="listJobs",
        summary="List jobs with filters; engineers get only their own",
    )
    async def list_jobs(
        self,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
        status: list[JobStatus] | None = None,
        engineer_id: uuid.UUID | None = None,
        unassigned: bool | None = None,
        customer_id: uuid.UUID | None = None,
        asset_id: uuid.UUID | None = None,
        sla: Annotated[
            SlaState | None, Parameter(description="ok, at_risk or breached (running clocks)")
        ] = None,
        reported_from: date | None = None,
        reported_to: date | None = None,
        q: SearchText = None,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Page[JobSummary]:
        if sla in (SlaState.MET, SlaState.MISSED):
            raise DomainError("the sla filter takes ok, at_risk or breached")
        cal = settings.calendar.calendar
        query = services.filtered_jobs(
            JobFilter(
                status=status,
                engineer_id=engineer_id,
                unassigned=unassigned,
                customer_id=customer_id,
                asset_id=asset_id,
                sla=sla,
                reported_from=reported_from,
                reported_to=reported_to,
                q=q,
            ),
            me=me,
            now=now,
            cal=cal,
        )
        async with db.read() as session:
            total = await count_rows(session, query)
            jobs = list(
                await session.scalars(
                    query.order_by(Job.reported_at.desc(), Job.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            )
            items = await services.summaries(session, jobs, now=now, cal=cal)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get(
        "/{job_id:uuid}",
        opt=allow(*EVERYONE),
        operation_id="getJob",
        summary="A job with everything on it and its full change history",
        raises=[NotFoundException],
    )
    async def get_job(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> JobDetail:
        async with db.read() as session:
            job = await services.get_visible_job(session, job_id, me)
            return await services.detail(
                session,
                job,
                now=now,
                cal=settings.calendar.calendar,
                for_engineer=me.role == Role.ENGINEER,
            )

    @patch(
        "/{job_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateJob",
        summary="Change the office's fields of a job (fault, urgency, contact, notes, plan)",
        description="Once the customer has signed, the fault, site and asset no longer change "
        "(409); notes, contact and urgency still may.",
        raises=CONFLICT,
    )
    async def update_job(
        self,
        job_id: uuid.UUID,
        data: JobPatch,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.update_job(session, job, data)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/accept",
        opt=allow(*OFFICE),
        operation_id="acceptJob",
        summary="Accept a reported job with a handling plan (受理)",
        raises=CONFLICT,
        status_code=200,
    )
    async def accept(
        self,
        job_id: uuid.UUID,
        data: AcceptIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(_: AsyncSession, job: Job) -> None:
            services.accept(job, handling_plan=data.handling_plan, me=me, now=now)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/assign",
        opt=allow(*OFFICE),
        operation_id="assignJob",
        summary="Dispatch (派工) or reassign a job to an engineer",
        raises=CONFLICT,
        status_code=200,
    )
    async def assign(
        self,
        job_id: uuid.UUID,
        data: AssignIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.assign(
                session,
                job,
                engineer_id=data.engineer_id,
                scheduled_at=data.scheduled_at,
                handling_plan=data.handling_plan,
                me=me,
                now=now,
            )

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/schedule",
        opt=allow(*OFFICE),
        operation_id="scheduleJob",
        summary="Set or clear the planned visit time",
        raises=CONFLICT,
        status_code=200,
    )
    async def schedule(
        self,
        job_id: uuid.UUID,
        data: ScheduleIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(_: AsyncSession, job: Job) -> None:
            if job.status in services.STOPPED:
                raise job_status(f"a {job.status} job cannot be scheduled", job.status)
            job.scheduled_at = data.scheduled_at

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/cancel",
        opt=allow(*OFFICE),
        operation_id="cancelJob",
        summary="Cancel a job not yet completed on site",
        raises=CONFLICT,
        status_code=200,
    )
    async def cancel(
        self,
        job_id: uuid.UUID,
        data: CancelIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(_: AsyncSession, job: Job) -> None:
            services.cancel(job, reason=data.reason, me=me, now=now)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/review",
        opt=allow(Role.SUPERVISOR),
        operation_id="reviewJob",
        summary="Approve a signed service record, or send it back with a reason (主管审核)",
        raises=CONFLICT,
        status_code=200,
    )
    async def review(
        self,
        job_id: uuid.UUID,
        data: ReviewIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(_: AsyncSession, job: Job) -> None:
            approve = data.decision == "approve"
            services.review(job, approve=approve, note=data.note, me=me, now=now)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/settle",
        opt=allow(*OFFICE),
        operation_id="settleJob",
        summary="Settle a reviewed job (结算); the call-back clock starts",
        raises=CONFLICT,
        status_code=200,
    )
    async def settle(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.settle(
                session,
                job,
                me=me,
                now=now,
                cal=settings.calendar.calendar,
                rates=settings.settlement,
            )

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/follow-up",
        opt=allow(*OFFICE),
        operation_id="followUpJob",
        summary="Record the call-back (回访); an unsatisfied customer reopens the job",
        raises=CONFLICT,
        status_code=200,
    )
    async def follow_up(
        self,
        job_id: uuid.UUID,
        data: FollowUpIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.follow_up(
                session,
                job,
                score=data.score,
                remarks=data.remarks,
                satisfied=data.satisfied,
                me=me,
                now=now,
            )

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/close",
        opt=allow(*OFFICE),
        operation_id="closeJob",
        summary="Close a followed-up job (关闭)",
        raises=CONFLICT,
        status_code=200,
    )
    async def close(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.close(session, job, me=me, now=now)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)

    @post(
        "/{job_id:uuid}/uncancel",
        opt=allow(*OFFICE),
        operation_id="uncancelJob",
        summary="Undo a cancellation made in error; the job goes back to accepted",
        raises=CONFLICT,
        status_code=200,
    )
    async def uncancel(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> JobDetail:
        async def change(session: AsyncSession, job: Job) -> None:
            await services.uncancel(session, job, me=me, now=now)

        return await _change_job(db, job_id, change, me=me, now=now, settings=settings)


JobChange = Callable[[AsyncSession, Job], Awaitable[None]]
"""One office action on a job, run inside the write transaction with the job locked."""


async def _change_job(
    db: Database,
    job_id: uuid.UUID,
    change: JobChange,
    *,
    me: Principal,
    now: datetime,
    settings: Settings,
) -> JobDetail:
    """Open the job for update (404 when ``me`` may not see it), apply ``change``, and answer
    with the job's detail as committed."""
    async with db.write(actor_id=me.user_id) as session:
        job = await services.get_visible_job(session, job_id, me, for_update=True)
        await change(session, job)
        await session.flush()
        return await services.detail(session, job, now=now, cal=settings.calendar.calendar)
