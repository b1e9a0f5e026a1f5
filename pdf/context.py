"""What a report template sees: plain msgspec structs, every value already text.

The API builds a :class:`ReportContext` from a job (``api.domain.reports.build``); templates
never see ORM objects, and every string here is escaped when printed. Images are named by
resource keys (``fieldsync:photo/<sha>``, ``fieldsync:qr``) that only
:class:`pdf.render.ResourceFetcher` resolves, from bytes handed over with the context.
"""

from __future__ import annotations

import msgspec


class Company(msgspec.Struct, frozen=True):
    """Who issues the report."""

    name: str
    address: str
    phone: str
    logo: str = ""
    """Resource key of the logo, or "" for none."""


class ReportInfo(msgspec.Struct, frozen=True):
    """The report's identity and its verification block."""

    number: str
    revision: int
    issued_at: str
    content_sha256: str
    signed_content_sha256: str
    """What the customer's signature covers ("" without one)."""
    verify_url: str
    qr: str
    """Resource key of the QR code of ``verify_url`` (drawn by the renderer)."""
    supersedes: str = ""
    """"RP-2026-000001 rev 1" when this revision corrects or replaces an earlier one."""
    correction_reason: str = ""


class JobInfo(msgspec.Struct, frozen=True):
    """The job and the engineer's record."""

    number: str
    reported_at: str
    channel: str
    contact_name: str
    contact_phone: str
    engineer_name: str
    fault_description: str
    diagnosis: str
    cause: str
    work_done: str
    advice: str


class Party(msgspec.Struct, frozen=True):
    """The customer or the site."""

    name: str
    address: str = ""
    phone: str = ""


class AssetInfo(msgspec.Struct, frozen=True):
    """The equipment, with its warranty on the visit date."""

    name: str
    model: str
    serial: str
    warranty_status: str
    """in_warranty, expired or unknown (a label key)."""
    warranty_end: str


class PartRow(msgspec.Struct, frozen=True):
    """A part used."""

    code: str
    name: str
    unit: str
    quantity: str
    billing: str
    """warranty or chargeable (a label key)."""
    unit_price: str
    amount: str
    note: str = ""
    """The engineer's note on the line (part of the signed content)."""
    translation: str = ""
    """The catalogue's English name, printed beneath ``name`` (which the customer signed) in
    an English report: a translation, not part of the signed content."""
    unit_translation: str = ""
    """The catalogue's English unit, printed beneath ``quantity unit`` (``unit`` is what the
    customer signed) in an English report, as ``translation`` is for the name."""


class Times(msgspec.Struct, frozen=True):
    """The trip log and time on site, formatted in the department's time zone."""

    departed_at: str = ""
    arrived_at: str = ""
    left_at: str = ""
    completed_at: str = ""
    on_site: str = ""
    """Time on site, e.g. "1 h 25 min"."""
    timezone: str = ""


class PhotoRow(msgspec.Struct, frozen=True):
    """A photo: the resource key of its 1600 px copy, or "" while its bytes are missing."""

    src: str
    category: str
    caption: str


class ReceiptRow(msgspec.Struct, frozen=True):
    """A return-for-repair receipt."""

    number: str
    item: str
    serial: str
    fault: str
    accessories: str
    promised_at: str


class SignatureRow(msgspec.Struct, frozen=True):
    """A signature: its image resource, signer, time and place."""

    image: str
    name: str
    signed_at: str
    place: str
    located: bool = True
    """Whether the phone recorded where it was signed; else ``place`` is the site's address."""


class Satisfaction(msgspec.Struct, frozen=True):
    """The rating given on site."""

    score: int
    remarks: str


class ReportContext(msgspec.Struct, frozen=True):
    """Everything one report shows."""

    language: str
    company: Company
    report: ReportInfo
    job: JobInfo
    customer: Party
    site: Party | None
    asset: AssetInfo | None
    parts: list[PartRow]
    warranty_total: str
    chargeable_total: str
    currency: str
    times: Times
    photos: list[PhotoRow]
    receipts: list[ReceiptRow]
    satisfaction: Satisfaction | None
    customer_signature: SignatureRow | None
    engineer_signature: SignatureRow | None


class Resource(msgspec.Struct, frozen=True):
    """Bytes a report may embed, with their media type."""

    data: bytes
    media_type: str


class RenderJob(msgspec.Struct, frozen=True):
    """One report to render and sign, as sent to a worker process."""

    context: ReportContext
    resources: dict[str, Resource]
    pkcs12_path: str
    pkcs12_passphrase: str
