"""Issuing reports: the signed-content check, numbers and revisions, rendering off the event
loop, storing the PDF, links and mail. ``Reports`` is one per app (``app.state.reports``)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.domain.jobs.services import get_visible_job
from api.domain.reports.build import build_context
from api.domain.reports.content import (
    content_input,
    current_customer_signature,
    customer_signature,
    customer_signed,
)
from api.error_codes import ErrorCode
from api.http import Conflict, DomainError, job_status, not_found
from api.media.access import photo_has_bytes, photo_on_the_way
from api.media.pipeline import PROCESSING, Pipeline, StillProcessing
from api.media.store import BlobStore
from api.models import (
    BlobInfo,
    Customer,
    Job,
    Photo,
    Report,
    ReportLink,
    ReportStatus,
    Role,
    Signature,
    utcnow,
)
from api.numbers import next_number
from api.security import Principal
from api.settings import Settings
from pdf.canonical import content_sha256
from pdf.context import RenderJob, ReportContext, Resource
from pdf.i18n import language_of
from pdf.sign import (
    Certificate,
    Verification,
    demo_certificate,
    signing_certificate,
    verify_pdf_sync,
)
from pdf.worker import Rendered, render_in_pool
from sync.rules.lifecycle import SIGNED_OR_LATER, JobStatus

log = logging.getLogger("fieldsync.reports")

PHOTO_WAIT = 60.0
"""How long issuing a report waits for its job's photos to be processed."""
PHOTO_GRACE = timedelta(hours=24)
"""How long the automatic report of a signed job waits for photo bytes still on their way
from the phone (a phone pushes the signature first and uploads the bytes after)."""
OVERDUE_WINDOW = timedelta(days=7)
"""How far back, past the grace, the hourly chore looks for reports that waited in vain."""
CHANGED_WHILE_RENDERING = "the job changed while the report was rendering"
CHANGED_AGAIN = "the job changed while its report was rendering; issue it again"
RENDER_STALE = timedelta(minutes=10)
"""A report still "rendering" after this long died with its process; it may be redone."""
TOKEN_BYTES = 24
"""Customer link tokens: 192 random bits."""
VERIFY_AT_ONCE = 2
"""Uploaded PDFs one app process verifies at the same time; more wait their turn."""


class RenderFailed(DomainError):
    """The report could not be rendered (503); it may be issued again."""

    status_code = 503


def token_hash(token: str) -> str:
    """What is stored of a customer link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def photos_on_the_way(session: AsyncSession, job_id: uuid.UUID) -> int:
    """How many of the job's photos have no bytes from their author yet."""
    count = await session.scalar(
        select(func.count()).select_from(Photo).where(Photo.job_id == job_id, photo_on_the_way())
    )
    return count or 0


