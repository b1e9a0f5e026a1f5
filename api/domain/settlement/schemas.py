"""Wire shapes of the settlement (结算): lines, totals, the van check and reconciliation.

Amounts and quantities travel as decimal strings: 2 places for money, up to 3 for quantities
(the contract the office console is built against, docs/settlement.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from api.http import Out, Schema
from api.models import Billing

LineKind = Literal["part", "labour", "callout"]
"""What a settlement line bills."""

MAX_HOURS = Decimal("1000")
"""More labour hours than this on one job is a typing slip."""


class SettlementLineOut(Out):
    """One line of the settlement."""

    key: str
    """The part line id for parts, ``labour`` or ``callout`` otherwise."""
    kind: LineKind
    description: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    billing: Billing
    original_billing: Billing
    """The engineer's billing for parts; the warranty rule's for labour and call-out."""
    reason: str
    """Why a supervisor reclassified the line ("" when nobody did)."""
    changed_by: str | None
    """Display name of the supervisor who reclassified the line."""


class Totals(Out):
    """Sums of the lines by billing."""

    warranty: str
    chargeable: str
    total: str


class VanCheck(Out):
    """For one part on a job: van-sourced quantity used vs. stock moved out of a van."""

    part_code: str
    part_name: str
    used: str
    taken_from_van: str
    difference: str
    """``used`` minus ``taken_from_van``; 0 when the van's stock followed the record."""


class SettlementOut(Out):
    """A job's settlement (结算): computed until the job is settled, frozen from then on."""

    job_id: uuid.UUID
    number: str
    status: str
    customer_name: str
    in_warranty: bool
    warranty_end: date | None
    visit_date: date | None
    labour_hours: str
    labour_rate: str
    callout_fee: str
    lines: list[SettlementLineOut]
    totals: Totals
    settled_at: datetime | None
    van: list[VanCheck]


class SettlementPatch(Schema):
    """The office's changes to a settlement; ``labour_hours: null`` goes back to the default."""

    labour_hours: Decimal | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        super().__post_init__()
        hours = self.labour_hours
        if isinstance(hours, Decimal):
            # Before any comparison: comparing NaN raises, which would be a 500.
            if not hours.is_finite():
                raise ValueError(f"labour_hours must be a finite number, got {hours}")
            if not (Decimal(0) <= hours <= MAX_HOURS):
                raise ValueError(f"labour_hours must be between 0 and {MAX_HOURS}")
            if hours != round(hours, 3):
                raise ValueError("labour_hours may have at most 3 decimal places")


class ReclassifyIn(Schema):
    """A supervisor's reclassification of one line, with the reason (required)."""

    billing: Billing
    reason: Annotated[str, msgspec.Meta(max_length=2000)]


class ReconciliationRow(Out):
    """One engineer's van and one part in a month: parts used on jobs vs. stock moved out."""

    engineer_id: uuid.UUID
    engineer_name: str
    part_code: str
    part_name: str
    used_on_jobs: str
    moved_out: str
    difference: str
    """``used_on_jobs`` minus ``moved_out``."""
    level: str
    """What the van holds of the part now (below zero: used beyond the van's stock)."""
