"""Routes of jobs: intake, dispatch, the list and the detail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from api.db import Database, count_rows
from api.domain.jobs import services
from api.domain.jobs.schemas import (
    AcceptIn,
    AssignIn,
    CancelIn,
    FaultIn,
    JobDetail,
    JobFilter,
    JobPatch,
    JobSummary,
    ScheduleIn,
)
from api.guards import EVERYONE, OFFICE, allow
from api.http import Conflict, DomainError, Offset, Page, SearchText, apply_patch
from api.models import Asset, Job, Site
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
            job = await services.register_fault(session, data, me=me, now=now, cal=cal)
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
                    query.order_by(Job.reported_at.desc(), Job.id).offset(offset).limit(limit)
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
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)

    @patch(
        "/{job_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateJob",
        summary="Change the office's fields of a job (fault, urgency, contact, notes, plan)",
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
        async with db.write(actor_id=me.user_id) as session:
            job = await services.get_visible_job(session, job_id, me, for_update=True)
            if job.status in services.STOPPED:
                raise Conflict(f"a {job.status} job cannot be changed")
            changed = apply_patch(job, data)
            if job.asset_id is not None and changed.keys() & {"asset_id", "site_id"}:
                asset = await session.get(Asset, job.asset_id)
                if asset is None or asset.customer_id != job.customer_id:
                    raise DomainError("the asset does not belong to this job's customer")
                job.site_id = asset.site_id
            elif job.site_id is not None and "site_id" in changed:
                site = await session.get(Site, job.site_id)
                if site is None or site.customer_id != job.customer_id:
                    raise DomainError("the site does not belong to this job's customer")
            await session.flush()
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)

    @post(
        "/{job_id:uuid}/accept",
        opt=allow(*OFFICE),
        operation_id="acceptJob",
        summary="Accept a report with a handling plan (受理)",
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
        async with db.write(actor_id=me.user_id) as session:
            job = await services.get_visible_job(session, job_id, me, for_update=True)
            services.accept(job, handling_plan=data.handling_plan, me=me, now=now)
            await session.flush()
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)

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
        async with db.write(actor_id=me.user_id) as session:
            job = await services.get_visible_job(session, job_id, me, for_update=True)
            await services.assign(
                session,
                job,
                engineer_id=data.engineer_id,
                scheduled_at=data.scheduled_at,
                handling_plan=data.handling_plan,
                me=me,
                now=now,
            )
            await session.flush()
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)

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
        async with db.write(actor_id=me.user_id) as session:
            job = await services.get_visible_job(session, job_id, me, for_update=True)
            if job.status in services.STOPPED:
                raise Conflict(f"a {job.status} job cannot be scheduled")
            job.scheduled_at = data.scheduled_at
            await session.flush()
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)

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
        async with db.write(actor_id=me.user_id) as session:
            job = await services.get_visible_job(session, job_id, me, for_update=True)
            services.cancel(job, reason=data.reason, me=me, now=now)
            await session.flush()
            return await services.detail(session, job, now=now, cal=settings.calendar.calendar)
