"""The domain model: every table of Fieldsync, as typed SQLAlchemy 2 mappings.

Keys are UUIDv7 (devices create records offline); times are timezone-aware UTC.
Every change to an :class:`Audited` row is written to :class:`AuditLog` by ``api.audit``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sync.ids import uuid7
from sync.rules.lifecycle import JobStatus


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        # SQLite keeps text; storing naive UTC keeps its text sortable and comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every mapped class; every change to a row goes to the audit log."""

    __audit__: bool = True
    """Whether ``api.audit`` records changes of this class."""
    __audit_exclude__: frozenset[str] = frozenset()
    """Columns whose values never enter the audit log (secrets)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, uuid.UUID: Uuid, dict[str, Any]: JsonType}


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(StrEnum):
    """What a user does in the department (岗位)."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ENGINEER = "engineer"
    QUALITY = "quality"


class Channel(StrEnum):
    """How a fault was reported (报修渠道)."""

    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"
    ON_SITE = "on_site"


class Urgency(StrEnum):
    """How urgent a fault is; critical is a major fault (重大故障) reported upward at once."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class TeamKind(StrEnum):
    """售后服务组 (service) or 维修服务组 (repair)."""

    SERVICE = "service"
    REPAIR = "repair"


class LocationKind(StrEnum):
    """A stock location: the warehouse or an engineer's van."""

    WAREHOUSE = "warehouse"
    VAN = "van"


class Billing(StrEnum):
    """Who pays for a part line: warranty (保修) or the customer (收费)."""

    WARRANTY = "warranty"
    CHARGEABLE = "chargeable"


class PartSource(StrEnum):
    """Where a used part came from."""

    VAN = "van"
    WAREHOUSE = "warehouse"
    CUSTOMER = "customer"


class TripKind(StrEnum):
    """Events of the site trip log (外出工地登记)."""

    DEPARTED = "departed"
    ARRIVED = "arrived"
    LEFT = "left"


class PhotoCategory(StrEnum):
    """What a photo shows."""

    BEFORE = "before"
    DURING = "during"
    AFTER = "after"
    DEFECT = "defect"
    NAMEPLATE = "nameplate"


class SignerRole(StrEnum):
    """Who signed."""

    CUSTOMER = "customer"
    ENGINEER = "engineer"


class ReceiptStatus(StrEnum):
    """Where an item taken back for repair is (客户产品返修)."""

    TAKEN = "taken"
    IN_WORKSHOP = "in_workshop"
    RETURNED = "returned"
    VOID = "void"
    """Withdrawn by the office: written by mistake (a duplicate, the wrong item); the item
    never came to the company."""


class SatisfactionSource(StrEnum):
    """Where a rating was given: on the engineer's phone or at the office's callback (回访)."""

    ON_SITE = "on_site"
    CALLBACK = "callback"
    LINK = "link"
    """Given by the customer on their report link's page."""


class ComplaintSeverity(StrEnum):
    """How serious a complaint is; serious ones go to the director (情节重大者)."""

    MINOR = "minor"
    MAJOR = "major"
    SERIOUS = "serious"


class ComplaintStatus(StrEnum):
    """The state of a complaint."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Audited:
    """Rows that others edit: ``version`` counts their changes, ``updated_at`` dates the last."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid7)


class Region(Audited, Base):
    """A service region; sites and engineers belong to one."""

    __tablename__ = "regions"
    id: Mapped[uuid.UUID] = _pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Team(Audited, Base):
    """A group of the department."""

    __tablename__ = "teams"
    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[TeamKind] = mapped_column(_enum(TeamKind))
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"))


class User(Audited, Base):
    """A person who logs in."""

    __tablename__ = "users"
    __audit_exclude__ = frozenset({"password_hash"})
    id: Mapped[uuid.UUID] = _pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Device(Base):
    """A phone or browser a user signed in on; holds the hash of its refresh token."""

    __tablename__ = "devices"
    __audit_exclude__ = frozenset({"refresh_hash"})
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    refresh_hash: Mapped[str] = mapped_column(String(64), index=True)
    refresh_expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    app_version: Mapped[str] = mapped_column(String(40), default="")
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)


