"""Routes of the office after the visit: review queue, call list, complaints, figures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from api.db import Database
from api.domain.office import services
from api.domain.office.schemas import (
    CallItem,
    ComplaintIn,
    ComplaintOut,
    ComplaintPatch,
    MonthFigures,
    ReviewItem,
)
from api.guards import OFFICE, STAFF, allow
from api.http import Offset, Page
from api.models import ComplaintSeverity, ComplaintStatus, Role
from api.security import Principal
from api.settings import Settings

Period = Annotated[
    str,
    Parameter(
        pattern=r"^\d{4}(-\d{2}|-Q[1-4])?$",
        description="a month YYYY-MM, a quarter YYYY-Q1 … YYYY-Q4, or a year YYYY",
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class QueueController(Controller):
    """The office's work queues after the visit."""

    path = "/api/queues"
    tags = ["office"]

    @get(
        "/review",
        opt=allow(Role.SUPERVISOR, Role.QUALITY, Role.ADMIN),
        operation_id="reviewQueue",
        summary="Jobs completed on site waiting for the supervisor (主管审核), with flags",
    )
    async def review(self, db: Database) -> list[ReviewItem]:
        async with db.read() as session:
            return await services.review_queue(session)

    @get(
        "/calls",
        opt=allow(*OFFICE),
        operation_id="callList",
        summary="Settled jobs to call back (回访), the most urgent first",
    )
    async def calls(self, db: Database, now: datetime) -> list[CallItem]:
        async with db.read() as session:
            return await services.call_list(session, now=now)


class ComplaintController(Controller):
    """Complaints (投诉): recorded, owned, handled by a deadline, serious ones escalated."""

    path = "/api/complaints"
    tags = ["office"]

    @post(
        "/",
        opt=allow(*OFFICE),
        operation_id="createComplaint",
        summary="Record a complaint; a serious one is escalated to the director at once",
    )
    async def create(
        self, data: ComplaintIn, db: Database, me: Principal, now: datetime
    ) -> ComplaintOut:
        async with db.write(actor_id=me.user_id) as session:
            complaint = await services.create_complaint(session, data, now=now)
            _, name = await services.complaint_with_customer(session, complaint.id)
            return services.complaint_out(complaint, name, now=now)

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listComplaints",
        summary="A page of complaints, newest first, with filters and the total",
    )
    async def list_complaints(
        self,
        db: Database,
        now: datetime,
        status: ComplaintStatus | None = None,
        severity: ComplaintSeverity | None = None,
        owner_id: uuid.UUID | None = None,
        job_id: uuid.UUID | None = None,
        escalated: bool | None = None,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=200, description="Rows per page")] = 50,
    ) -> Page[ComplaintOut]:
        query = services.filtered_complaints(
            status=status, severity=severity, owner_id=owner_id, job_id=job_id, escalated=escalated
        )
        async with db.read() as session:
            return await services.complaint_page(
                session, query, now=now, limit=limit, offset=offset
            )

    @get(
        "/{complaint_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getComplaint",
        summary="One complaint",
        raises=[NotFoundException],
    )
    async def get_complaint(
        self, complaint_id: uuid.UUID, db: Database, now: datetime
    ) -> ComplaintOut:
        async with db.read() as session:
            complaint, name = await services.complaint_with_customer(session, complaint_id)
            return services.complaint_out(complaint, name, now=now)

    @patch(
        "/{complaint_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateComplaint",
        summary="Change a complaint's owner, deadline, severity or status; resolve it",
        raises=[NotFoundException],
    )
    async def update(
        self,
        complaint_id: uuid.UUID,
        data: ComplaintPatch,
        db: Database,
        me: Principal,
        now: datetime,
    ) -> ComplaintOut:
        async with db.write(actor_id=me.user_id) as session:
            complaint, name = await services.complaint_with_customer(
                session, complaint_id, for_update=True
            )
            await services.update_complaint(session, complaint, data, now=now)
            await session.flush()
            return services.complaint_out(complaint, name, now=now)

    @post(
        "/{complaint_id:uuid}/escalate",
        opt=allow(*OFFICE),
        operation_id="escalateComplaint",
        summary="Escalate a complaint to the director (总监 / 副总)",
        raises=[NotFoundException],
        status_code=200,
    )
    async def escalate(
        self, complaint_id: uuid.UUID, db: Database, me: Principal, now: datetime
    ) -> ComplaintOut:
        async with db.write(actor_id=me.user_id) as session:
            complaint, name = await services.complaint_with_customer(
                session, complaint_id, for_update=True
            )
            services.escalate(complaint, now=now)
            await session.flush()
            return services.complaint_out(complaint, name, now=now)


class FiguresController(Controller):
    """The figures of a month, a quarter or a year (统计 / 考核); definitions in
    docs/figures.md."""

    path = "/api/figures"
    tags = ["office"]

    @get(
        "/{month:str}",
        opt=allow(*STAFF),
        operation_id="monthFigures",
        summary="A month's, quarter's or year's figures for the department and each engineer",
    )
    async def month(
        self, month: Period, db: Database, settings: Settings, now: datetime
    ) -> MonthFigures:
        async with db.read() as session:
            return await services.month_figures(
                session, month=month, tz=settings.calendar.timezone, now=now
            )

    @get(
        "/{month:str}/xlsx",
        opt=allow(*STAFF),
        operation_id="monthFiguresXlsx",
        summary="A month's, quarter's or year's figures as an Excel workbook",
        media_type=XLSX,
    )
    async def month_xlsx(
        self, month: Period, db: Database, settings: Settings, now: datetime
    ) -> Response[bytes]:
        async with db.read() as session:
            figures = await services.month_figures(
                session, month=month, tz=settings.calendar.timezone, now=now
            )
        return Response(
            services.figures_xlsx(figures),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="figures-{month}.xlsx"'},
        )
