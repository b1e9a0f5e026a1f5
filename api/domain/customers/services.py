"""Customer files, sites and assets: creation, changes, search, and their wire forms."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.customers.schemas import (
    AssetOut,
    ContactIn,
    ContactOut,
    CustomerOut,
    SiteOut,
)
from api.error_codes import ErrorCode
from api.http import DomainError
from api.models import Asset, Contact, Customer, Site
from api.numbers import next_value
from sync.rules.warranty import warranty_end, warranty_status


def customer_out(c: Customer) -> CustomerOut:
    """The wire form of a customer (contacts must be loaded)."""
    return CustomerOut(
        id=c.id,
        code=c.code,
        name=c.name,
        address=c.address,
        phone=c.phone,
        email=c.email,
        locale=c.locale,
        notes=c.notes,
        contacts=[
            ContactOut(id=p.id, name=p.name, phone=p.phone, email=p.email, title=p.title)
            for p in c.contacts
        ],
        version=c.version,
        updated_at=c.updated_at,
    )


def site_out(s: Site) -> SiteOut:
    """The wire form of a site."""
    return SiteOut(
        id=s.id,
        customer_id=s.customer_id,
        name=s.name,
        address=s.address,
        region_id=s.region_id,
        latitude=s.latitude,
        longitude=s.longitude,
        remote=s.remote,
        version=s.version,
    )


def asset_out(a: Asset, *, today: date) -> AssetOut:
    """The wire form of an asset, with its warranty status on ``today``."""
    return AssetOut(
        id=a.id,
        customer_id=a.customer_id,
        site_id=a.site_id,
        name=a.name,
        model=a.model,
        serial=a.serial,
        acceptance_date=a.acceptance_date,
        warranty_months=a.warranty_months,
        warranty_end=a.warranty_end,
        warranty_end_given=warranty_end_given(a),
        warranty_status=warranty_status(a.warranty_end, today),
        contract_ref=a.contract_ref,
        version=a.version,
    )


def contacts_from(items: list[ContactIn]) -> list[Contact]:
    """New contact rows from their wire form."""
    return [Contact(name=i.name, phone=i.phone, email=i.email, title=i.title) for i in items]


async def new_customer_code(session: AsyncSession) -> str:
    """The next free customer code, C-000123; codes already taken (typed by hand) are skipped."""
    while True:
        code = f"C-{await next_value(session, 'customer'):06d}"
        taken = await session.scalar(select(exists().where(Customer.code == code)))
        if not taken:
            return code


def derive_warranty_end(
    acceptance: date | None, months: int | None, explicit: date | None
) -> date | None:
    """The warranty's last day: an explicit contract date wins, else acceptance + months.

    Raises :class:`DomainError` (400) when the end would fall outside the calendar.
    """
    if explicit is not None:
        return explicit
    if acceptance is None:
        return None
    try:
        return warranty_end(acceptance, months)
    except (ValueError, OverflowError):
        raise DomainError(
            f"acceptance_date {acceptance.isoformat()} plus {months or 'the usual'} months of "
            "warranty falls outside the calendar; check the date",
            code=ErrorCode.DATE_OUT_OF_RANGE,
            params={"date": acceptance.isoformat()},
        ) from None


def warranty_end_given(asset: Asset) -> bool:
    """Whether the asset's warranty end was given (a contract's date) rather than worked out
    from its acceptance date and months: a given end stays when those change."""
    if asset.warranty_end is None:
        return False
    try:
        derived = derive_warranty_end(asset.acceptance_date, asset.warranty_months, None)
    except DomainError:
        return True
    return asset.warranty_end != derived