@dataclass
class Reports:
    """The report service of one app."""

    settings: Settings
    db: Database
    blobs: BlobStore
    photos: Pipeline | None = None
    """Makes photos' copies; a report waits for those of its job's photos."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _cert: Certificate | None = None
    _cert_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _verifying: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(VERIFY_AT_ONCE))
    _auto_running: set[uuid.UUID] = field(default_factory=set)
    """Jobs whose automatic report this process is issuing now."""
    _auto_again: set[uuid.UUID] = field(default_factory=set)
    """Of those, the jobs asked for again meanwhile (more bytes arrived): they run once more."""

    # ---- certificate -------------------------------------------------------------------

    async def certificate(self) -> Certificate:
        """The signing certificate: the configured PKCS#12, or the demo's self-signed one."""
        async with self._cert_lock:
            return await self._load_certificate()

    async def _load_certificate(self) -> Certificate:
        if self._cert is None:
            conf = self.settings.report
            if conf.pkcs12_path:
                self._cert = Certificate(Path(conf.pkcs12_path), conf.pkcs12_passphrase)
            else:
                company = self.settings.company
                self._cert = await asyncio.to_thread(
                    demo_certificate,
                    self.settings.data_dir / "keys",
                    common_name=f"{company.name} (demo, self-signed)",
                    organisation=company.name,
                )
        return self._cert

    async def trusted(self) -> asn1_x509.Certificate:
        """The certificate reports are verified against."""
        cert = await self.certificate()
        return await asyncio.to_thread(signing_certificate, cert)

    # ---- issuing ----------------------------------------------------------------------

    async def issue(
        self,
        job_id: uuid.UUID,
        *,
        me: Principal | None,
        language: str | None = None,
        correction_reason: str = "",
        now: datetime | None = None,
        photo_wait: float = PHOTO_WAIT,
    ) -> tuple[Report, bool]:
        """Issue the job's report (or a correction); answers the report and whether it is new.

        Refused with 409 when the customer has not signed, when the job's content differs from
        what they signed, or when a report is already being rendered; with 503 when the job's
        photos are still being processed after ``photo_wait`` seconds.
        """
        now = now or utcnow()
        if me is not None:
            # Before any waiting: whoever may not see the job learns so at once (404).
            async with self.db.read() as session:
                await get_visible_job(session, job_id, me)
        await self._photos_ready(job_id, photo_wait)
        report, supersedes, fresh = await self._prepare(
            job_id, me=me, language=language, reason=correction_reason, now=now
        )
        if not fresh:
            return report, False
        try:
            printed = await self._printed(job_id, report, supersedes)
            rendered = None if printed is None else await self._render(*printed)
        except Exception as exc:
            log.exception("report %s rev %s could not be rendered", report.number, report.revision)
            await self._fail(report.id, f"rendering failed: {type(exc).__name__}: {exc}")
            raise RenderFailed(
                "the report could not be rendered; it was recorded as failed and may be issued "
                "again"
            ) from exc
        if rendered is None:
            await self._fail(report.id, CHANGED_WHILE_RENDERING)
            raise Conflict(CHANGED_AGAIN, code=ErrorCode.CHANGED_WHILE_RENDERING)
        for warning in rendered.warnings:
            log.warning("report %s: %s", report.number, warning)
        pdf_sha = hashlib.sha256(rendered.pdf).hexdigest()
        await self.blobs.put_bytes(pdf_sha, rendered.pdf)
        async with self.db.write(actor_id=me.user_id if me else None) as session:
            job = await session.get(Job, job_id, with_for_update=True)
            row = await session.get(Report, report.id)
            assert job is not None
            assert row is not None
            current = content_sha256(await content_input(session, job))
            if current != row.content_sha256:
                row.status = ReportStatus.FAILED
                row.error = CHANGED_WHILE_RENDERING
                failed = True
            else:
                failed = False
                if await session.get(BlobInfo, pdf_sha) is None:
                    session.add(
                        BlobInfo(sha256=pdf_sha, size=len(rendered.pdf), kind="file", format="pdf")
                    )
                row.status = ReportStatus.ISSUED
                row.pdf_sha256 = pdf_sha
                row.pdf_size = len(rendered.pdf)
                row.error = ""
            report = row
        if failed:
            raise Conflict(CHANGED_AGAIN, code=ErrorCode.CHANGED_WHILE_RENDERING)
        log.info("issued report %s rev %s of job %s", report.number, report.revision, job_id)
        if self.settings.smtp.host:
            self.spawn(self.email(report.id, quiet=True))
        return report, True

    async def _printed(
        self, job_id: uuid.UUID, report: Report, supersedes: str
    ) -> tuple[ReportContext, dict[str, Resource]] | None:
        """What the report prints, read at one moment with the content it is checked against;
        None when that content is no longer what :meth:`_prepare` hashed. (Read apart, a change
        made and undone while the report rendered would have passed the final check.)"""
        async with self.db.snapshot() as session:
            job = await session.get(Job, job_id)
            assert job is not None
            if content_sha256(await content_input(session, job)) != report.content_sha256:
                return None
            return await build_context(
                session,
                job,
                report,
                settings=self.settings,
                blobs=self.blobs,
                supersedes=supersedes,
            )

    async def _render(self, ctx: ReportContext, resources: dict[str, Resource]) -> Rendered:
        cert = await self.certificate()
        return await render_in_pool(
            RenderJob(
                context=ctx,
                resources=resources,
                pkcs12_path=str(cert.path),
                pkcs12_passphrase=cert.passphrase,
            ),
            self.settings.report.workers,
        )

    async def _prepare(
        self,
        job_id: uuid.UUID,
        *,
        me: Principal | None,
        language: str | None,
        reason: str,
        now: datetime,
    ) -> tuple[Report, str, bool]:
        """Check the content and reserve number and revision (a row in ``rendering``)."""
        async with self.db.write(actor_id=me.user_id if me else None) as session:
            if me is not None:
                job = await get_visible_job(session, job_id, me, for_update=True)
            else:
                found = await session.get(Job, job_id, with_for_update=True)
                if found is None:
                    raise not_found("job")
                job = found
            if job.status == JobStatus.CANCELLED:
                raise job_status("the job is cancelled; it has no report", job.status)
            reports = list(
                await session.scalars(
                    select(Report).where(Report.job_id == job.id).order_by(Report.revision)
                )
            )
            for r in reports:
                if r.status == ReportStatus.RENDERING and now - r.created_at < RENDER_STALE:
                    raise Conflict(
                        f"report {r.number} revision {r.revision} of this job is being rendered; "
                        "try again in a moment",
                        code=ErrorCode.REPORT_BUSY,
                    )
            issued = [r for r in reports if r.status == ReportStatus.ISSUED]
            latest = issued[-1] if issued else None
            current = content_sha256(await content_input(session, job))
            signed = await customer_signed(session, job.id) or ""
            if not signed and latest is None:
                # A correction amends what the customer signed; it cannot stand in for it.
                raise Conflict(
                    "the customer has not signed this job yet: a report is issued only for "
                    "content the customer signed",
                    code=ErrorCode.NOT_SIGNED,
                )
            # A reopened job's new visit, signed by the customer: its report is a new
            # revision that replaces the last visit's, not a correction.
            signed_anew = (
                signed == current and latest is not None and latest.signed_content_sha256 != signed
            )
            if reason:
                if me is not None and me.role not in (Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR):
                    raise DomainError("only the office may issue a correction", status_code=403)
            elif latest is not None and not signed_anew:
                if latest.content_sha256 == current:
                    if language is not None and language != latest.language:
                        # Answering the issued report in its own language said nothing of
                        # the language asked for: refused, with what it is in.
                        raise Conflict(
                            f"report {latest.number} revision {latest.revision} is issued in "
                            f"{latest.language}; it is not issued again in another language (a "
                            "correction, with its reason, is a new revision in the language "
                            "asked)",
                            code=ErrorCode.REPORT_LANGUAGE,
                            params={"language": latest.language},
                        )
                    return latest, "", False
                raise Conflict(
                    f"the job changed since report {latest.number} revision {latest.revision} "
                    f"was issued (content sha256 now {current}, then {latest.content_sha256}); "
                    "the office may issue a correction with its reason",
                    code=ErrorCode.CHANGED_SINCE_REPORT,
                )
            elif signed != current:
                raise Conflict(
                    f"the job's report content (sha256 {current}) differs from what the customer "
                    f"signed (sha256 {signed}): something on the job changed after signing. "
                    "Put it back, or let the office issue a correction with its reason",
                    code=ErrorCode.CHANGED_SINCE_SIGNING,
                )
            customer = await session.get(Customer, job.customer_id)
            lang = language or language_of(customer.locale if customer else "zh-CN")
            retry = reports[-1] if reports and reports[-1].status != ReportStatus.ISSUED else None
            if retry is not None:
                row = retry
            else:
                number = (
                    reports[0].number
                    if reports
                    else await next_number(
                        session, "RP", now.astimezone(self.settings.calendar.calendar.tz).year
                    )
                )
                row = Report(
                    job_id=job.id,
                    number=number,
                    revision=(reports[-1].revision + 1) if reports else 1,
                    verify_code=secrets.token_hex(16),
                )
                session.add(row)
            row.status = ReportStatus.RENDERING
            row.created_at = now
            row.issued_at = now
            row.language = lang
            row.content_sha256 = current
            row.signed_content_sha256 = signed
            row.supersedes_id = latest.id if latest else None
            row.correction_reason = reason
            row.created_by = me.user_id if me else None
            row.error = ""
            await session.flush()
            supersedes = f"{latest.number} rev {latest.revision}" if latest else ""
            return row, supersedes, True

    async def _photos_ready(self, job_id: uuid.UUID, wait: float) -> None:
        """Wait until the copies of the job's photos are made (a report never leaves out a
        photo whose copy is merely late); a photo the pipeline refused shows as missing."""
        if self.photos is None:
            return

        async def processing() -> list[str]:
            async with self.db.read() as session:
                return list(
                    await session.scalars(
                        select(BlobInfo.sha256)
                        .join(Photo, Photo.blob_sha256 == BlobInfo.sha256)
                        .where(
                            Photo.job_id == job_id,
                            Photo.removed_at.is_(None),
                            photo_has_bytes(),
                            BlobInfo.state == PROCESSING,
                        )
                    )
                )

        waiting = await processing()
        if not waiting:
            return
        await self.photos.settle(waiting, wait=wait)
        if await processing():
            raise StillProcessing(
                "the job's photos are still being processed; issue the report again shortly"
            )

    async def _fail(self, report_id: uuid.UUID, error: str) -> None:
        async with self.db.write() as session:
            row = await session.get(Report, report_id)
            if row is not None:
                row.status = ReportStatus.FAILED
                row.error = error[:2000]

    # ---- automatic issue after a push ---------------------------------------------------

    def spawn(self, work: Any) -> None:
        """Run ``work`` in the background, kept until done (``drain`` waits for it)."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for every background task (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def auto_issue(self, job_id: uuid.UUID, *, now: datetime | None = None) -> None:
        """Issue the report of a job whose customer signed, if it is complete on site and its
        photos' bytes have arrived (or waited for longer than :data:`PHOTO_GRACE`).

        One at a time per job in this process: bytes of several photos arriving together
        each ask, and the asks that come while one runs make it run once more, never twice
        at once (the second would only be told the report is being rendered).
        """
        if not self.settings.report.auto_issue:
            return
        if job_id in self._auto_running:
            self._auto_again.add(job_id)
            return
        self._auto_running.add(job_id)
        try:
            while True:
                self._auto_again.discard(job_id)
                await self._auto_issue_once(job_id, now or utcnow())
                if job_id not in self._auto_again:
                    return
        finally:
            self._auto_running.discard(job_id)

    async def _auto_issue_once(self, job_id: uuid.UUID, now: datetime) -> None:
        async with self.db.read() as session:
            job = await session.get(Job, job_id)
            if job is None or job.status not in SIGNED_OR_LATER:
                return
            signature = await customer_signature(session, job_id)
            if signature is None:
                return
            # Issued once per signing: a reopened job's new visit, signed, gets its own.
            done = await session.scalar(
                select(func.count())
                .select_from(Report)
                .where(
                    Report.job_id == job_id,
                    Report.status == ReportStatus.ISSUED,
                    Report.signed_content_sha256 == signature.content_sha256,
                )
            )
            if done:
                return
            on_the_way = await photos_on_the_way(session, job_id)
        if on_the_way and now - signature.server_time < PHOTO_GRACE:
            # Their bytes come after the push that brought the signature; the upload that
            # completes the last of them asks again (:meth:`bytes_arrived`).
            log.info(
                "report of job %s waits for the bytes of %d photo(s) still on their way",
                job_id,
                on_the_way,
            )
            return
        try:
            # In the background: the photos may take their time.
            report, _ = await self.issue(job_id, me=None, photo_wait=10 * PHOTO_WAIT)
        except DomainError as exc:
            log.warning("report of job %s not issued automatically: %s", job_id, exc.detail)
            return
        except Exception:
            log.exception("report of job %s not issued automatically", job_id)
            return
        missing = f" ({on_the_way} photo(s) never arrived)" if on_the_way else ""
        log.info(
            "report %s issued automatically after the customer signed%s", report.number, missing
        )

    async def bytes_arrived(self, shas: set[str]) -> None:
        """Photo bytes were stored: issue the reports that waited for them."""
        async with self.db.read() as session:
            jobs = set(
                await session.scalars(
                    select(Photo.job_id)
                    .join(Job, Job.id == Photo.job_id)
                    .where(
                        Photo.blob_sha256.in_(shas),
                        Photo.removed_at.is_(None),
                        Job.status.in_(SIGNED_OR_LATER),
                    )
                )
            )
        for job_id in sorted(jobs):
            await self.auto_issue(job_id)

    async def issue_overdue(self, now: datetime) -> int:
        """Start issuing the automatic reports that waited longer than :data:`PHOTO_GRACE` for
        photo bytes (the phone lost, the photo deleted from it): printed with those photos
        shown as not uploaded. Run by the hourly chores, which must not wait for the renders
        (in the background, as after a push); returns how many jobs it started."""
        if not self.settings.report.auto_issue:
            return 0
        async with self.db.read() as session:
            issued = (
                select(Report.id)
                .where(
                    Report.job_id == Signature.job_id,
                    Report.status == ReportStatus.ISSUED,
                    Report.signed_content_sha256 == Signature.content_sha256,
                )
                .exists()
            )
            jobs = list(
                await session.scalars(
                    select(Signature.job_id)
                    .join(Job, Job.id == Signature.job_id)
                    .join(Photo, Photo.job_id == Signature.job_id)
                    .where(
                        current_customer_signature(),
                        Signature.server_time <= now - PHOTO_GRACE,
                        Signature.server_time > now - PHOTO_GRACE - OVERDUE_WINDOW,
                        Job.status.in_(SIGNED_OR_LATER),
                        photo_on_the_way(),
                        ~issued,
                    )
                    .distinct()
                )
            )
        for job_id in sorted(jobs):
            self.spawn(self.auto_issue(job_id, now=now))
        return len(jobs)

    # ---- reading ------------------------------------------------------------------------

    async def pdf(self, report: Report) -> bytes:
        """The stored PDF of an issued report."""
        if report.status != ReportStatus.ISSUED or not report.pdf_sha256:
            raise Conflict(f"report {report.number} revision {report.revision} is not issued")
        return await self.blobs.read_all(report.pdf_sha256)

    async def verify(self, data: bytes) -> tuple[Verification, Report | None]:
        """Verify a PDF, and find the issued report it is (by the file's hash).

        Anyone may upload a PDF of up to 20 MB, and reading one is pure-Python work on
        untrusted bytes: seconds for a crafted file (hundreds of thousands of form fields).
        It runs in a worker thread, so the event loop goes on answering everyone else
        meanwhile, and at most :data:`VERIFY_AT_ONCE` at a time, so a flood of uploads cannot
        take every worker thread (password checks and uploads use them too).
        """
        trusted = await self.trusted()
        async with self._verifying:
            result = await asyncio.to_thread(verify_pdf_sync, data, trusted)
        sha = hashlib.sha256(data).hexdigest()
        async with self.db.read() as session:
            known = await session.scalar(
                select(Report).where(Report.pdf_sha256 == sha, Report.status == ReportStatus.ISSUED)
            )
        return result, known

    # ---- customer links -------------------------------------------------------------------

    async def create_link(
        self, session: AsyncSession, job: Job, *, days: int, me: Principal | None, now: datetime
    ) -> tuple[ReportLink, str]:
        """A new customer link to the job's report; the token is returned once, never kept."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        link = ReportLink(
            job_id=job.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
            created_by=me.user_id if me else None,
        )
        session.add(link)
        await session.flush()
        return link, token

    def link_url(self, token: str) -> str:
        """The address a customer opens."""
        return f"{self.settings.report.public_url}/r/{token}"

    async def email(self, report_id: uuid.UUID, *, quiet: bool = False) -> Report:
        """Mail the report's PDF and a new customer link to the customer."""
        from api.domain.reports.mail import send_report

        return await send_report(self, report_id, quiet=quiet)
