"""Routes of the parts catalogue (备件) and stock: the warehouse and each engineer's van."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, count_rows
from api.error_codes import ErrorCode
from api.guards import EVERYONE, OFFICE, STAFF, allow
from api.http import (
    BaseVersion,
    Conflict,
    DomainError,
    Offset,
    Out,
    Page,
    Schema,
    SearchText,
    apply_patch,
    check_version,
    not_found,
    text_search,
)
from api.models import (
    Job,
    LocationKind,
    Part,
    Role,
    StockLevel,
    StockLocation,
    StockMovement,
)
from api.security import Principal

# msgspec cannot put bounds on Decimal; the structs check them in __post_init__ instead.
Price = Decimal
Quantity = Decimal
MAX_PRICE = Decimal("99999999.99")
MAX_QUANTITY = Decimal("1000000")
PRICE_PLACES = 2
"""Prices are kept in fen (Numeric(12, 2))."""
QUANTITY_PLACES = 3
"""Quantities are kept to a thousandth (Numeric(12, 3)): metres of cable, litres of oil."""


def _check_finite(value: Decimal, what: str) -> None:
    # Before any comparison: comparing NaN raises InvalidOperation, which would be a 500.
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")


def _check_places(value: Decimal, what: str, places: int) -> None:
    # Only after the range check: rounding a huge value would exceed Decimal's precision.
    if value != round(value, places):
        raise ValueError(f"{what} may have at most {places} decimal places, got {value}")


def check_price(price: Decimal | msgspec.UnsetType) -> None:
    """Refuse a price that is not yuan and fen from 0 to 99,999,999.99 (msgspec turns the
    error into a 400)."""
    if not isinstance(price, Decimal):
        return
    _check_finite(price, "price")
    if not (Decimal(0) <= price <= MAX_PRICE):
        raise ValueError(f"price must be between 0 and {MAX_PRICE}")
    _check_places(price, "price", PRICE_PLACES)


def check_quantity(quantity: Decimal) -> None:
    """Refuse a quantity that is not positive, absurdly large or finer than a thousandth."""
    _check_finite(quantity, "quantity")
    if not (Decimal(0) < quantity <= MAX_QUANTITY):
        raise ValueError(f"quantity must be above 0 and at most {MAX_QUANTITY}")
    _check_places(quantity, "quantity", QUANTITY_PLACES)


class PartIn(Schema):
    """A new catalogue part."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name_en: Annotated[str, msgspec.Meta(max_length=200)] = ""
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] = "pc"
    unit_en: Annotated[str, msgspec.Meta(max_length=20)] = ""
    price: Price = Decimal("0")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_price(self.price)


