"""Routes of the public fault-report form (报修): the page, its token and the report."""

from __future__ import annotations

import secrets
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import TooManyRequestsException

from api.db import Database
from api.domain.intake import services
from api.domain.intake.schemas import FormToken, PublicFaultIn, PublicFaultOut
from api.guards import PUBLIC
from api.ratelimit import address_limiter, spend
from api.settings import Settings

PAGE = (Path(__file__).parent / "report.html").read_text(encoding="utf-8")
"""The form page; ``{nonce}``, ``{company}`` and ``{phone}`` are filled in per request."""
AnyRequest = Request[Any, Any, Any]
REPORTS_PER_ADDRESS = 5
"""Reports one address may send per hour (each app process counts on its own)."""


class IntakeController(Controller):
    """The customers' own way to report a fault, without an account."""

    path = "/api/public"
    tags = ["intake"]

    @get(
        "/fault-report/form",
        opt=PUBLIC,
        operation_id="faultReportForm",
        summary="Open the public fault-report form: a token to send back with the report",
    )
    async def form(self, request: AnyRequest) -> FormToken:
        secret: str = request.app.state["secret_key"]
        return FormToken(token=services.form_token(secret), min_seconds=services.MIN_SECONDS)

    @post(
        "/fault-reports",
        opt=PUBLIC,
        operation_id="reportFault",
        summary="A customer reports a fault (报修); it becomes a job for the desk to verify",
        raises=[TooManyRequestsException],
    )
    async def report(
        self,
        data: PublicFaultIn,
        request: AnyRequest,
        db: Database,
        now: datetime,
        settings: Settings,
    ) -> PublicFaultOut:
        services.check_token(request.app.state["secret_key"], data.token)
        limiter = address_limiter(request.app.state, "fault_reports", REPORTS_PER_ADDRESS, 3600)
        spend(
            limiter,
            request.client.host if request.client else "?",
            f"同一地址提交的报修过多，请稍后再试，或拨打 {settings.company.phone}。"
            f"Too many reports from this address (or call {settings.company.phone})",
            coded=False,
        )
        async with db.write() as session:
            job = await services.report(session, data, now=now, cal=settings.calendar.calendar)
            number = job.number
        return PublicFaultOut(
            number=number,
            message=f"报修已受理登记，编号 {number}。Your report is registered as {number}.",
        )


@get("/report", opt=PUBLIC, include_in_schema=False, media_type=MediaType.HTML)
async def report_page(settings: Settings) -> Response[str]:
    """The public fault-report page (报修), in Chinese and English."""
    nonce = secrets.token_urlsafe(16)
    company = escape(settings.company.name_zh or settings.company.name)
    phone = escape(settings.company.phone)
    page = PAGE.replace("{nonce}", nonce).replace("{company}", company).replace("{phone}", phone)
    return Response(
        page,
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
            ),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
