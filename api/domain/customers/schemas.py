"""Wire messages of customers (客户档案), contacts, sites and assets."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from api.http import BaseVersion, Out, Schema
from sync.rules.warranty import WarrantyStatus

Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Text300 = Annotated[str, msgspec.Meta(max_length=300)]
Required200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Locale = Annotated[str, msgspec.Meta(pattern=r"^(zh-CN|en)$")]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Months = Annotated[int, msgspec.Meta(ge=0, le=600)]


class ContactIn(Schema):
    """A person to call at a customer."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Text200 = ""
    title: Text100 = ""


class ContactOut(Out):
    """A contact."""

    id: uuid.UUID
    name: str
    phone: str
    email: str
    title: str


class CustomerIn(Schema):
    """A new customer file; ``code`` is made when absent."""

    name: Required200
    code: Code | None = None
    address: Text300 = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Text200 = ""
    locale: Locale = "zh-CN"
    notes: Annotated[str, msgspec.Meta(max_length=5000)] = ""
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] = []


class CustomerPatch(Schema):
    """Changes to a customer; ``contacts``, when given, replaces the list."""

    name: Required200 | msgspec.UnsetType = msgspec.UNSET
    address: Text300 | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    email: Text200 | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    notes: Annotated[str, msgspec.Meta(max_length=5000)] | msgspec.UnsetType = msgspec.UNSET
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the record changed since."""


class CustomerOut(Out):
    """A customer file."""

    id: uuid.UUID
    code: str
    name: str
    address: str
    phone: str
    email: str
    locale: str
    notes: str
    contacts: list[ContactOut]
    version: int
    updated_at: datetime


class SiteIn(Schema):
    """A new site of a customer."""

    customer_id: uuid.UUID
    name: Required200
    address: Text300 = ""
    region_id: uuid.UUID | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    remote: bool = False


class SitePatch(Schema):
    """Changes to a site."""

    name: Required200 | msgspec.UnsetType = msgspec.UNSET
    address: Text300 | msgspec.UnsetType = msgspec.UNSET
    region_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    latitude: Latitude | msgspec.UnsetType | None = msgspec.UNSET
    longitude: Longitude | msgspec.UnsetType | None = msgspec.UNSET
    remote: bool | msgspec.UnsetType = msgspec.UNSET
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the record changed since."""


class SiteOut(Out):
    """A site."""

    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    address: str
    region_id: uuid.UUID | None
    latitude: float | None
    longitude: float | None
    remote: bool
    version: int


class AssetIn(Schema):
    """A new asset. The warranty ends two years after acceptance unless the contract says
    otherwise (``warranty_months``) or gives the end date itself (``warranty_end``)."""

    site_id: uuid.UUID
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    serial: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    name: Text200 = ""
    acceptance_date: date | None = None
    warranty_months: Months | None = None
    warranty_end: date | None = None
    contract_ref: Text100 = ""


class AssetPatch(Schema):
    """Changes to an asset. A warranty end worked out from the acceptance date and months is
    worked out again when they change; one given (a contract's date) stays unless the patch
    gives another, or removes it (``warranty_end: null``): the end is then worked out again."""

    site_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    serial: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    name: Text200 | msgspec.UnsetType = msgspec.UNSET
    acceptance_date: date | msgspec.UnsetType | None = msgspec.UNSET
    warranty_months: Months | msgspec.UnsetType | None = msgspec.UNSET
    warranty_end: date | msgspec.UnsetType | None = msgspec.UNSET
    contract_ref: Text100 | msgspec.UnsetType = msgspec.UNSET
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the record changed since."""


class AssetOut(Out):
    """An asset with its warranty status today."""

    id: uuid.UUID
    customer_id: uuid.UUID
    site_id: uuid.UUID
    name: str
    model: str
    serial: str
    acceptance_date: date | None
    warranty_months: int | None
    warranty_end: date | None
    warranty_end_given: bool
    """Whether ``warranty_end`` was given (a contract's date) rather than worked out from the
    acceptance date and months: a given end stays when those are corrected."""
    warranty_status: WarrantyStatus
    contract_ref: str
    version: int