class Customer(Audited, Base):
    """A customer file (客户档案)."""

    __tablename__ = "customers"
    id: Mapped[uuid.UUID] = _pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    notes: Mapped[str] = mapped_column(Text, default="")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.name"
    )


class Contact(Audited, Base):
    """A person to call at a customer."""

    __tablename__ = "contacts"
    id: Mapped[uuid.UUID] = _pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(100), default="")
    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Site(Audited, Base):
    """A place where a customer's equipment stands."""

    __tablename__ = "sites"
    id: Mapped[uuid.UUID] = _pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)


class Asset(Audited, Base):
    """A piece of equipment at a site, with its warranty."""

    __tablename__ = "assets"
    id: Mapped[uuid.UUID] = _pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100), index=True)
    acceptance_date: Mapped[date | None] = mapped_column(Date)
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    """Contract override of the warranty length; None means the default two years."""
    warranty_end: Mapped[date | None] = mapped_column(Date)
    """Last day covered; derived from acceptance and months unless set by contract."""
    contract_ref: Mapped[str] = mapped_column(String(100), default="")
    __table_args__ = (UniqueConstraint("model", "serial"),)


class Part(Audited, Base):
    """A catalogue part (备件)."""

    __tablename__ = "parts"
    id: Mapped[uuid.UUID] = _pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(20), default="pc")
    unit_en: Mapped[str] = mapped_column(String(20), default="")
    """The unit in English (台 → set), shown where the interface is English; empty means none."""
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockLocation(Audited, Base):
    """The warehouse or one engineer's van."""

    __tablename__ = "stock_locations"
    id: Mapped[uuid.UUID] = _pk()
    kind: Mapped[LocationKind] = mapped_column(_enum(LocationKind))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)


class StockLevel(Audited, Base):
    """How many of a part a location holds."""

    __tablename__ = "stock_levels"
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_locations.id"), primary_key=True
    )
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal("0"))


