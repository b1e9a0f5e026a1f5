"""Routes of reports for the office and the engineer: issue, list, download, mail, links,
and verification of an uploaded PDF (public)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import PermissionDeniedException, TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import select

from api.db import Database
from api.domain.jobs.services import get_visible_job
from api.domain.reports.mail import MailFailed
from api.domain.reports.schemas import (
    IssueIn,
    LinkCreated,
    LinkIn,
    LinkOut,
    ReportOut,
    VerifyOut,
    link_out,
    report_out,
)
from api.domain.reports.services import RenderFailed, Reports
from api.guards import EVERYONE, OFFICE, PUBLIC, allow
from api.http import Conflict, DomainError, not_found
from api.models import Report, ReportLink, ReportStatus, Role
from api.ratelimit import address_limiter, spend
from api.security import Principal
from api.settings import Settings

AnyRequest = Request[Any, Any, Any]
MAX_PDF_BYTES = 20 * 1024 * 1024
"""Largest PDF accepted for verification."""
VERIFY_PER_ADDRESS = 30
"""Verifications one address may ask for in 10 minutes (each app process counts alone)."""


def reports_of(state: State) -> Reports:
    """The app's report service."""
    reports: Reports = state.reports
    return reports


def pdf_response(data: bytes, report: Report, *, inline: bool = False) -> Response[bytes]:
    """A PDF download named after the report."""
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'{disposition}; filename="{report.number}-rev{report.revision}.pdf"'
            ),
            "Cache-Control": "private, no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


class ReportController(Controller):
    """Service reports (docs/report.md). Engineers reach only their own jobs' reports."""

    path = "/api"
    tags = ["reports"]

    @post(
        "/jobs/{job_id:uuid}/report",
        opt=allow(*OFFICE, Role.ENGINEER),
        operation_id="issueReport",
        summary="Issue the job's signed report (201), or answer the issued one (200); "
        "the office may issue a correction with a reason",
        raises=[Conflict, PermissionDeniedException, RenderFailed],
        status_code=201,
        responses={
            200: ResponseSpec(
                data_container=ReportOut, description="The report already issued, unchanged"
            )
        },
    )
    async def issue(
        self, job_id: uuid.UUID, data: IssueIn, me: Principal, now: datetime, request: AnyRequest
    ) -> Response[ReportOut]:
        report, fresh = await reports_of(request.app.state).issue(
            job_id,
            me=me,
            language=data.language,
            correction_reason=data.correction_reason.strip(),
            now=now,
        )
        return Response(report_out(report), status_code=201 if fresh else 200)

    @get(
        "/jobs/{job_id:uuid}/reports",
        opt=allow(*EVERYONE),
        operation_id="listJobReports",
        summary="Every revision of the job's report, oldest first",
    )
    async def list_reports(self, job_id: uuid.UUID, db: Database, me: Principal) -> list[ReportOut]:
        async with db.read() as session:
            job = await get_visible_job(session, job_id, me)
            rows = await session.scalars(
                select(Report).where(Report.job_id == job.id).order_by(Report.revision)
            )
            return [report_out(r) for r in rows]

    @get(
        "/reports/{report_id:uuid}/pdf",
        opt=allow(*EVERYONE),
        operation_id="downloadReport",
        summary="The signed PDF of an issued report",
        raises=[Conflict],
        media_type="application/pdf",
    )
    async def download(
        self, report_id: uuid.UUID, db: Database, me: Principal, request: AnyRequest
    ) -> Response[bytes]:
        async with db.read() as session:
            report = await session.get(Report, report_id)
            if report is None:
                raise not_found("report")
            await get_visible_job(session, report.job_id, me)
        data = await reports_of(request.app.state).pdf(report)
        return pdf_response(data, report)

    @post(
        "/reports/{report_id:uuid}/email",
        opt=allow(*OFFICE),
        operation_id="emailReport",
        summary="Mail the PDF and a new customer link to the customer",
        raises=[Conflict, MailFailed],
        status_code=200,
    )
    async def email(self, report_id: uuid.UUID, request: AnyRequest) -> ReportOut:
        return report_out(await reports_of(request.app.state).email(report_id))

    @post(
        "/jobs/{job_id:uuid}/report-links",
        opt=allow(*OFFICE),
        operation_id="createReportLink",
        summary="A new expiring customer link to the job's report (the token is shown once)",
        status_code=201,
    )
    async def create_link(
        self,
        job_id: uuid.UUID,
        data: LinkIn,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
        request: AnyRequest,
    ) -> LinkCreated:
        reports = reports_of(request.app.state)
        async with db.write(actor_id=me.user_id) as session:
            job = await get_visible_job(session, job_id, me)
            days = data.days or settings.report.link_days
            link, token = await reports.create_link(session, job, days=days, me=me, now=now)
            out = link_out(link)
        return LinkCreated(
            **{f: getattr(out, f) for f in out.__struct_fields__},
            url=reports.link_url(token),
            token=token,
        )

    @get(
        "/jobs/{job_id:uuid}/report-links",
        opt=allow(*OFFICE),
        operation_id="listReportLinks",
        summary="The job's customer links (without tokens)",
    )
    async def list_links(self, job_id: uuid.UUID, db: Database, me: Principal) -> list[LinkOut]:
        async with db.read() as session:
            await get_visible_job(session, job_id, me)
            rows = await session.scalars(
                select(ReportLink)
                .where(ReportLink.job_id == job_id)
                .order_by(ReportLink.created_at)
            )
            return [link_out(link) for link in rows]

    @post(
        "/report-links/{link_id:uuid}/revoke",
        opt=allow(*OFFICE),
        operation_id="revokeReportLink",
        summary="Revoke a customer link at once",
        status_code=200,
    )
    async def revoke_link(
        self, link_id: uuid.UUID, db: Database, me: Principal, now: datetime
    ) -> LinkOut:
        async with db.write(actor_id=me.user_id) as session:
            link = await session.get(ReportLink, link_id)
            if link is None:
                raise not_found("report link")
            if link.revoked_at is None:
                link.revoked_at = now
            return link_out(link)

    @post(
        "/reports/verify",
        opt=PUBLIC,
        operation_id="verifyReport",
        raises=[TooManyRequestsException],
        summary="Upload a PDF (the raw bytes): is it a valid, unchanged report of ours, and which",
        status_code=200,
        request_max_body_size=MAX_PDF_BYTES,
    )
    async def verify(self, request: AnyRequest, db: Database) -> VerifyOut:
        limiter = address_limiter(request.app.state, "verifications", VERIFY_PER_ADDRESS, 600)
        spend(
            limiter,
            request.client.host if request.client else "?",
            "too many verifications from this address",
        )
        data = await request.body()
        if not data:
            raise DomainError("send the PDF file as the request body")
        reports = reports_of(request.app.state)
        result, known = await reports.verify(data)
        current = False
        if known is not None:
            async with db.read() as session:
                latest = await session.scalar(
                    select(Report.revision)
                    .where(Report.job_id == known.job_id, Report.status == ReportStatus.ISSUED)
                    .order_by(Report.revision.desc())
                    .limit(1)
                )
            current = latest == known.revision
        return VerifyOut(
            status=result.status,
            valid=result.valid,
            detail=result.detail,
            report_number=result.report_number,
            revision=result.revision,
            content_sha256=result.content_sha256,
            signer=result.signer,
            signed_at=result.signed_at,
            known=known is not None and result.valid,
            current=current and result.valid,
        )
