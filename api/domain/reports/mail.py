"""E-mail of a report's PDF to the customer, with a link to view and verify it.

The standard library's smtplib runs in a thread: a slow mail server never holds the event loop.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING

from api.error_codes import ErrorCode
from api.http import Conflict, DomainError, not_found
from api.models import Customer, Job, Report, utcnow
from api.settings import SmtpSettings

if TYPE_CHECKING:
    from api.domain.reports.services import Reports


class MailFailed(DomainError):
    """The mail server refused or could not be reached (502)."""

    status_code = 502


def build_message(
    *,
    sender: str,
    to: str,
    company: str,
    report: Report,
    job_number: str,
    link: str,
    pdf: bytes,
) -> EmailMessage:
    """The mail: a short bilingual text and the PDF attached."""
    message = EmailMessage()
    message["Subject"] = f"服务报告 Service report {report.number} ({job_number})"
    message["From"] = formataddr((company, sender))
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(
        f"您好：\n\n附件为工单 {job_number} 的售后服务报告 {report.number}"
        f"（版本 {report.revision}）。\n在线查看与验证：{link}\n\n"
        f"Hello,\n\nAttached is service report {report.number} (revision {report.revision}) "
        f"of job {job_number}.\nView and verify it online: {link}\n\n{company}\n"
    )
    message.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"{report.number}-rev{report.revision}.pdf",
    )
    return message


def deliver(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Send ``message`` with the configured server (blocking; run it in a thread)."""
    if smtp.security not in {"starttls", "ssl", "none"}:
        raise ValueError(
            f"FIELDSYNC_SMTP_SECURITY must be starttls, ssl or none, not {smtp.security!r}"
        )
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def send_report(reports: Reports, report_id: uuid.UUID, *, quiet: bool = False) -> Report:
    """Mail an issued report to its customer; the outcome is kept on the report row.

    ``quiet`` (the automatic mail after issue) records a failure instead of raising it.
    """
    settings = reports.settings
    smtp = settings.smtp
    async with reports.db.write() as session:
        report = await session.get(Report, report_id)
        if report is None:
            raise not_found("report")
        job = await session.get(Job, report.job_id)
        customer = await session.get(Customer, job.customer_id) if job else None
        if job is None or customer is None:
            raise not_found("job")
        if not smtp.host:
            raise Conflict(
                "no mail server is configured (FIELDSYNC_SMTP_HOST)",
                code=ErrorCode.NO_MAIL_SERVER,
            )
        if not customer.email:
            if quiet:
                return report
            raise Conflict("the customer has no e-mail address on file", code=ErrorCode.NO_EMAIL)
        now = utcnow()
        _, token = await reports.create_link(
            session, job, days=settings.report.link_days, me=None, now=now
        )
    pdf = await reports.pdf(report)
    sender = smtp.sender or f"reports@{smtp.host}"
    error = ""
    unusable = False
    try:
        message = build_message(
            sender=sender,
            to=customer.email,
            company=settings.company.name,
            report=report,
            job_number=job.number,
            link=reports.link_url(token),
            pdf=pdf,
        )
    except ValueError as exc:  # a line break in the address: no mail header can carry it
        unusable = True
        error = f"the customer's e-mail address {customer.email!r} cannot be used: {exc}"
    else:
        try:
            await asyncio.to_thread(deliver, smtp, message)
        except (OSError, ValueError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
    async with reports.db.write() as session:
        row = await session.get(Report, report_id)
        assert row is not None
        row.email_to = customer.email
        if error:
            row.email_error = error[:2000]
        else:
            row.emailed_at = utcnow()
            row.email_error = ""
        report = row
    if error and not quiet:
        if unusable:
            raise Conflict(error, code=ErrorCode.BAD_ADDRESS)
        raise MailFailed(f"the mail could not be sent: {error}")
    return report