class StockMovement(Base):
    """A move of parts between locations, into a job, or a correction."""

    __tablename__ = "stock_movements"
    # The console lists movements newest first, of one location (from or to it) or all.
    __table_args__ = (
        Index("ix_stock_movements_created", "created_at", "id"),
        Index("ix_stock_movements_from", "from_location_id", "created_at"),
        Index("ix_stock_movements_to", "to_location_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = _pk()
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"), index=True)
    from_location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_locations.id"))
    to_location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    reason: Mapped[str] = mapped_column(String(200), default="")
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    part_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("part_lines.id"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Named counters for human numbers (FS-2026-000123)."""

    __tablename__ = "counters"
    __audit__ = False
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Job(Audited, Base):
    """A service job (工单) from report to close."""

    __tablename__ = "jobs"
    id: Mapped[uuid.UUID] = _pk()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"), index=True)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    fault_description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.NORMAL)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.REPORTED)
    assigned_engineer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), index=True
    )
    scheduled_at: Mapped[datetime | None]
    handling_plan: Mapped[str] = mapped_column(Text, default="")
    office_notes: Mapped[str] = mapped_column(Text, default="")
    # The SLA clock (see docs/sla.md).
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    plan_due_at: Mapped[datetime]
    on_site_due_at: Mapped[datetime]
    plan_at_risk_at: Mapped[datetime]
    on_site_at_risk_at: Mapped[datetime]
    """When each clock turns at risk (see ``sync.rules.sla.at_risk_from``), for SQL filters."""
    plan_given_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    callback_due_at: Mapped[datetime | None]
    callback_at_risk_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    # The engineer's record (诊断 / 原因 / 处理 / 注意事项).
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    work_done: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    reopened_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (
        Index("ix_jobs_status_engineer", "status", "assigned_engineer_id"),
        # The job list's order (newest first) and the period figures' two ranges.
        Index("ix_jobs_reported", "reported_at", "id"),
        Index("ix_jobs_completed", "completed_at"),
    )


class TripEvent(Base):
    """One line of the site trip log (外出工地登记)."""

    __tablename__ = "trip_events"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TripKind] = mapped_column(_enum(TripKind))
    device_time: Mapped[datetime]
    server_time: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)


class PartLine(Audited, Base):
    """A part used on a job."""

    __tablename__ = "part_lines"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    billing: Mapped[Billing] = mapped_column(_enum(Billing))
    source: Mapped[PartSource] = mapped_column(_enum(PartSource), default=PartSource.VAN)
    note: Mapped[str] = mapped_column(Text, default="")
    removed_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Photo(Audited, Base):
    """A photo record; its bytes travel apart as a blob named by SHA-256."""

    __tablename__ = "photos"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[PhotoCategory] = mapped_column(_enum(PhotoCategory))
    caption: Mapped[str] = mapped_column(Text, default="")
    taken_at: Mapped[datetime | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    removed_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Signature(Base):
    """A signature drawn on the phone; write-once per visit, bound to the report content hash.

    When an unsatisfied call-back reopens the job (重新派修), its signatures are superseded:
    kept, with the time, and no longer current, so the new visit is signed afresh.
    """

    __tablename__ = "signatures"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    signer_role: Mapped[SignerRole] = mapped_column(_enum(SignerRole))
    signer_name: Mapped[str] = mapped_column(String(100))
    strokes: Mapped[dict[str, Any]] = mapped_column(JsonType)
    png_sha256: Mapped[str] = mapped_column(String(64), default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_time: Mapped[datetime]
    server_time: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    superseded_at: Mapped[datetime | None]
    """When a reopening of the job set this signature aside (None: current)."""
    __table_args__ = (
        # One current signature per role; superseded ones stay beside it.
        Index(
            "uq_signatures_current",
            "job_id",
            "signer_role",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )


class RepairReceipt(Audited, Base):
    """A return-for-repair receipt (客户产品返修收据)."""

    __tablename__ = "repair_receipts"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    item_description: Mapped[str] = mapped_column(Text)
    serial: Mapped[str] = mapped_column(String(100), default="")
    fault: Mapped[str] = mapped_column(Text, default="")
    accessories: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReceiptStatus] = mapped_column(_enum(ReceiptStatus), default=ReceiptStatus.TAKEN)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    promised_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (Index("ix_repair_receipts_taken", "taken_at", "id"),)


class ReceiptEvent(Base):
    """The product in/out log (客户产品进出登记) of a receipt."""

    __tablename__ = "receipt_events"
    id: Mapped[uuid.UUID] = _pk()
    receipt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repair_receipts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The line's place in its receipt's log (0 for the taking): the log is replayed in this
    order, which two app processes writing under the receipt's lock cannot confuse."""
    direction: Mapped[str] = mapped_column(String(8))
    """taken (from the site, by the engineer), in (to the workshop), out (back to the
    customer), undo (the latest in or out taken back); see docs/receipts.md."""
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_receipt_events_seq", "receipt_id", "seq", unique=True),)


class Satisfaction(Base):
    """A satisfaction rating (满意度), on site or at the callback."""

    __tablename__ = "satisfaction"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    source: Mapped[SatisfactionSource] = mapped_column(_enum(SatisfactionSource))
    score: Mapped[int] = mapped_column(Integer)
    remarks: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it was given (a phone's time for an on-site rating, never later than the server's)."""
    received_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    """When it reached the server: which visit an on-site rating belongs to is judged by this,
    in server order, never by a device's clock."""
    __table_args__ = (Index("ix_satisfaction_at", "at"),)


class Complaint(Audited, Base):
    """A customer complaint (投诉)."""

    __tablename__ = "complaints"
    id: Mapped[uuid.UUID] = _pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    severity: Mapped[ComplaintSeverity] = mapped_column(_enum(ComplaintSeverity))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(
        _enum(ComplaintStatus), default=ComplaintStatus.OPEN
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")


class Note(Base):
    """A free note on a job, by the office or the engineer."""

    __tablename__ = "notes"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who changed what, when: before and after of every changed field."""

    __tablename__ = "audit_log"
    __audit__ = False
    id: Mapped[uuid.UUID] = _pk()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # Read by job (a job's history). No index by entity: nothing reads the log that way yet,
    # and the entity id is a random key, so every write paid a page write for it.
    __table_args__ = (Index("ix_audit_log_job", "job_id", "at"),)


# ---- sync ------------------------------------------------------------------------------------


class Change(Base):
    """One entry of the change feed that devices pull, in commit order.

    ``seq`` is ``T << 20 | n``: ``T`` is taken from the ``feed`` counter row, whose lock the
    transaction holds until it commits, so a later ``T`` always commits later; ``n`` orders the
    changes within one transaction. A cursor already served can never be overtaken.
    """

    __tablename__ = "changes"
    __audit__ = False
    seq: Mapped[int] = mapped_column(
        # On SQLite an INTEGER PRIMARY KEY is the rowid: one B-tree per entry, not two.
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    )
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    op: Mapped[str] = mapped_column(String(8))
    """upsert or delete (a tombstone)."""
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The engineer a van's stock belongs to."""
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Pulls read the feed by seq range only (``api.domain.sync.pull``); no index by entity.


class DeviceSync(Base):
    """A device's sync state: the last applied mutation sequence and its clock."""

    __tablename__ = "device_sync"
    __audit__ = False
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_push_at: Mapped[datetime | None]
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    clock_skewed: Mapped[bool] = mapped_column(Boolean, default=False)
    protocol: Mapped[int] = mapped_column(Integer, default=1)
    app_version: Mapped[str] = mapped_column(String(40), default="")


class MutationLog(Base):
    """The result of every mutation a device pushed, kept so a retry gets the same answer."""

    __tablename__ = "mutation_log"
    __audit__ = False
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """The client-made mutation id."""
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column(JsonType)
    args: Mapped[Any] = mapped_column(JsonType, nullable=True)
    """The mutation as sent, so a refused one can still be read by the office."""
    device_time: Mapped[datetime | None]
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("device_id", "seq"),)


class ConflictStatus(StrEnum):
    """Whether a person has decided a conflict."""

    OPEN = "open"
    RESOLVED = "resolved"


class SyncConflict(Audited, Base):
    """A clash that needs a person: both values kept until the office decides."""

    __tablename__ = "sync_conflicts"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    field: Mapped[str] = mapped_column(String(60))
    policy: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    base_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    server_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    client_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_time: Mapped[datetime | None]
    status: Mapped[ConflictStatus] = mapped_column(
        _enum(ConflictStatus), default=ConflictStatus.OPEN
    )
    resolution: Mapped[str] = mapped_column(String(10), default="")
    """server, client or value."""
    resolved_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_sync_conflicts_status", "status", "created_at"),)


class FieldHistory(Base):
    """A value a merge overrode or refused: never lost, always visible to the office."""

    __tablename__ = "field_history"
    __audit__ = False
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    """overridden (a merge replaced it), rejected (refused) or conflict (awaits a person)."""
    reason: Mapped[str] = mapped_column(Text, default="")
    written_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldWrite(Base):
    """Who last wrote each merged field (so a merge can tell the office's change from the
    engineer's own)."""

    __tablename__ = "field_writes"
    __audit__ = False
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """Who a job was assigned to, and until when: work from a former assignee is kept."""

    __tablename__ = "assignments"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


# ---- media -----------------------------------------------------------------------------------


class Upload(Base):
    """A resumable upload in progress: bytes land in a part file until the hash checks out."""

    __tablename__ = "uploads"
    __audit__ = False
    id: Mapped[uuid.UUID] = _pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    """Declared length; the bytes received so far are the part file's length."""
    purpose: Mapped[str] = mapped_column(String(16), default="photo")
    """Always photo now; uploads of ``file`` (before 0010) are completed as photos."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_uploads_user_sha", "user_id", "sha256"),)


class BlobInfo(Base):
    """A stored blob and, for photos, what it is."""

    __tablename__ = "blobs"
    __audit__ = False
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    """photo (an original), variant (a derived copy), signature (a rendered PNG) or file."""
    format: Mapped[str] = mapped_column(String(16), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    original_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    """For a variant: the original it was made from."""
    variant: Mapped[str] = mapped_column(String(16), default="")
    """For a variant: screen (1600 px) or thumb (320 px)."""
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(16), default="ready", index=True)
    """For a photo: processing (stored and checked; copies being made), ready (copies made) or
    failed (the pipeline refused it; ``error`` says why; the original is kept, never served).
    Everything else is ready."""
    error: Mapped[str] = mapped_column(Text, default="")
    """Why the pipeline refused a photo."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobHolder(Base):
    """A user who may attach a blob to their jobs' records (docs/media.md, "Who may attach").

    They sent its bytes (an upload whose hash checked), or it was on a job they could see when
    they attached it. A photo record has its bytes only when its author holds them: a hash
    alone gives nobody another's photo.
    """

    __tablename__ = "blob_holders"
    __audit__ = False
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- reports ---------------------------------------------------------------------------------


class ReportStatus(StrEnum):
    """Where a report revision stands."""

    RENDERING = "rendering"
    ISSUED = "issued"
    FAILED = "failed"


class Report(Base):
    """One revision of a job's signed service report (docs/report.md).

    Revision 1 must match what the customer signed; a later revision is a correction of the
    one it ``supersedes``, with its reason. The PDF is a blob named by ``pdf_sha256``.
    """

    __tablename__ = "reports"
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus), default=ReportStatus.RENDERING
    )
    language: Mapped[str] = mapped_column(String(10))
    content_sha256: Mapped[str] = mapped_column(String(64))
    """The canonical content hash of the job when this revision was made."""
    signed_content_sha256: Mapped[str] = mapped_column(String(64), default="")
    """What the customer's signature covers ("" when nobody signed)."""
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    verify_code: Mapped[str] = mapped_column(String(40), unique=True)
    """Random code of the public verification link printed as the QR code."""
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    pdf_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, default="")
    """Why rendering failed (status failed)."""
    issued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    email_to: Mapped[str] = mapped_column(String(200), default="")
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        UniqueConstraint("number", "revision"),
        UniqueConstraint("job_id", "revision"),
    )


