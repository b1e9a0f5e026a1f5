"""What a customer reaches without logging in: their report through an unguessable, expiring,
revocable link (``/r/{token}``), and the verification page the QR code opens
(``/r/check/{code}``). A link reaches only its own job's report and images.

The pages are plain HTML for now (issue 7 builds the customer page); every value is escaped,
and a strict Content-Security-Policy allows nothing but our own images and one inline script.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import jinja2
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.domain.reports.controllers import pdf_response, reports_of
from api.domain.reports.services import token_hash
from api.guards import PUBLIC
from api.http import Conflict, DomainError, Out, Schema, not_found
from api.media.access import photo_has_bytes
from api.models import (
    BlobInfo,
    Complaint,
    ComplaintSeverity,
    Customer,
    Job,
    Photo,
    ReceiptStatus,
    RepairReceipt,
    Report,
    ReportLink,
    ReportStatus,
    Satisfaction,
    SatisfactionSource,
    Signature,
)
from api.ratelimit import address_limiter, spend
from api.settings import Settings

AnyRequest = Request[Any, Any, Any]
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
SHA = re.compile(r"[0-9a-f]{64}")


LINK_POSTS_PER_HOUR = 10
"""Ratings and complaints one link may send per hour."""


class RatingIn(Schema):
    """The customer's rating of the service (满意度)."""

    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    remarks: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ComplaintFromLinkIn(Schema):
    """A complaint (投诉) the customer sends from the report page."""

    description: Annotated[str, msgspec.Meta(min_length=5, max_length=5000)]
    serious: bool = False
    """Safety or production is affected (停产 / 安全): escalated to the director at once."""


class Received(Out):
    """What the customer is told."""

    message: str


class LinkGone(DomainError):
    """The link expired or was revoked (410)."""

    status_code = 410


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("api.domain.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _page(title: str, template: str, *, status: int = 200, **values: Any) -> Response[str]:
    nonce = secrets.token_urlsafe(12)
    html = _env().get_template(template).render(title=title, nonce=nonce, verify=True, **values)
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; img-src 'self'; style-src 'nonce-{nonce}'; "
                f"script-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'"
            ),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _issued(report: Report, tz: str) -> str:
    """When the report was issued, on the department's clock, as its PDF prints it."""
    if report.issued_at is None:
        return ""
    return f"{report.issued_at.astimezone(ZoneInfo(tz)).strftime('%Y-%m-%d %H:%M')} ({tz})"


_WHERE = {
    ReceiptStatus.TAKEN: "已取回 Taken for repair",
    ReceiptStatus.IN_WORKSHOP: "维修中 In the workshop",
    ReceiptStatus.RETURNED: "已交还 Returned",
}


def _where(receipt: RepairReceipt, tz: str) -> dict[str, str]:
    """An item taken back for repair, as its customer's page shows it: where it is now, and
    when it came back or is promised back (docs/receipts.md)."""

    def day(at: datetime | None) -> str:
        if at is None:
            return ""
        try:
            return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")
        except OverflowError:  # a phone's promise at the calendar's very end: its UTC day
            return at.strftime("%Y-%m-%d")

    if receipt.status == ReceiptStatus.RETURNED:
        when = day(receipt.returned_at)
    else:
        promised = day(receipt.promised_at)
        when = f"预计 Promised {promised}" if promised else ""
    return {
        "number": receipt.number,
        "item": receipt.item_description,
        "serial": receipt.serial,
        "status": _WHERE[receipt.status],
        "when": when,
    }


