"""Warranty: two years from acceptance, month ends and leap days, the last covered day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.rules.warranty import (
    DEFAULT_WARRANTY_MONTHS,
    WarrantyStatus,
    add_months,
    in_warranty,
    warranty_end,
    warranty_status,
)


def test_default_warranty_is_two_years() -> None:
    assert DEFAULT_WARRANTY_MONTHS == 24


@pytest.mark.parametrize(
    ("start", "months", "result"),
    [
        (date(2024, 3, 15), 0, date(2024, 3, 15)),
        (date(2024, 3, 15), 1, date(2024, 4, 15)),
        (date(2024, 3, 15), 24, date(2026, 3, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # across a year end, clamped
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clamped to a leap February
        (date(2023, 1, 31), 1, date(2023, 2, 28)),  # clamped to a common February
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day into a common year
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # leap day into a leap year
        (date(2024, 3, 31), 1, date(2024, 4, 30)),  # 31st into a 30-day month
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),  # backwards, clamped
        (date(2024, 1, 15), -1, date(2023, 12, 15)),  # backwards across a year end
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(
    start: date, months: int, result: date
) -> None:
    assert add_months(start, months) == result


@pytest.mark.parametrize(
    ("accepted", "months", "last_covered"),
    [
        (date(2024, 3, 15), None, date(2026, 3, 14)),  # the documented example
        (date(2024, 3, 15), 24, date(2026, 3, 14)),
        (date(2024, 3, 15), 12, date(2025, 3, 14)),
        (date(2024, 1, 1), 24, date(2025, 12, 31)),  # ends on the year's last day
        (date(2024, 2, 29), 24, date(2026, 2, 27)),  # anniversary clamps to Feb 28
        (date(2024, 2, 29), 48, date(2028, 2, 28)),  # a leap anniversary exists
        (date(2023, 3, 1), 12, date(2024, 2, 29)),  # the term ends on a leap day
        (date(2024, 8, 31), 6, date(2025, 2, 27)),  # anniversary clamps to Feb 28
        (date(2024, 3, 15), 0, date(2024, 3, 14)),  # no warranty: nothing covered
    ],
)
def test_warranty_covers_through_the_day_before_the_anniversary(
    accepted: date, months: int | None, last_covered: date
) -> None:
    assert warranty_end(accepted, months) == last_covered


def test_negative_warranty_term_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        warranty_end(date(2024, 3, 15), -1)


END = warranty_end(date(2024, 3, 15))  # 2026-03-14


@pytest.mark.parametrize(
    ("end", "on", "status"),
    [
        (END, date(2024, 3, 15), WarrantyStatus.IN_WARRANTY),  # acceptance day itself
        (END, date(2025, 6, 1), WarrantyStatus.IN_WARRANTY),
        (END, date(2026, 3, 14), WarrantyStatus.IN_WARRANTY),  # last covered day
        (END, date(2026, 3, 15), WarrantyStatus.EXPIRED),  # the next day
        (END, date(2030, 1, 1), WarrantyStatus.EXPIRED),
        (None, date(2025, 6, 1), WarrantyStatus.UNKNOWN),
    ],
)
def test_warranty_status_on_a_day(end: date | None, on: date, status: WarrantyStatus) -> None:
    assert warranty_status(end, on) is status
    assert in_warranty(end, on) is (status is WarrantyStatus.IN_WARRANTY)


def test_unknown_warranty_is_chargeable() -> None:
    assert in_warranty(None, date(2025, 6, 1)) is False


@given(
    accepted=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=1, max_value=120),
)
def test_warranty_covers_acceptance_day_and_ends_before_the_anniversary(
    accepted: date, months: int
) -> None:
    end = warranty_end(accepted, months)
    assert in_warranty(end, accepted)
    assert in_warranty(end, end)
    assert not in_warranty(end, end + timedelta(days=1))
    assert end + timedelta(days=1) == add_months(accepted, months)
    # A term of n months never ends before n * 28 days nor after n * 31 days.
    assert months * 28 <= (end - accepted).days + 1 <= months * 31


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=-120, max_value=120),
)
def test_add_months_keeps_the_day_unless_the_month_is_shorter(start: date, months: int) -> None:
    moved = add_months(start, months)
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    assert moved.day == start.day or (
        moved.day < start.day and (moved + timedelta(days=1)).month != moved.month
    )
