"""Routes of the settlement (结算): a job's lines, labour hours, reclassification, the
statement as PDF and XLSX, and the month's van stock reconciliation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import anyio.to_thread
from litestar import Controller, Response, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.domain.jobs.services import get_visible_job
from api.domain.settlement import services
from api.domain.settlement.schemas import (
    ReclassifyIn,
    ReconciliationRow,
    SettlementOut,
    SettlementPatch,
)
from api.domain.settlement.statement import StatementInfo, statement_pdf, statement_xlsx
from api.guards import OFFICE, STAFF, allow
from api.http import Conflict
from api.models import Asset, Job, Report, ReportStatus, Role, Site
from api.security import Principal
from api.settings import Settings

Month = Annotated[str, Parameter(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
LineKey = Annotated[
    str,
    Parameter(
        max_length=40, description="The part line id, or labour or callout", pattern=r"^[\w-]+$"
    ),
]
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHANGE_ERRORS = [NotFoundException, Conflict]


async def _answer(session: AsyncSession, job: Job, settings: Settings) -> SettlementOut:
    return await services.settlement_out(
        session, job, rates=settings.settlement, tz=settings.calendar.calendar.tz
    )


class SettlementController(Controller):
    """A job's settlement: warranty and chargeable lines, frozen when the job is settled."""

    path = "/api/jobs/{job_id:uuid}/settlement"
    tags = ["settlement"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="getSettlement",
        summary="A job's settlement (结算): lines, totals and the van check",
        raises=[NotFoundException],
    )
    async def get_settlement(
        self, job_id: uuid.UUID, db: Database, me: Principal, settings: Settings
    ) -> SettlementOut:
        async with db.read() as session:
            job = await get_visible_job(session, job_id, me)
            return await _answer(session, job, settings)

    @patch(
        "/",
        opt=allow(*OFFICE),
        operation_id="updateSettlement",
        summary="Set a job's labour hours (null: back to the on-site time); 409 once settled",
        raises=CHANGE_ERRORS,
    )
    async def update_settlement(
        self,
        job_id: uuid.UUID,
        data: SettlementPatch,
        db: Database,
        me: Principal,
        settings: Settings,
    ) -> SettlementOut:
        async with db.write(actor_id=me.user_id) as session:
            job = await get_visible_job(session, job_id, me, for_update=True)
            await services.update_settlement(session, job, data)
            await session.flush()
            return await _answer(session, job, settings)

    @post(
        "/lines/{key:str}/reclassify",
        opt=allow(Role.SUPERVISOR),
        operation_id="reclassifySettlementLine",
        summary="Bill one line as warranty or chargeable, with a reason; 409 once settled",
        raises=CHANGE_ERRORS,
        status_code=200,
    )
    async def reclassify(
        self,
        job_id: uuid.UUID,
        key: LineKey,
        data: ReclassifyIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
    ) -> SettlementOut:
        async with db.write(actor_id=me.user_id) as session:
            job = await get_visible_job(session, job_id, me, for_update=True)
            await services.reclassify(
                session,
                job,
                key=key,
                billing=data.billing,
                reason=data.reason,
                me=me.user_id,
                now=now,
                rates=settings.settlement,
                tz=settings.calendar.calendar.tz,
            )
            await session.flush()
            return await _answer(session, job, settings)

    @get(
        "/statement.pdf",
        opt=allow(*STAFF),
        operation_id="settlementStatementPdf",
        summary="The settlement statement (结算单) as PDF",
        media_type=PDF,
        raises=[NotFoundException],
    )
    async def statement_pdf(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> Response[bytes]:
        settlement, info = await _statement(db, job_id, me, now, settings)
        body = await anyio.to_thread.run_sync(statement_pdf, settlement, info)
        return _file(body, PDF, f"statement-{settlement.number}.pdf")

    @get(
        "/statement.xlsx",
        opt=allow(*STAFF),
        operation_id="settlementStatementXlsx",
        summary="The settlement statement (结算单) as an Excel workbook",
        media_type=XLSX,
        raises=[NotFoundException],
    )
    async def statement_xlsx(
        self, job_id: uuid.UUID, db: Database, me: Principal, now: datetime, settings: Settings
    ) -> Response[bytes]:
        settlement, info = await _statement(db, job_id, me, now, settings)
        body = await anyio.to_thread.run_sync(statement_xlsx, settlement, info)
        return _file(body, XLSX, f"statement-{settlement.number}.xlsx")


async def _statement(
    db: Database, job_id: uuid.UUID, me: Principal, now: datetime, settings: Settings
) -> tuple[SettlementOut, StatementInfo]:
    async with db.read() as session:
        job = await get_visible_job(session, job_id, me)
        settlement = await _answer(session, job, settings)
        site = await session.get(Site, job.site_id) if job.site_id else None
        asset = await session.get(Asset, job.asset_id) if job.asset_id else None
        report = await session.scalar(
            select(Report)
            .where(Report.job_id == job.id, Report.status == ReportStatus.ISSUED)
            .order_by(Report.revision.desc())
            .limit(1)
        )
    info = StatementInfo(
        company=settings.company,
        currency=settings.report.currency,
        site=f"{site.name} {site.address}".strip() if site else "",
        asset=_asset_text(asset),
        printed_at=now,
        tz=settings.calendar.calendar.tz,
        report=f"{report.number} 版本 Rev. {report.revision}" if report else "",
    )
    return settlement, info


def _asset_text(asset: Asset | None) -> str:
    """The equipment with its model and serial named, not run together."""
    if asset is None:
        return ""
    parts = [asset.name, f"型号 Model {asset.model}" if asset.model else ""]
    parts.append(f"序列号 Serial {asset.serial}" if asset.serial else "")
    return " · ".join(p for p in parts if p)


def _file(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class ReconciliationController(Controller):
    """Van stock reconciled against the parts used on jobs."""

    path = "/api/stock"
    tags = ["settlement"]

    @get(
        "/reconciliation",
        opt=allow(*STAFF),
        operation_id="vanReconciliation",
        summary="A month's van stock: parts used on jobs vs. stock moved out of each van",
    )
    async def reconciliation(
        self,
        db: Database,
        settings: Settings,
        month: Month,
        engineer_id: uuid.UUID | None = None,
    ) -> list[ReconciliationRow]:
        async with db.read() as session:
            return await services.reconciliation(
                session, month=month, tz=settings.calendar.timezone, engineer_id=engineer_id
            )
