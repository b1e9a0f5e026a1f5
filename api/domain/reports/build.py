"""The report context of a job: ORM rows in, ``pdf.context`` structs and image bytes out."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.media.access import photos_with_bytes
from api.media.store import BlobStore
from api.models import (
    Asset,
    BlobInfo,
    Customer,
    Job,
    Part,
    PartLine,
    Photo,
    RepairReceipt,
    Report,
    Satisfaction,
    SatisfactionSource,
    Signature,
    SignerRole,
    Site,
    TripEvent,
    TripKind,
    User,
)
from api.settings import Settings
from pdf import context as c
from pdf.canonical import decimal_text
from sync.rules.warranty import warranty_status

CENT = Decimal("0.01")
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


def verify_url(settings: Settings, code: str) -> str:
    """The public verification page of a report (its QR code)."""
    return f"{settings.report.public_url}/r/check/{code}"


class _Clock:
    def __init__(self, settings: Settings) -> None:
        self.tz = settings.calendar.calendar.tz
        self.name = settings.calendar.timezone

    def text(self, value: datetime | None) -> str:
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def _duration(start: datetime | None, end: datetime | None, language: str = "en") -> str:
    """Time on site in the report's language: "1 h 25 min", "1小时25分钟"."""
    if start is None or end is None or end <= start:
        return ""
    minutes = int((end - start).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if language == "zh-CN":
        return f"{hours}小时{rest}分钟" if hours else f"{rest}分钟"
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _place(latitude: float | None, longitude: float | None, fallback: str) -> str:
    if latitude is None or longitude is None:
        return fallback
    return f"{fallback} ({latitude:.5f}, {longitude:.5f})".strip()


async def _bytes(blobs: BlobStore, sha: str) -> bytes:
    # A blob the database records must be read; an error fails the render (the report may be
    # issued again), so a transient store error never prints a photo or signature as missing.
    return await blobs.read_all(sha)


def visit_times(
    trips: list[TripEvent], engineer_id: uuid.UUID | None
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """Departure, arrival and leaving of the visit the report is of (trips in device-time
    order), among the trips of the engineer the report names: the trip that ends in their last
    arrival starts at their last departure or leaving before it; the visit's arrival is the
    first after that start (resuming after waiting for parts logs another arrival on the same
    visit), and its leaving the last after the arrival. Another engineer's trips (one the job
    was taken from while working offline) and an earlier visit's (before a reopening) are not
    this visit's."""
    mine = [t for t in trips if engineer_id is None or t.engineer_id == engineer_id]
    last_arrival = max((i for i, t in enumerate(mine) if t.kind == TripKind.ARRIVED), default=None)
    if last_arrival is None:
        return None, None, None
    starts = [
        i for i, t in enumerate(mine[:last_arrival]) if t.kind in (TripKind.DEPARTED, TripKind.LEFT)
    ]
    start = starts[-1] if starts else -1
    departed = (
        mine[start].device_time if start >= 0 and mine[start].kind == TripKind.DEPARTED else None
    )
    arrival = next(
        i for i in range(start + 1, last_arrival + 1) if mine[i].kind == TripKind.ARRIVED
    )
    left = [t.device_time for t in mine[arrival + 1 :] if t.kind == TripKind.LEFT]
    return departed, mine[arrival].device_time, (left[-1] if left else None)


async def build_context(
    session: AsyncSession,
    job: Job,
    report: Report,
    *,
    settings: Settings,
    blobs: BlobStore,
    supersedes: str = "",
) -> tuple[c.ReportContext, dict[str, c.Resource]]:
    """The context of ``report`` on ``job`` and the bytes of every image it shows."""
    clock = _Clock(settings)
    resources: dict[str, c.Resource] = {}
    customer = await session.get(Customer, job.customer_id)
    if customer is None:  # a foreign key guarantees it
        raise LookupError("job without customer")
    site = await session.get(Site, job.site_id) if job.site_id else None
    asset = await session.get(Asset, job.asset_id) if job.asset_id else None
    engineer = (
        await session.get(User, job.assigned_engineer_id) if job.assigned_engineer_id else None
    )

    trips = list(
        await session.scalars(
            select(TripEvent).where(TripEvent.job_id == job.id).order_by(TripEvent.device_time)
        )
    )
    departed, arrived, left = visit_times(trips, job.assigned_engineer_id)
    if not trips:
        # Jobs recorded without a trip log (imported, or moved by the office): the job's own.
        arrived = job.arrived_at
    visit_day = (arrived or job.completed_at or job.reported_at).astimezone(clock.tz).date()

    rows = []
    totals = {"warranty": Decimal(0), "chargeable": Decimal(0)}
    lines = await session.execute(
        select(PartLine, Part)
        .join(Part, Part.id == PartLine.part_id)
        .where(PartLine.job_id == job.id, PartLine.removed_at.is_(None))
        .order_by(PartLine.created_at, PartLine.id)
    )
    for line, part in lines.all():
        # Rounded per line, as settlement does: the totals are the sums of the printed amounts.
        amount = (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)
        totals[line.billing.value] += amount
        english = report.language != "zh-CN"
        rows.append(
            c.PartRow(
                code=part.code,
                # The name the customer signed, whatever the language (docs/report-content.md).
                name=part.name,
                translation=(
                    part.name_en if english and part.name_en and part.name_en != part.name else ""
                ),
                # The unit as signed, likewise, and its English beneath it (台, then "set").
                unit=part.unit,
                unit_translation=(
                    part.unit_en if english and part.unit_en and part.unit_en != part.unit else ""
                ),
                quantity=decimal_text(format(line.quantity, "f")),
                billing=line.billing.value,
                unit_price=_money(line.unit_price),
                amount=_money(amount),
                note=line.note,
            )
        )

    photos = list(
        await session.scalars(
            select(Photo)
            .where(Photo.job_id == job.id, Photo.removed_at.is_(None))
            .order_by(Photo.created_at, Photo.id)
        )
    )
    screens = {
        b.original_sha256: b.sha256
        for b in await session.scalars(
            select(BlobInfo).where(
                BlobInfo.original_sha256.in_([p.blob_sha256 for p in photos]),
                BlobInfo.variant == "screen",
            )
        )
    }
    with_bytes = await photos_with_bytes(session, photos)
    photo_rows = []
    for photo in photos:
        src = ""
        # A record whose author never sent its bytes shows as missing (docs/media.md).
        screen = screens.get(photo.blob_sha256) if photo.id in with_bytes else None
        data = await _bytes(blobs, screen) if screen else None
        if screen and data is not None:
            src = f"fieldsync:photo/{screen}"
            resources[src] = c.Resource(data, "image/jpeg")
        photo_rows.append(c.PhotoRow(src=src, category=photo.category.value, caption=photo.caption))

    receipts = await session.scalars(
        select(RepairReceipt)
        .where(RepairReceipt.job_id == job.id)
        .order_by(RepairReceipt.taken_at, RepairReceipt.id)
    )
    rating = await session.scalar(
        select(Satisfaction)
        .where(Satisfaction.job_id == job.id, Satisfaction.source == SatisfactionSource.ON_SITE)
        .order_by(Satisfaction.at.desc())
        .limit(1)
    )
    signatures = {
        s.signer_role: s
        for s in await session.scalars(
            select(Signature).where(Signature.job_id == job.id, Signature.superseded_at.is_(None))
        )
    }

    async def signature_row(role: SignerRole) -> c.SignatureRow | None:
        sig = signatures.get(role)
        if sig is None:
            return None
        image = ""
        data = await _bytes(blobs, sig.png_sha256) if sig.png_sha256 else None
        if data is not None:
            image = f"fieldsync:signature/{sig.png_sha256}"
            resources[image] = c.Resource(data, "image/png")
        return c.SignatureRow(
            image=image,
            name=sig.signer_name,
            signed_at=clock.text(sig.device_time),
            place=_place(sig.latitude, sig.longitude, site.address if site else ""),
            located=sig.latitude is not None and sig.longitude is not None,
        )

    logo = ""
    logo_path = Path(settings.company.logo_path) if settings.company.logo_path else None
    if logo_path and logo_path.suffix.lower() in LOGO_TYPES and logo_path.is_file():
        logo = "fieldsync:logo"
        resources[logo] = c.Resource(logo_path.read_bytes(), LOGO_TYPES[logo_path.suffix.lower()])
    link = verify_url(settings, report.verify_code)
    company = settings.company
    ctx = c.ReportContext(
        language=report.language,
        company=c.Company(
            name=company.name_zh if report.language == "zh-CN" else company.name,
            address=(company.address_zh or company.address)
            if report.language == "zh-CN"
            else company.address,
            phone=company.phone,
            logo=logo,
        ),
        report=c.ReportInfo(
            number=report.number,
            revision=report.revision,
            issued_at=clock.text(report.issued_at),
            content_sha256=report.content_sha256,
            signed_content_sha256=report.signed_content_sha256,
            verify_url=link,
            qr="fieldsync:qr",
            supersedes=supersedes,
            correction_reason=report.correction_reason,
        ),
        job=c.JobInfo(
            number=job.number,
            reported_at=clock.text(job.reported_at),
            channel=job.channel.value,
            contact_name=job.contact_name,
            contact_phone=job.contact_phone,
            engineer_name=engineer.display_name if engineer else "",
            fault_description=job.fault_description,
            diagnosis=job.diagnosis,
            cause=job.cause,
            work_done=job.work_done,
            advice=job.advice,
        ),
        customer=c.Party(name=customer.name, address=customer.address, phone=customer.phone),
        site=c.Party(name=site.name, address=site.address) if site else None,
        asset=c.AssetInfo(
            name=asset.name,
            model=asset.model,
            serial=asset.serial,
            warranty_status=warranty_status(asset.warranty_end, visit_day).value,
            warranty_end=asset.warranty_end.isoformat() if asset.warranty_end else "",
        )
        if asset
        else None,
        parts=rows,
        warranty_total=_money(totals["warranty"]),
        chargeable_total=_money(totals["chargeable"]),
        currency=settings.report.currency,
        times=c.Times(
            departed_at=clock.text(departed),
            arrived_at=clock.text(arrived),
            left_at=clock.text(left),
            completed_at=clock.text(job.completed_at),
            on_site=_duration(arrived, left or job.completed_at, report.language),
            timezone=clock.name,
        ),
        photos=photo_rows,
        receipts=[
            c.ReceiptRow(
                number=r.number,
                item=r.item_description,
                serial=r.serial,
                fault=r.fault,
                accessories=r.accessories,
                promised_at=clock.text(r.promised_at),
            )
            for r in receipts
        ],
        satisfaction=c.Satisfaction(score=rating.score, remarks=rating.remarks) if rating else None,
        customer_signature=await signature_row(SignerRole.CUSTOMER),
        engineer_signature=await signature_row(SignerRole.ENGINEER),
    )
    return ctx, resources
