"""Warranty (保修期): whether a repair on a given day is free or chargeable."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

DEFAULT_WARRANTY_MONTHS = 24
"""Two years from acceptance (验收合格之日起), the usual term in the regulations."""


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, clamped to the month's last day.

    2024-01-31 + 1 month is 2024-02-29; 2024-02-29 + 12 months is 2025-02-28.
    Negative ``months`` move backwards.
    """
    years, month_index = divmod(d.month - 1 + months, 12)
    year = d.year + years
    month = month_index + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def warranty_end(acceptance_date: date, months: int | None = None) -> date:
    """The last day covered by a warranty that starts on the acceptance day.

    The acceptance day counts as the first covered day, so the term ends the day before the
    anniversary: accepted 2024-03-15 with 24 months is covered through 2026-03-14.
    """
    term = DEFAULT_WARRANTY_MONTHS if months is None else months
    if term < 0:
        raise ValueError(f"a warranty term cannot be negative, got {term} months")
    return add_months(acceptance_date, term) - timedelta(days=1)


class WarrantyStatus(StrEnum):
    """Whether work on a given day falls under warranty."""

    IN_WARRANTY = "in_warranty"
    """Covered: repairs and parts are free (保修、保换、保退)."""
    EXPIRED = "expired"
    """Past the last covered day: chargeable (保修期外)."""
    UNKNOWN = "unknown"
    """No acceptance date on record: treated as chargeable until someone records it."""


def warranty_status(warranty_end: date | None, on: date) -> WarrantyStatus:
    """The warranty status on day ``on`` given the last covered day (``None`` if unknown)."""
    if warranty_end is None:
        return WarrantyStatus.UNKNOWN
    return WarrantyStatus.IN_WARRANTY if on <= warranty_end else WarrantyStatus.EXPIRED


def in_warranty(warranty_end: date | None, on: date) -> bool:
    """Whether work on day ``on`` is free; an unknown warranty end counts as out of warranty."""
    return warranty_status(warranty_end, on) is WarrantyStatus.IN_WARRANTY
