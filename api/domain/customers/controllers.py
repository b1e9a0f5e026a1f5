"""Routes of customers, sites and assets (office staff)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.db import Database, count_rows
from api.domain.customers import services
from api.domain.customers.schemas import (
    AssetIn,
    AssetOut,
    AssetPatch,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    SiteIn,
    SiteOut,
    SitePatch,
)
from api.error_codes import ErrorCode
from api.guards import OFFICE, STAFF, allow
from api.http import (
    DomainError,
    Offset,
    Page,
    SearchText,
    apply_patch,
    check_version,
    not_found,
    text_search,
)
from api.models import Asset, Customer, Site, utcnow
from api.security import Principal

Limit = Annotated[int, Parameter(ge=1, le=200)]


class CustomerController(Controller):
    """Customer files (客户档案) with their contacts."""

    path = "/api/customers"
    tags = ["customers"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listCustomers",
        summary="Search customers by name, code or phone",
    )
    async def list_customers(
        self, db: Database, q: SearchText = None, offset: Offset = 0, limit: Limit = 50
    ) -> Page[CustomerOut]:
        query = select(Customer)
        if q:
            query = query.where(text_search(q, Customer.name, Customer.code, Customer.phone))
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.scalars(
                query.options(selectinload(Customer.contacts))
                .order_by(Customer.name, Customer.id)
                .offset(offset)
                .limit(limit)
            )
            return Page(
                items=[services.customer_out(c) for c in rows],
                total=total,
                offset=offset,
                limit=limit,
            )

    @post("/", opt=allow(*OFFICE), operation_id="createCustomer", summary="Create a customer")
    async def create_customer(self, data: CustomerIn, db: Database, me: Principal) -> CustomerOut:
        async with db.write(actor_id=me.user_id) as session:
            customer = Customer(
                code=data.code or await services.new_customer_code(session),
                name=data.name,
                address=data.address,
                phone=data.phone,
                email=data.email,
                locale=data.locale,
                notes=data.notes,
                contacts=services.contacts_from(data.contacts),
            )
            session.add(customer)
            await session.flush()
            return services.customer_out(customer)

    @get(
        "/{customer_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getCustomer",
        summary="One customer",
        raises=[NotFoundException],
    )
    async def get_customer(self, customer_id: uuid.UUID, db: Database) -> CustomerOut:
        async with db.read() as session:
            customer = await session.get(
                Customer, customer_id, options=[selectinload(Customer.contacts)]
            )
            if customer is None:
                raise not_found("customer")
            return services.customer_out(customer)

    @patch(
        "/{customer_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateCustomer",
        summary="Change a customer",
        raises=[NotFoundException],
    )
    async def update_customer(
        self, customer_id: uuid.UUID, data: CustomerPatch, db: Database, me: Principal
    ) -> CustomerOut:
        async with db.write(actor_id=me.user_id) as session:
            customer = await session.get(
                Customer,
                customer_id,
                options=[selectinload(Customer.contacts)],
                with_for_update=True,
            )
            if customer is None:
                raise not_found("customer")
            check_version(customer, data)
            before = customer.version
            contacts = data.contacts
            data.contacts = CustomerPatch().contacts
            apply_patch(customer, data)
            if isinstance(contacts, list):
                customer.contacts = services.contacts_from(contacts)
            await session.flush()
            if isinstance(contacts, list) and customer.version == before:
                # Contacts are rows of their own, unseen by the customer's version: a new list
                # is a change of the customer all the same.
                customer.version += 1
                customer.updated_at = utcnow()
                await session.flush()
            return services.customer_out(customer)


class SiteController(Controller):
    """Sites where customers' equipment stands."""

    path = "/api/sites"
    tags = ["customers"]

    @get("/", opt=allow(*STAFF), operation_id="listSites", summary="Sites of a customer, or search")
    async def list_sites(
        self,
        db: Database,
        customer_id: uuid.UUID | None = None,
        q: SearchText = None,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> Page[SiteOut]:
        query = select(Site)
        if customer_id is not None:
            query = query.where(Site.customer_id == customer_id)
        if q:
            query = query.where(text_search(q, Site.name, Site.address))
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.scalars(
                query.order_by(Site.name, Site.id).offset(offset).limit(limit)
            )
            return Page(
                items=[services.site_out(s) for s in rows], total=total, offset=offset, limit=limit
            )

    @post(
        "/",
        opt=allow(*OFFICE),
        operation_id="createSite",
        summary="Create a site",
        raises=[NotFoundException],
    )
    async def create_site(self, data: SiteIn, db: Database, me: Principal) -> SiteOut:
        async with db.write(actor_id=me.user_id) as session:
            if await session.get(Customer, data.customer_id) is None:
                raise not_found("customer")
            site = Site(
                customer_id=data.customer_id,
                name=data.name,
                address=data.address,
                region_id=data.region_id,
                latitude=data.latitude,
                longitude=data.longitude,
                remote=data.remote,
            )
            session.add(site)
            await session.flush()
            return services.site_out(site)

    @get(
        "/{site_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getSite",
        summary="One site",
        raises=[NotFoundException],
    )
    async def get_site(self, site_id: uuid.UUID, db: Database) -> SiteOut:
        async with db.read() as session:
            site = await session.get(Site, site_id)
            if site is None:
                raise not_found("site")
            return services.site_out(site)

    @patch(
        "/{site_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateSite",
        summary="Change a site",
        raises=[NotFoundException],
    )
    async def update_site(
        self, site_id: uuid.UUID, data: SitePatch, db: Database, me: Principal
    ) -> SiteOut:
        async with db.write(actor_id=me.user_id) as session:
            site = await session.get(Site, site_id, with_for_update=True)
            if site is None:
                raise not_found("site")
            check_version(site, data)
            apply_patch(site, data)
            await session.flush()
            return services.site_out(site)


class AssetController(Controller):
    """Assets (equipment) with their warranty."""

    path = "/api/assets"
    tags = ["customers"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listAssets",
        summary="Search assets by serial, model or name; filter by customer or site",
    )
    async def list_assets(
        self,
        db: Database,
        today: date,
        customer_id: uuid.UUID | None = None,
        site_id: uuid.UUID | None = None,
        q: SearchText = None,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> Page[AssetOut]:
        query = select(Asset)
        if customer_id is not None:
            query = query.where(Asset.customer_id == customer_id)
        if site_id is not None:
            query = query.where(Asset.site_id == site_id)
        if q:
            query = query.where(text_search(q, Asset.serial, Asset.model, Asset.name))
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.scalars(
                query.order_by(Asset.model, Asset.serial).offset(offset).limit(limit)
            )
            return Page(
                items=[services.asset_out(a, today=today) for a in rows],
                total=total,
                offset=offset,
                limit=limit,
            )

    @post(
        "/",
        opt=allow(*OFFICE),
        operation_id="createAsset",
        summary="Register an asset at a site",
        raises=[NotFoundException],
    )
    async def create_asset(
        self, data: AssetIn, db: Database, me: Principal, today: date
    ) -> AssetOut:
        async with db.write(actor_id=me.user_id) as session:
            site = await session.get(Site, data.site_id)
            if site is None:
                raise not_found("site")
            asset = Asset(
                customer_id=site.customer_id,
                site_id=site.id,
                name=data.name,
                model=data.model,
                serial=data.serial,
                acceptance_date=data.acceptance_date,
                warranty_months=data.warranty_months,
                warranty_end=services.derive_warranty_end(
                    data.acceptance_date, data.warranty_months, data.warranty_end
                ),
                contract_ref=data.contract_ref,
            )
            session.add(asset)
            await session.flush()
            return services.asset_out(asset, today=today)

    @get(
        "/{asset_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getAsset",
        summary="One asset with its warranty status",
        raises=[NotFoundException],
    )
    async def get_asset(self, asset_id: uuid.UUID, db: Database, today: date) -> AssetOut:
        async with db.read() as session:
            asset = await session.get(Asset, asset_id)
            if asset is None:
                raise not_found("asset")
            return services.asset_out(asset, today=today)

    @patch(
        "/{asset_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateAsset",
        summary="Change an asset",
        raises=[NotFoundException],
    )
    async def update_asset(
        self, asset_id: uuid.UUID, data: AssetPatch, db: Database, me: Principal, today: date
    ) -> AssetOut:
        async with db.write(actor_id=me.user_id) as session:
            asset = await session.get(Asset, asset_id, with_for_update=True)
            if asset is None:
                raise not_found("asset")
            check_version(asset, data)
            given = services.warranty_end_given(asset)
            changed = apply_patch(asset, data)
            if "site_id" in changed:
                site = await session.get(Site, asset.site_id)
                if site is None:
                    raise DomainError(
                        "site not found", code=ErrorCode.NOT_FOUND, params={"what": "site"}
                    )
                asset.customer_id = site.customer_id
            # A contract's end date stays when the acceptance date or months are corrected;
            # removed (null, as for a new asset without one), the end is worked out again.
            removed = "warranty_end" in changed and asset.warranty_end is None
            corrected = "warranty_end" not in changed and bool(
                changed.keys() & {"acceptance_date", "warranty_months"}
            )
            if removed or (corrected and not given):
                asset.warranty_end = services.derive_warranty_end(
                    asset.acceptance_date, asset.warranty_months, None
                )
            await session.flush()
            return services.asset_out(asset, today=today)