def in_issued_report(job_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL: a photo of the job that its latest issued report holds (recorded before it was
    issued). A photo the phone added after the customer signed is in no signed report: the
    customer's page shows only what the report they hold shows."""
    issued = (
        select(func.max(Report.issued_at))
        .where(Report.job_id == job_id, Report.status == ReportStatus.ISSUED)
        .scalar_subquery()
    )
    return Photo.created_at <= issued


LINK_ESCALATION_GAP = timedelta(hours=24)
"""A serious complaint from a report page escalates unless one of the job did within this."""


async def _escalated_since(session: AsyncSession, job_id: uuid.UUID, since: datetime) -> bool:
    """Whether a complaint about the job was escalated at or after ``since``."""
    found = await session.scalar(
        select(Complaint.id)
        .where(Complaint.job_id == job_id, Complaint.escalated_at >= since)
        .limit(1)
    )
    return found is not None


async def _link(db: Database, token: str, now: datetime) -> ReportLink:
    """The live link of ``token``; 404 for an unknown one, 410 for an expired or revoked one."""
    if not TOKEN.fullmatch(token):
        raise not_found("link")
    digest = token_hash(token)
    # Read first: anyone may send made-up tokens, and a write transaction for each would
    # queue them all behind SQLite's single writer with the engineers' pushes. Only a live
    # link is written to (when it was last used).
    async with db.read() as session:
        link = await session.scalar(select(ReportLink).where(ReportLink.token_hash == digest))
    if link is None:
        raise not_found("link")
    if link.revoked_at is not None or link.expires_at <= now:
        raise LinkGone("this link has expired or was revoked; ask the service team for a new one")
    async with db.write() as session:
        live = await session.scalar(select(ReportLink).where(ReportLink.token_hash == digest))
        if live is None or live.revoked_at is not None:  # revoked meanwhile
            raise LinkGone(
                "this link has expired or was revoked; ask the service team for a new one"
            )
        live.last_used_at = now
        return live


class CustomerReportController(Controller):
    """The customer's view of their report through a link."""

    path = "/r"
    tags = ["customer"]

    @get(
        "/{token:str}",
        opt=PUBLIC,
        operation_id="customerReportPage",
        summary="The customer's report page (HTML) behind a link",
        raises=[NotFoundException, LinkGone],
        media_type=MediaType.HTML,
    )
    async def page(
        self, token: str, db: Database, now: datetime, settings: Settings
    ) -> Response[str]:
        link = await _link(db, token, now)
        async with db.read() as session:
            job = await session.get(Job, link.job_id)
            assert job is not None
            customer = await session.get(Customer, job.customer_id)
            issued = list(
                await session.scalars(
                    select(Report)
                    .where(Report.job_id == job.id, Report.status == ReportStatus.ISSUED)
                    .order_by(Report.revision)
                )
            )
            images = list(
                await session.scalars(
                    select(BlobInfo.sha256)
                    .join(Photo, Photo.blob_sha256 == BlobInfo.original_sha256)
                    .where(
                        Photo.job_id == job.id,
                        Photo.removed_at.is_(None),
                        photo_has_bytes(),
                        in_issued_report(job.id),
                        BlobInfo.variant == "screen",
                    )
                    .order_by(Photo.created_at)
                )
            )
            receipts = list(
                await session.scalars(
                    select(RepairReceipt)
                    .where(
                        RepairReceipt.job_id == job.id,
                        RepairReceipt.status != ReceiptStatus.VOID,
                    )
                    .order_by(RepairReceipt.taken_at, RepairReceipt.id)
                )
            )
        report = issued[-1] if issued else None
        tz = settings.calendar.timezone
        return _page(
            f"{job.number}",
            "report.html",
            report=report,
            job=job,
            customer=customer.name if customer else "",
            issued=_issued(report, settings.calendar.timezone) if report else "",
            earlier=issued[:-1],
            company=settings.company,
            images=images,
            items=[_where(r, tz) for r in receipts],
            base=f"/r/{token}",
        )

    @get(
        "/{token:str}/pdf",
        opt=PUBLIC,
        operation_id="customerReportPdf",
        summary="The signed PDF behind a customer link (latest revision by default)",
        raises=[NotFoundException, LinkGone],
        media_type="application/pdf",
    )
    async def pdf(
        self,
        token: str,
        db: Database,
        now: datetime,
        request: AnyRequest,
        revision: int | None = None,
    ) -> Response[bytes]:
        link = await _link(db, token, now)
        async with db.read() as session:
            query = select(Report).where(
                Report.job_id == link.job_id, Report.status == ReportStatus.ISSUED
            )
            if revision is not None:
                query = query.where(Report.revision == revision)
            report = await session.scalar(query.order_by(Report.revision.desc()).limit(1))
        if report is None:
            raise not_found("report")
        data = await reports_of(request.app.state).pdf(report)
        return pdf_response(data, report, inline=True)

    @get(
        "/{token:str}/images/{sha:str}",
        opt=PUBLIC,
        operation_id="customerReportImage",
        summary="A photo copy or signature image of the link's own job (nothing else)",
        raises=[NotFoundException, LinkGone],
    )
    async def image(
        self, token: str, sha: str, db: Database, now: datetime, request: AnyRequest
    ) -> Response[bytes]:
        link = await _link(db, token, now)
        if not SHA.fullmatch(sha):
            raise not_found("image")
        async with db.read() as session:
            photo_copy = await session.scalar(
                select(BlobInfo)
                .join(Photo, Photo.blob_sha256 == BlobInfo.original_sha256)
                .where(
                    BlobInfo.sha256 == sha,
                    BlobInfo.variant.in_(["screen", "thumb"]),
                    Photo.job_id == link.job_id,
                    Photo.removed_at.is_(None),
                    photo_has_bytes(),
                    in_issued_report(link.job_id),
                )
                .limit(1)
            )
            signature = await session.scalar(
                select(Signature.id).where(
                    Signature.job_id == link.job_id,
                    or_(Signature.png_sha256 == sha),
                )
            )
        if photo_copy is None and signature is None:
            raise not_found("image")
        data = await reports_of(request.app.state).blobs.read_all(sha)
        return Response(
            data,
            media_type="image/jpeg" if photo_copy is not None else "image/png",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @post(
        "/{token:str}/rating",
        opt=PUBLIC,
        operation_id="customerRating",
        summary="The customer rates the service from their report page (once per job)",
        raises=[NotFoundException, LinkGone],
        status_code=201,
    )
    async def rating(
        self, token: str, data: RatingIn, db: Database, now: datetime, request: AnyRequest
    ) -> Received:
        link = await _link(db, token, now)
        _spend(request, token)
        async with db.write() as session:
            # The job's row is the lock: two ratings sent at once (a double tap, two tabs)
            # are taken one after the other, and the second finds the first.
            await session.execute(select(Job.id).where(Job.id == link.job_id).with_for_update())
            rated = await session.scalar(
                select(Satisfaction.id).where(
                    Satisfaction.job_id == link.job_id,
                    Satisfaction.source == SatisfactionSource.LINK,
                )
            )
            if rated is not None:
                raise Conflict("this service has been rated from its report page already")
            session.add(
                Satisfaction(
                    job_id=link.job_id,
                    source=SatisfactionSource.LINK,
                    score=data.score,
                    remarks=data.remarks,
                    at=now,
                )
            )
        return Received(message="谢谢您的评价。Thank you for your rating.")

    @post(
        "/{token:str}/complaint",
        opt=PUBLIC,
        operation_id="customerComplaint",
        summary="The customer files a complaint about the service from their report page",
        raises=[NotFoundException, LinkGone],
        status_code=201,
    )
    async def complaint(
        self,
        token: str,
        data: ComplaintFromLinkIn,
        db: Database,
        now: datetime,
        request: AnyRequest,
    ) -> Received:
        link = await _link(db, token, now)
        _spend(request, token)
        async with db.write() as session:
            # Locked: two serious complaints sent at once must not both escalate.
            job = await session.get(Job, link.job_id, with_for_update=True)
            assert job is not None
            severity = ComplaintSeverity.SERIOUS if data.serious else ComplaintSeverity.MAJOR
            # A serious one goes to the director at once, as the regulations want; but whoever
            # holds a forwarded link could mail the director all day: one escalation per job a
            # day from here, the rest wait at the desk (which may escalate them by hand).
            escalate = data.serious and not await _escalated_since(
                session, job.id, now - LINK_ESCALATION_GAP
            )
            session.add(
                Complaint(
                    customer_id=job.customer_id,
                    job_id=job.id,
                    severity=severity,
                    description=f"{data.description} (sent from the report page)",
                    escalated_at=now if escalate else None,
                )
            )
            number = job.number
        return Received(
            message=f"投诉已登记（工单 {number}），我们会尽快联系您。"
            f"Your complaint about job {number} is recorded; we will contact you soon."
        )

    @get(
        "/check/{code:str}",
        opt=PUBLIC,
        operation_id="reportCheckPage",
        summary="The verification page a report's QR code opens (HTML)",
        raises=[NotFoundException],
        media_type=MediaType.HTML,
    )
    async def check(self, code: str, db: Database, settings: Settings) -> Response[str]:
        report = None
        current = False
        if re.fullmatch(r"[0-9a-f]{32}", code):
            async with db.read() as session:
                report = await session.scalar(
                    select(Report).where(
                        Report.verify_code == code, Report.status == ReportStatus.ISSUED
                    )
                )
                if report is not None:
                    latest = await session.scalar(
                        select(Report.revision)
                        .where(Report.job_id == report.job_id, Report.status == ReportStatus.ISSUED)
                        .order_by(Report.revision.desc())
                        .limit(1)
                    )
                    current = latest == report.revision
        if report is None:
            raise not_found("report")
        return _page(
            "Report verification",
            "check.html",
            report=report,
            current=current,
            issued=_issued(report, settings.calendar.timezone),
            company=settings.company,
        )


def _spend(request: AnyRequest, token: str) -> None:
    """Count a rating or complaint of this link (a link cannot flood the office)."""
    limiter = address_limiter(request.app.state, "link_posts", LINK_POSTS_PER_HOUR, 3600)
    spend(limiter, token, "too many messages from this link")
