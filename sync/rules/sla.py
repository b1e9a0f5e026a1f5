"""The SLA clock: service standards from the company regulations, over a working-day calendar.

All inputs must be timezone-aware; results are in UTC. ``docs/sla.md`` has worked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PLAN_WITHIN = timedelta(hours=24)
"""A handling plan within 24 hours of the report (报修后24小时内给出处理方案), in elapsed hours."""
ON_SITE_WORKING_DAYS = 3
"""A local site is visited within three working days of the report."""
CALLBACK_WORKING_DAYS = 1
"""The satisfaction call-back (回访) within one working day of settlement."""

AT_RISK_MIN = timedelta(hours=2)
"""An open clock is at risk when no more than this much time is left ..."""
AT_RISK_SHARE = 0.25
"""... or no more than this share of its whole window, whichever is longer."""

_WEEKDAY_NAMES: Mapping[str, int] = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                ("mon", "monday"),
                ("tue", "tuesday"),
                ("wed", "wednesday"),
                ("thu", "thursday"),
                ("fri", "friday"),
                ("sat", "saturday"),
                ("sun", "sunday"),
            ),
            start=1,
        )
        for name in names
    }
)


def _shanghai() -> ZoneInfo:
    return ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WorkCalendar:
    """Which local dates are working days, and the time zone that days are counted in."""

    tz: ZoneInfo = field(default_factory=_shanghai)
    """The service department's time zone; days start and end at its local midnight."""
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    """Normal working weekdays, ISO numbers (1 = Monday .. 7 = Sunday)."""
    holidays: frozenset[date] = frozenset()
    """Public holidays: not worked even on a normal weekday."""
    extra_workdays: frozenset[date] = frozenset()
    """Make-up working days (调休): worked although they fall on a weekend."""

    def __post_init__(self) -> None:
        bad = sorted(d for d in self.weekdays if not 1 <= d <= 7)
        if bad:
            raise ValueError(f"weekdays must be ISO numbers 1..7, got {bad}")
        # Without a working weekday the working-day count could never end.
        if not self.weekdays:
            raise ValueError("a work calendar needs at least one working weekday")
        both = sorted(self.holidays & self.extra_workdays)
        if both:
            dates = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"dates cannot be both holiday and extra working day: {dates}")

    def is_working_day(self, d: date) -> bool:
        """Whether local date ``d`` is worked: make-up days first, then holidays, then weekday."""
        if d in self.extra_workdays:
            return True
        if d in self.holidays:
            return False
        return d.isoweekday() in self.weekdays

    @classmethod
    def from_strings(
        cls,
        tz: str = "Asia/Shanghai",
        weekdays: str = "mon,tue,wed,thu,fri",
        holidays: str = "",
        extra_workdays: str = "",
    ) -> WorkCalendar:
        """Parse settings text: an IANA zone, ``"mon,tue,..."`` and comma-separated ISO dates.

        Dates may also be inclusive ranges, ``"2026-10-01..2026-10-07"``, as holiday weeks are.
        """
        try:
            zone = ZoneInfo(tz.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {tz!r}; expected an IANA name") from None
        return cls(
            tz=zone,
            weekdays=_parse_weekdays(weekdays),
            holidays=_parse_dates("holidays", holidays),
            extra_workdays=_parse_dates("extra_workdays", extra_workdays),
        )


def years_without_holidays(cal: WorkCalendar, today: date) -> list[int]:
    """The years the calendar should hold public holidays for by ``today`` but holds none:
    this year, and from December the next (the State Council announces them by then). With
    none, the working-day clocks count Spring Festival and National Day as working days."""
    years = [today.year, today.year + 1] if today.month == 12 else [today.year]
    held = {d.year for d in cal.holidays}
    return [year for year in years if year not in held]


def _parse_weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for raw in text.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item not in _WEEKDAY_NAMES:
            raise ValueError(f"weekdays: {raw.strip()!r} is not a weekday; use mon,tue,...,sun")
        days.add(_WEEKDAY_NAMES[item])
    if not days:
        raise ValueError("weekdays: at least one working weekday is needed, e.g. mon,tue,wed")
    return frozenset(days)


def _parse_date(what: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a date in YYYY-MM-DD form") from None


def _parse_dates(what: str, text: str) -> frozenset[date]:
    days: set[date] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        first, sep, last = item.partition("..")
        start = _parse_date(what, first.strip())
        end = _parse_date(what, last.strip()) if sep else start
        if end < start:
            raise ValueError(f"{what}: range {item!r} ends before it starts")
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(days)


def _require_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing a naive datetime whose meaning would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    # UTC, because subtracting two datetimes of one ZoneInfo ignores DST changes between them.
    return value.astimezone(UTC)


def add_working_days_end(start: datetime, n: int, cal: WorkCalendar) -> datetime:
    """The end of the ``n``-th working day after ``start``'s local date, in UTC.

    Counting starts the day after the report, so a report at any hour gets whole days; the end
    of a day is the next local midnight. Reported Friday 15:00 with n=3, Mon-Fri: Wednesday
    24:00 local. A report on a weekend or holiday counts the same way.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 working day, got {n}")
    day = _require_aware("start", start).astimezone(cal.tz).date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    # fold=0 picks the first instant of the day even where midnight is skipped or repeated.
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz)
    return midnight.astimezone(UTC)


def plan_due(reported_at: datetime) -> datetime:
    """When the handling plan is due: 24 elapsed hours after the report, in UTC."""
    return _require_aware("reported_at", reported_at) + PLAN_WITHIN


def on_site_due(reported_at: datetime, cal: WorkCalendar) -> datetime:
    """When the engineer must be on site: the end of the third working day after the report."""
    _require_aware("reported_at", reported_at)  # so an error names the caller's field
    return add_working_days_end(reported_at, ON_SITE_WORKING_DAYS, cal)


def callback_due(settled_at: datetime, cal: WorkCalendar) -> datetime:
    """When the satisfaction call-back is due: the end of the next working day after settling."""
    _require_aware("settled_at", settled_at)  # so an error names the caller's field
    return add_working_days_end(settled_at, CALLBACK_WORKING_DAYS, cal)


class SlaState(StrEnum):
    """The state of one SLA clock."""

    OK = "ok"
    """Not done, and comfortably before the due time."""
    AT_RISK = "at_risk"
    """Not done, and little time left (see ``sla_state``)."""
    BREACHED = "breached"
    """Not done, and past the due time."""
    MET = "met"
    """Done at or before the due time."""
    MISSED = "missed"
    """Done, but after the due time."""


_SEVERITY: Mapping[SlaState, int] = MappingProxyType(
    {
        SlaState.MET: 0,
        SlaState.OK: 1,
        SlaState.AT_RISK: 2,
        SlaState.MISSED: 3,
        SlaState.BREACHED: 4,
    }
)


def at_risk_from(started_at: datetime, due_at: datetime) -> datetime:
    """The instant an open clock turns at risk, in UTC: max(2 h, 25% of the window) before due.

    Stored next to the due time, it lets a database filter at-risk jobs without this code.
    """
    start = _require_aware("started_at", started_at)
    due = _require_aware("due_at", due_at)
    if due < start:
        raise ValueError(
            f"due_at {due_at.isoformat()} is before started_at {started_at.isoformat()}"
        )
    return due - max(AT_RISK_MIN, (due - start) * AT_RISK_SHARE)


def sla_state(
    *, started_at: datetime, due_at: datetime, done_at: datetime | None, now: datetime
) -> SlaState:
    """The state of one clock that runs from ``started_at`` to ``due_at``.

    Done clocks are ``met`` (at or before due) or ``missed``, whatever ``now`` is. An open clock
    is ``breached`` once ``now`` is past due, ``at_risk`` when the time left is at most
    max(2 hours, 25% of the whole window), else ``ok``. Exactly at the due time it is at risk.
    """
    risk_from = at_risk_from(started_at, due_at)
    due = _require_aware("due_at", due_at)
    current = _require_aware("now", now)
    if done_at is not None:
        done = _require_aware("done_at", done_at)
        return SlaState.MET if done <= due else SlaState.MISSED
    if current > due:
        return SlaState.BREACHED
    return SlaState.AT_RISK if current >= risk_from else SlaState.OK


def worst_state(states: Iterable[SlaState | None]) -> SlaState:
    """The most serious state: breached > missed > at_risk > ok > met; ``None`` is skipped.

    A miss is already on record, so it outranks a risk that may still be avoided.
    """
    present = [s for s in states if s is not None]
    if not present:
        raise ValueError("worst_state needs at least one state")
    return max(present, key=_SEVERITY.__getitem__)


@dataclass(frozen=True, slots=True)
class JobSla:
    """The SLA clocks of one job: due times in UTC and each clock's state."""

    plan_due: datetime
    on_site_due: datetime
    callback_due: datetime | None
    """``None`` until the job is settled."""
    plan: SlaState
    on_site: SlaState
    callback: SlaState | None
    """``None`` until the job is settled."""
    worst: SlaState
    """The most serious of the clocks, by ``worst_state``."""


def compute_job_sla(
    *,
    reported_at: datetime,
    plan_given_at: datetime | None,
    arrived_at: datetime | None,
    settled_at: datetime | None,
    called_back_at: datetime | None,
    now: datetime,
    cal: WorkCalendar,
) -> JobSla:
    """All SLA clocks of one job.

    ``plan_given_at`` is when the job was first accepted (or dispatched straight away);
    ``arrived_at`` the first arrival on site; ``called_back_at`` the satisfaction call-back.
    The callback clock starts only when the job is settled.
    """
    p_due = plan_due(reported_at)
    s_due = on_site_due(reported_at, cal)
    plan = sla_state(started_at=reported_at, due_at=p_due, done_at=plan_given_at, now=now)
    on_site = sla_state(started_at=reported_at, due_at=s_due, done_at=arrived_at, now=now)
    c_due: datetime | None = None
    callback: SlaState | None = None
    if settled_at is not None:
        c_due = callback_due(settled_at, cal)
        callback = sla_state(started_at=settled_at, due_at=c_due, done_at=called_back_at, now=now)
    return JobSla(
        plan_due=p_due,
        on_site_due=s_due,
        callback_due=c_due,
        plan=plan,
        on_site=on_site,
        callback=callback,
        worst=worst_state((plan, on_site, callback)),
    )
