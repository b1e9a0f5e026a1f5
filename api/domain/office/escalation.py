"""Escalation: a major fault (重大故障) and a serious complaint (情节重大者) are told upward.

The regulations want a major fault reported upward at once and a serious complaint taken to the
director. When a job becomes critical (reported so by the desk, or its urgency raised to
critical) or a complaint is escalated (recorded serious, raised to serious, or taken to the
director by hand), the supervisors and administrators with an e-mail address on file, and the
addresses of ``FIELDSYNC_ESCALATE_TO``, are mailed after the transaction commits, in the
background. A critical report from the public web form (anyone may send one) is mailed once the
desk takes it up (受理, or dispatches it), not as typed.

Session events see every such change, whatever route made it, as :mod:`api.domain.reports.auto`
sees signatures; each engine maps to the escalation service of its app. The mail task reads the
record again and sends nothing when the job is no longer critical (rolled back, or lowered
meanwhile). Without a mail server nothing is sent; either way the outcome is logged
(``fieldsync.escalation``).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, UOWTransaction

from api.db import CommitServices, Database
from api.domain.reports.mail import deliver
from api.models import (
    Channel,
    Complaint,
    Customer,
    Job,
    Role,
    Site,
    Urgency,
    User,
)
from api.settings import Settings
from sync.rules.lifecycle import JobStatus

log = logging.getLogger("fieldsync.escalation")

Kind = Literal["job", "complaint"]

_NOTED = "fieldsync.escalation.noted"
_SERVICES: CommitServices[Escalations] = CommitServices()

TOLD_ROLES = (Role.SUPERVISOR, Role.ADMIN)
"""Who is told, besides the addresses of the setting: the supervisors (主管), who handle
escalations, and the administrators, who stand for the director where no address is set."""


def addresses(text: str) -> list[str]:
    """The addresses of a comma- or semicolon-separated list, blanks dropped."""
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


@dataclass
class Escalations:
    """Mails escalations in the background, kept until done (``drain`` waits for them)."""

    settings: Settings
    db: Database
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, kind: Kind, ident: uuid.UUID) -> None:
        task = asyncio.get_running_loop().create_task(self.tell(kind, ident))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for every mail under way (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def tell(self, kind: Kind, ident: uuid.UUID) -> None:
        """Mail the escalation of a job or a complaint, if it still stands; never raises."""
        try:
            message = await self._message(kind, ident)
        except Exception:
            log.exception("escalation of %s %s could not be prepared", kind, ident)
            return
        if message is None:
            return
        smtp = self.settings.smtp
        if not smtp.host:
            log.warning(
                "%s: not mailed to %s, no mail server is configured (FIELDSYNC_SMTP_HOST)",
                message["Subject"],
                message["To"],
            )
            return
        try:
            await asyncio.to_thread(deliver, smtp, message)
        except (OSError, ValueError, smtplib.SMTPException) as exc:
            log.error("%s: mailing %s failed: %s", message["Subject"], message["To"], exc)
        else:
            log.info("%s: mailed to %s", message["Subject"], message["To"])

    async def _message(self, kind: Kind, ident: uuid.UUID) -> EmailMessage | None:
        async with self.db.read() as session:
            if kind == "job":
                job = await session.get(Job, ident)
                if job is None or job.urgency != Urgency.CRITICAL or not _verified(job):
                    return None
                complaint = None
            else:
                complaint = await session.get(Complaint, ident)
                if complaint is None or complaint.escalated_at is None:
                    return None
                job = await session.get(Job, complaint.job_id) if complaint.job_id else None
            customer_id = complaint.customer_id if complaint else job.customer_id if job else None
            customer = await session.get(Customer, customer_id) if customer_id else None
            site = await session.get(Site, job.site_id) if job and job.site_id else None
            told = await session.scalars(
                select(User.email).where(
                    User.role.in_(TOLD_ROLES), User.active.is_(True), User.email != ""
                )
            )
            to = _unique([*told, *addresses(self.settings.smtp.escalate_to)])
        if not to:
            log.warning(
                "escalation of %s %s: nobody to tell (no supervisor or administrator has an "
                "e-mail address, and FIELDSYNC_ESCALATE_TO is empty)",
                kind,
                ident,
            )
            return None
        zone = ZoneInfo(self.settings.calendar.timezone)
        lines = _lines(job=job, complaint=complaint, customer=customer, site=site, zone=zone)
        link = f"{self.settings.report.public_url}/office/" + (
            "complaints" if complaint else "board"
        )
        if complaint is not None:
            subject = f"[严重投诉 Serious complaint] {customer.name if customer else ''}"
            if job is not None:
                subject += f" · {job.number}"
        else:
            assert job is not None
            subject = f"[重大故障 Critical fault] {job.number}"
            if customer is not None:
                subject += f" · {customer.name}"
        smtp = self.settings.smtp
        sender = smtp.sender or f"reports@{smtp.host}"
        message = EmailMessage()
        message["Subject"] = _one_line(subject)[:200]
        message["From"] = formataddr((self.settings.company.name, sender))
        message["To"] = ", ".join(to)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        intro = (
            "客户投诉被记为严重，请立即处理（情节重大者上报）。\n"
            "A complaint was recorded as serious and is escalated to you.\n"
            if complaint
            else "报修被记为重大故障，请立即关注（重大故障立即上报）。\n"
            "A fault was reported as critical and is escalated to you at once.\n"
        )
        body = "\n".join(f"{label}: {value}" for label, value in lines if value)
        message.set_content(f"{intro}\n{body}\n\n{link}\n\n{self.settings.company.name}\n")
        return message


def _lines(
    *,
    job: Job | None,
    complaint: Complaint | None,
    customer: Customer | None,
    site: Site | None,
    zone: ZoneInfo,
) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if complaint is not None:
        lines += [
            ("投诉 Complaint", complaint.description),
            ("严重程度 Severity", str(complaint.severity)),
        ]
    if customer is not None:
        lines.append(("客户 Customer", customer.name))
    if job is not None:
        lines += [
            ("工单 Job", job.number),
            ("报修时间 Reported", job.reported_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")),
            ("故障 Fault", job.fault_description),
            ("联系人 Contact", " ".join(p for p in (job.contact_name, job.contact_phone) if p)),
        ]
    if site is not None:
        lines.append(("站点 Site", " ".join(p for p in (site.name, site.address) if p)))
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unique(items: Iterable[str]) -> list[str]:
    """Each address once (case aside), in order; none with a line break (no header holds it)."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        if "\n" in item or "\r" in item or item.lower() in seen:
            continue
        seen.add(item.lower())
        kept.append(item)
    return kept


