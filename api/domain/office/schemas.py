"""Wire shapes of the office's queues, complaints and figures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.http import AwareDatetime, BaseVersion, Out, Schema
from api.models import ComplaintSeverity, ComplaintStatus

Text = Annotated[str, msgspec.Meta(max_length=10_000)]


class ReviewFlags(Out):
    """What the supervisor should look at before approving (each true is a concern)."""

    unsigned: bool
    """No customer signature."""
    no_after_photo: bool
    """No photo of the finished work (category "after")."""
    open_conflicts: int
    """Clashes of this job still waiting in the reconciliation queue."""
    clock_skew: bool
    """A device of the engineer had its clock more than 5 minutes off at its last sync."""
    beyond_van_stock: list[str]
    """Codes of parts taken from the van although the van's stock went below zero."""
    photos_on_the_way: int = 0
    """Photos whose bytes their author has not sent yet: the report waits for them (a day at
    most, docs/report.md), and the office sees only their records meanwhile."""


class ReviewItem(Out):
    """A job completed on site, waiting for the supervisor (主管审核)."""

    id: uuid.UUID
    number: str
    status: str
    customer_name: str
    engineer_name: str | None
    completed_at: datetime | None
    signed_at: datetime | None
    review_note: str
    flags: ReviewFlags


class CallItem(Out):
    """A settled job to call back (回访)."""

    id: uuid.UUID
    number: str
    customer_name: str
    contact_name: str
    contact_phone: str
    engineer_name: str | None
    settled_at: datetime | None
    callback_due_at: datetime | None
    overdue: bool


class ComplaintIn(Schema):
    """A complaint (投诉) as the desk records it."""

    customer_id: uuid.UUID
    severity: ComplaintSeverity
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    job_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    deadline: AwareDatetime | None = None


class ComplaintPatch(Schema):
    """Changes to a complaint; absent fields stay as they are."""

    severity: ComplaintSeverity | msgspec.UnsetType = msgspec.UNSET
    owner_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    deadline: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    status: ComplaintStatus | msgspec.UnsetType = msgspec.UNSET
    resolution: Text | msgspec.UnsetType = msgspec.UNSET
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the record changed since."""


class ComplaintOut(Out):
    """A complaint with its handling."""

    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str
    job_id: uuid.UUID | None
    severity: ComplaintSeverity
    description: str
    status: ComplaintStatus
    owner_id: uuid.UUID | None
    deadline: datetime | None
    overdue: bool
    escalated_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    created_at: datetime
    version: int


class Figures(Out):
    """One month's figures for everyone or one engineer (definitions: docs/figures.md)."""

    engineer_id: uuid.UUID | None
    engineer_name: str
    jobs_reported: int
    jobs_completed: int
    response_hours: float | None
    to_site_hours: float | None
    to_fix_hours: float | None
    first_time_fix_rate: float | None
    plan_sla_rate: float | None
    site_sla_rate: float | None
    satisfaction_on_site: float | None
    satisfaction_callback: float | None
    complaints: int
    parts_cost_warranty: str
    parts_cost_chargeable: str


class MonthFigures(Out):
    """The figures of a period: the whole department and each engineer."""

    month: str
    """The period, as asked: a month ``2026-11``, a quarter ``2026-Q4`` or a year ``2026``."""
    total: Figures
    engineers: list[Figures]
