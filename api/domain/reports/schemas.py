"""Wire shapes of reports, links and verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.http import Out, Schema
from api.models import Report, ReportLink


class IssueIn(Schema):
    """Issue the job's report, or (office, with a reason) a correction of it."""

    language: Literal["zh-CN", "en"] | None = None
    """Default: the customer's language."""
    correction_reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    """Non-empty: make a new revision correcting the current one (office only)."""


class LinkIn(Schema):
    """A new customer link."""

    days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
    """Lifetime in days; default FIELDSYNC_REPORT_LINK_DAYS."""


class ReportOut(Out):
    """One revision of a job's report."""

    id: uuid.UUID
    job_id: uuid.UUID
    number: str
    revision: int
    status: str
    language: str
    content_sha256: str
    signed_content_sha256: str
    supersedes_id: uuid.UUID | None
    correction_reason: str
    pdf_sha256: str
    pdf_size: int | None
    issued_at: datetime | None
    error: str
    email_to: str
    emailed_at: datetime | None
    email_error: str
    pdf_url: str
    """Where the logged-in office or engineer downloads the PDF."""


class LinkOut(Out):
    """A customer link (its token is never shown again)."""

    id: uuid.UUID
    job_id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class LinkCreated(LinkOut):
    """A new customer link: ``url`` holds the token, shown this once."""

    url: str
    token: str


class VerifyOut(Out):
    """What the server says of an uploaded PDF."""

    status: str
    """valid, tampered, untrusted, unsigned or unreadable."""
    valid: bool
    detail: str
    report_number: str
    revision: int
    content_sha256: str
    signer: str
    signed_at: str
    known: bool
    """The file is, byte for byte, a report this server issued."""
    current: bool
    """It is the job's latest revision (false: a later correction exists)."""


def report_out(r: Report) -> ReportOut:
    """The wire form of a report row."""
    return ReportOut(
        id=r.id,
        job_id=r.job_id,
        number=r.number,
        revision=r.revision,
        status=r.status.value,
        language=r.language,
        content_sha256=r.content_sha256,
        signed_content_sha256=r.signed_content_sha256,
        supersedes_id=r.supersedes_id,
        correction_reason=r.correction_reason,
        pdf_sha256=r.pdf_sha256,
        pdf_size=r.pdf_size,
        issued_at=r.issued_at,
        error=r.error,
        email_to=r.email_to,
        emailed_at=r.emailed_at,
        email_error=r.email_error,
        pdf_url=f"/api/reports/{r.id}/pdf",
    )


def link_out(link: ReportLink) -> LinkOut:
    """The wire form of a link row."""
    return LinkOut(
        id=link.id,
        job_id=link.job_id,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        last_used_at=link.last_used_at,
    )
