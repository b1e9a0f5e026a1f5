"""The report content of a job as the server holds it, in the shape a device hashes.

``content_input`` reads the same fields a device's replica holds (docs/report-content.md), so
``pdf.canonical.content_sha256`` of it equals the hash the phone computed when the customer
signed, unless something changed since.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    Asset,
    Customer,
    Job,
    Part,
    PartLine,
    Photo,
    RepairReceipt,
    Signature,
    SignerRole,
    Site,
)
from pdf.canonical import (
    AssetContent,
    ContentInput,
    CustomerContent,
    JobContent,
    PartLineContent,
    PhotoContent,
    ReceiptContent,
    SiteContent,
)


def current_customer_signature() -> ColumnElement[bool]:
    """SQL: a customer's signature of the job's current visit (not set aside when the job was
    reopened for a new visit)."""
    return and_(Signature.signer_role == SignerRole.CUSTOMER, Signature.superseded_at.is_(None))


async def customer_signature(session: AsyncSession, job_id: uuid.UUID) -> Signature | None:
    """The customer's current signature of the job, if any."""
    return await session.scalar(
        select(Signature).where(Signature.job_id == job_id, current_customer_signature())
    )


async def customer_signed(session: AsyncSession, job_id: uuid.UUID) -> str | None:
    """The content hash the customer's current signature covers (None: not signed, or the
    signature was set aside when the job was reopened for a new visit)."""
    signed: str | None = await session.scalar(
        select(Signature.content_sha256).where(
            Signature.job_id == job_id, current_customer_signature()
        )
    )
    return signed


async def content_input(session: AsyncSession, job: Job) -> ContentInput:
    """The canonical content's input fields of ``job``, read from the database."""
    customer = await session.get(Customer, job.customer_id)
    if customer is None:  # a foreign key guarantees it
        raise LookupError(f"job {job.id} has no customer")
    site = await session.get(Site, job.site_id) if job.site_id else None
    asset = await session.get(Asset, job.asset_id) if job.asset_id else None
    lines = await session.execute(
        select(PartLine, Part)
        .join(Part, Part.id == PartLine.part_id)
        .where(PartLine.job_id == job.id, PartLine.removed_at.is_(None))
    )
    photos = await session.scalars(
        select(Photo).where(Photo.job_id == job.id, Photo.removed_at.is_(None))
    )
    receipts = await session.scalars(select(RepairReceipt).where(RepairReceipt.job_id == job.id))
    return ContentInput(
        job=JobContent(
            number=job.number,
            fault_description=job.fault_description,
            diagnosis=job.diagnosis,
            cause=job.cause,
            work_done=job.work_done,
            advice=job.advice,
        ),
        customer=CustomerContent(name=customer.name),
        site=SiteContent(name=site.name, address=site.address) if site else None,
        asset=AssetContent(model=asset.model, serial=asset.serial) if asset else None,
        part_lines=[
            PartLineContent(
                id=str(line.id),
                part_code=part.code,
                part_name=part.name,
                unit=part.unit,
                quantity=format(line.quantity, "f"),
                billing=line.billing.value,
                note=line.note,
            )
            for line, part in lines.all()
        ],
        photos=[
            PhotoContent(
                id=str(p.id),
                blob_sha256=p.blob_sha256,
                category=p.category.value,
                caption=p.caption,
            )
            for p in photos
        ],
        receipts=[
            ReceiptContent(
                id=str(r.id),
                item_description=r.item_description,
                serial=r.serial,
                fault=r.fault,
                accessories=r.accessories,
            )
            for r in receipts
        ],
    )