class ReportLink(Base):
    """A customer's link to a job's report: only the SHA-256 of its token is kept."""

    __tablename__ = "report_links"
    __audit_exclude__ = frozenset({"token_hash"})
    id: Mapped[uuid.UUID] = _pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]


# ---- settlement (结算) -----------------------------------------------------------------------


class Settlement(Audited, Base):
    """A job's settlement header: the office's labour hours, and what settling froze.

    A table of its own rather than columns on ``jobs``: jobs travel to the engineers' phones
    in the change feed, and what the customer is charged is none of the phone's business.
    """

    __tablename__ = "settlements"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    labour_hours: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    """Set by the office; None means the default from the on-site time (docs/settlement.md)."""
    frozen_at: Mapped[datetime | None]
    """When settling froze the lines; the columns below are set then."""
    labour_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    callout_fee: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    in_warranty: Mapped[bool | None] = mapped_column(Boolean)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    visit_date: Mapped[date | None] = mapped_column(Date)


class SettlementLine(Audited, Base):
    """One settlement line of a job: before settling, a supervisor's reclassification of the
    line named by ``key``; once settled, every line as it was frozen.

    The part line itself is never changed: its billing is part of what the customer signed.
    """

    __tablename__ = "settlement_lines"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The part line id, or ``labour`` or ``callout``."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal(0))
    unit: Mapped[str] = mapped_column(String(20), default="")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    billing: Mapped[Billing] = mapped_column(_enum(Billing))
    original_billing: Mapped[Billing] = mapped_column(_enum(Billing))
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why a supervisor changed the billing ("" when nobody did)."""
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime | None]