class PartPatch(Schema):
    """Changes to a part."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    name_en: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    unit_en: Annotated[str, msgspec.Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the part changed since."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_price(self.price)


class PartOut(Out):
    """A catalogue part."""

    id: uuid.UUID
    code: str
    name: str
    name_en: str
    unit: str
    unit_en: str
    price: Decimal
    active: bool
    version: int


class LocationOut(Out):
    """A stock location."""

    id: uuid.UUID
    kind: LocationKind
    name: str
    engineer_id: uuid.UUID | None


LocationName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class LocationIn(Schema):
    """A new warehouse (an engineer's van is made with their account)."""

    name: LocationName


class LocationPatch(Schema):
    """A location's new name."""

    name: LocationName


class LevelOut(Out):
    """How many of a part a location holds."""

    part_id: uuid.UUID
    code: str
    name: str
    name_en: str
    unit: str
    unit_en: str
    quantity: Decimal


class MovementIn(Schema):
    """Parts received (``to`` only), moved (both) or written off (``from`` only)."""

    part_id: uuid.UUID
    quantity: Quantity
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    from_location_id: uuid.UUID | None = None
    to_location_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_quantity(self.quantity)


class MovementOut(Out):
    """A recorded stock movement, with the part's code, names and units and the job's number
    (so a list of movements reads without a lookup per row)."""

    id: uuid.UUID
    part_id: uuid.UUID
    code: str
    name: str
    name_en: str
    unit: str
    unit_en: str
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    quantity: Decimal
    reason: str
    job_id: uuid.UUID | None
    job_number: str | None
    created_by: uuid.UUID | None
    created_at: datetime


def part_out(p: Part) -> PartOut:
    """The wire form of a part."""
    return PartOut(
        id=p.id,
        code=p.code,
        name=p.name,
        name_en=p.name_en,
        unit=p.unit,
        unit_en=p.unit_en,
        price=p.price,
        active=p.active,
        version=p.version,
    )


def movement_out(m: StockMovement, part: Part, job_number: str | None) -> MovementOut:
    """The wire form of a movement of ``part`` (on the job numbered ``job_number``, if any)."""
    return MovementOut(
        id=m.id,
        part_id=m.part_id,
        code=part.code,
        name=part.name,
        name_en=part.name_en,
        unit=part.unit,
        unit_en=part.unit_en,
        from_location_id=m.from_location_id,
        to_location_id=m.to_location_id,
        quantity=m.quantity,
        reason=m.reason,
        job_id=m.job_id,
        job_number=job_number,
        created_by=m.created_by,
        created_at=m.created_at,
    )


async def adjust_level(
    session: AsyncSession, location_id: uuid.UUID, part_id: uuid.UUID, delta: Decimal
) -> Decimal:
    """Add ``delta`` to a location's quantity of a part; refuses to go below zero."""
    key = (location_id, part_id)
    level = await session.get(StockLevel, key, with_for_update=True)
    if level is None:
        if delta < 0:
            raise Conflict(
                "not enough stock: the location holds 0",
                code=ErrorCode.NOT_ENOUGH_STOCK,
                params={"quantity": "0"},
            )
        try:
            # In a savepoint: when a concurrent first receipt inserted the row meanwhile, only
            # this insert is undone, and that row is read and locked instead.
            async with session.begin_nested():
                session.add(StockLevel(location_id=location_id, part_id=part_id, quantity=delta))
                await session.flush()
            return delta
        except IntegrityError:
            level = await session.get(StockLevel, key, with_for_update=True, populate_existing=True)
            if level is None:  # the clash was not on this row
                raise
    new = level.quantity + delta
    if new < 0:
        raise Conflict(
            f"not enough stock: the location holds {level.quantity}",
            code=ErrorCode.NOT_ENOUGH_STOCK,
            params={"quantity": f"{level.quantity.normalize():f}"},
        )
    level.quantity = new
    return new


async def _visible_location(
    session: AsyncSession, location_id: uuid.UUID, me: Principal
) -> StockLocation:
    location = await session.get(StockLocation, location_id)
    if location is None or (me.role == Role.ENGINEER and location.engineer_id != me.user_id):
        raise not_found("stock location")
    return location


class PartController(Controller):
    """The parts catalogue."""

    path = "/api/parts"
    tags = ["catalogue"]

    @get(
        "/",
        opt=allow(*EVERYONE),
        operation_id="listParts",
        summary="Search the parts catalogue by code or name",
    )
    async def list_parts(
        self,
        db: Database,
        q: SearchText = None,
        active: bool | None = True,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> Page[PartOut]:
        query = select(Part)
        if active is not None:
            query = query.where(Part.active == active)
        if q:
            query = query.where(text_search(q, Part.code, Part.name, Part.name_en))
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.scalars(query.order_by(Part.code).offset(offset).limit(limit))
            return Page(items=[part_out(p) for p in rows], total=total, offset=offset, limit=limit)

    @post("/", opt=allow(*OFFICE), operation_id="createPart", summary="Add a part to the catalogue")
    async def create_part(self, data: PartIn, db: Database, me: Principal) -> PartOut:
        async with db.write(actor_id=me.user_id) as session:
            part = Part(
                code=data.code,
                name=data.name,
                name_en=data.name_en,
                unit=data.unit,
                unit_en=data.unit_en,
                price=data.price,
            )
            session.add(part)
            await session.flush()
            return part_out(part)

    @patch(
        "/{part_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updatePart",
        summary="Change a part (name, unit, price, active)",
        description="With `version`, refused (409) if someone changed the part since.",
        raises=[NotFoundException],
    )
    async def update_part(
        self, part_id: uuid.UUID, data: PartPatch, db: Database, me: Principal
    ) -> PartOut:
        async with db.write(actor_id=me.user_id) as session:
            part = await session.get(Part, part_id, with_for_update=True)
            if part is None:
                raise not_found("part")
            check_version(part, data)
            apply_patch(part, data)
            await session.flush()
            return part_out(part)


def _location_out(location: StockLocation) -> LocationOut:
    return LocationOut(
        id=location.id, kind=location.kind, name=location.name, engineer_id=location.engineer_id
    )


async def _name_free(session: AsyncSession, name: str) -> None:
    """409 when another location has ``name`` (the unique index would refuse it anyway, with a
    reason that does not say which field)."""
    if not name:
        raise DomainError("a location needs a name")
    taken = await session.scalar(select(StockLocation.id).where(StockLocation.name == name))
    if taken is not None:
        raise Conflict(
            f"a stock location is already named {name!r}",
            code=ErrorCode.NAME_TAKEN,
            params={"name": name},
        )


class StockController(Controller):
    """Stock locations, levels and movements."""

    path = "/api/stock"
    tags = ["catalogue"]

    @get(
        "/locations",
        opt=allow(*EVERYONE),
        operation_id="listStockLocations",
        summary="Stock locations: all for the office, one's own van for an engineer",
    )
    async def locations(self, db: Database, me: Principal) -> list[LocationOut]:
        query = select(StockLocation).order_by(StockLocation.kind.desc(), StockLocation.name)
        if me.role == Role.ENGINEER:
            query = query.where(StockLocation.engineer_id == me.user_id)
        async with db.read() as session:
            return [_location_out(x) for x in await session.scalars(query)]

    @post(
        "/locations",
        opt=allow(*OFFICE),
        operation_id="createStockLocation",
        summary="Add a warehouse",
        description="Vans are made with each engineer's account; a name is unique (409).",
    )
    async def create_location(self, data: LocationIn, db: Database, me: Principal) -> LocationOut:
        name = data.name.strip()
        async with db.write(actor_id=me.user_id) as session:
            await _name_free(session, name)
            location = StockLocation(kind=LocationKind.WAREHOUSE, name=name)
            session.add(location)
            await session.flush()
            return _location_out(location)

    @patch(
        "/locations/{location_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="renameStockLocation",
        summary="Rename a warehouse or a van",
        raises=[NotFoundException],
    )
    async def rename_location(
        self, location_id: uuid.UUID, data: LocationPatch, db: Database, me: Principal
    ) -> LocationOut:
        async with db.write(actor_id=me.user_id) as session:
            location = await session.get(StockLocation, location_id, with_for_update=True)
            if location is None:
                raise not_found("stock location")
            name = data.name.strip()
            if name != location.name:  # the audit hook counts the version
                await _name_free(session, name)
                location.name = name
            await session.flush()
            return _location_out(location)

    @get(
        "/locations/{location_id:uuid}/levels",
        opt=allow(*EVERYONE),
        operation_id="listStockLevels",
        summary="What a location holds",
        raises=[NotFoundException],
    )
    async def levels(self, location_id: uuid.UUID, db: Database, me: Principal) -> list[LevelOut]:
        async with db.read() as session:
            await _visible_location(session, location_id, me)
            rows = await session.execute(
                select(StockLevel, Part)
                .join(Part, Part.id == StockLevel.part_id)
                .where(StockLevel.location_id == location_id, StockLevel.quantity != 0)
                .order_by(Part.code)
            )
            return [
                LevelOut(
                    part_id=p.id,
                    code=p.code,
                    name=p.name,
                    name_en=p.name_en,
                    unit=p.unit,
                    unit_en=p.unit_en,
                    quantity=lvl.quantity,
                )
                for lvl, p in rows.all()
            ]

    @post(
        "/movements",
        opt=allow(*OFFICE),
        operation_id="createStockMovement",
        summary="Receive, move or write off parts",
        raises=[NotFoundException],
    )
    async def move(self, data: MovementIn, db: Database, me: Principal) -> MovementOut:
        if data.from_location_id is None and data.to_location_id is None:
            raise DomainError("give from_location_id, to_location_id or both")
        if data.from_location_id == data.to_location_id:
            raise DomainError("from and to are the same location", code=ErrorCode.SAME_LOCATION)
        async with db.write(actor_id=me.user_id) as session:
            part = await session.get(Part, data.part_id)
            if part is None:
                raise not_found("part")
            for loc in (data.from_location_id, data.to_location_id):
                if loc is not None:
                    await _visible_location(session, loc, me)
            moves: list[tuple[uuid.UUID, Decimal]] = []
            if data.from_location_id is not None:
                moves.append((data.from_location_id, -data.quantity))
            if data.to_location_id is not None:
                moves.append((data.to_location_id, data.quantity))
            # Stock rows are locked in one order (by location), so two movements between the
            # same two places in opposite directions cannot deadlock.
            for location, delta in sorted(moves):
                await adjust_level(session, location, data.part_id, delta)
            movement = StockMovement(
                part_id=data.part_id,
                from_location_id=data.from_location_id,
                to_location_id=data.to_location_id,
                quantity=data.quantity,
                reason=data.reason,
                created_by=me.user_id,
            )
            session.add(movement)
            await session.flush()
            return movement_out(movement, part, None)

    @get(
        "/movements",
        opt=allow(*STAFF),
        operation_id="listStockMovements",
        summary="Stock movements, newest first",
    )
    async def movements(
        self,
        db: Database,
        location_id: uuid.UUID | None = None,
        part_id: uuid.UUID | None = None,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> Page[MovementOut]:
        query = select(StockMovement)
        if location_id is not None:
            query = query.where(
                or_(
                    StockMovement.from_location_id == location_id,
                    StockMovement.to_location_id == location_id,
                )
            )
        if part_id is not None:
            query = query.where(StockMovement.part_id == part_id)
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.execute(
                query.add_columns(Part, Job.number)
                .join(Part, Part.id == StockMovement.part_id)
                .outerjoin(Job, Job.id == StockMovement.job_id)
                .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return Page(
                items=[movement_out(m, p, number) for m, p, number in rows.all()],
                total=total,
                offset=offset,
                limit=limit,
            )