def watch(engine: Engine, escalations: Escalations) -> None:
    """Let commits on ``engine`` mail escalations through ``escalations``."""
    _SERVICES.watch(engine, escalations)


def _became(obj: Any, name: str, value: Any) -> bool:
    """Whether ``obj``'s attribute ``name`` was set to ``value`` in this flush."""
    history = inspect(obj).attrs[name].history
    return bool(history.added) and history.added[0] == value and value not in history.deleted


def _verified(job: Job) -> bool:
    """Whether a job's report is the desk's word: a web report (the public form, anyone)
    escalates only once the desk has taken it up (受理, or dispatched it), not as typed."""
    return job.channel != Channel.WEB or job.status != JobStatus.REPORTED


def _left_reported(job: Job) -> bool:
    history = inspect(job).attrs["status"].history
    return bool(history.added) and JobStatus.REPORTED in history.deleted


def _escalated_now(complaint: Complaint) -> bool:
    """Whether the complaint was escalated in this flush: recorded serious, raised to serious,
    or taken to the director by hand (``escalated_at`` set)."""
    history = inspect(complaint).attrs["escalated_at"].history
    return any(value is not None for value in history.added)


@event.listens_for(Session, "after_flush")
def _note(session: Session, _ctx: UOWTransaction) -> None:
    found: list[tuple[Kind, uuid.UUID]] = []
    for obj in session.new:
        if isinstance(obj, Job) and obj.urgency == Urgency.CRITICAL and _verified(obj):
            found.append(("job", obj.id))
        elif isinstance(obj, Complaint) and obj.escalated_at is not None:
            found.append(("complaint", obj.id))
    for obj in session.dirty:
        if isinstance(obj, Job) and obj.urgency == Urgency.CRITICAL and _verified(obj):
            # Raised to critical, or a critical web report the desk has just taken up.
            if _became(obj, "urgency", Urgency.CRITICAL) or (
                obj.channel == Channel.WEB and _left_reported(obj)
            ):
                found.append(("job", obj.id))
        elif isinstance(obj, Complaint) and _escalated_now(obj):
            found.append(("complaint", obj.id))
    if found:
        session.info.setdefault(_NOTED, set()).update(found)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Released savepoints fire this too: wait for the real commit. A change rolled back with a
    # savepoint may leave its note here; the mail task reads the stored state first.
    if session.in_nested_transaction():
        return
    noted: set[tuple[Kind, uuid.UUID]] = session.info.pop(_NOTED, set())
    if not noted:
        return
    escalations = _SERVICES.after_commit(session)
    if escalations is None:
        return
    for kind, ident in sorted(noted, key=str):
        escalations.spawn(kind, ident)
