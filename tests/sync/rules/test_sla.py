"""The SLA clock: working days, holidays and make-up days, DST, and the at-risk rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.rules.sla import (
    CALLBACK_WORKING_DAYS,
    ON_SITE_WORKING_DAYS,
    PLAN_WITHIN,
    SlaState,
    WorkCalendar,
    add_working_days_end,
    at_risk_from,
    callback_due,
    compute_job_sla,
    on_site_due,
    plan_due,
    sla_state,
    worst_state,
    years_without_holidays,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
TICK = timedelta(microseconds=1)

MON_FRI = WorkCalendar()
# Modelled on the State Council's yearly notice (National Day week with two make-up days);
# illustrative data, not the official 2026 list.
CN_2026 = WorkCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),  # a Sunday, a Saturday
)
BERLIN_MON_FRI = WorkCalendar(tz=BERLIN)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A Shanghai local time."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def berlin(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Berlin local time."""
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A UTC time."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_service_standards_match_the_regulations() -> None:
    assert timedelta(hours=24) == PLAN_WITHIN
    assert ON_SITE_WORKING_DAYS == 3
    assert CALLBACK_WORKING_DAYS == 1


# --- the calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "day", "working"),
    [
        (MON_FRI, date(2026, 3, 16), True),  # Monday
        (MON_FRI, date(2026, 3, 14), False),  # Saturday
        (MON_FRI, date(2026, 3, 15), False),  # Sunday
        (CN_2026, date(2026, 10, 1), False),  # National Day, a Thursday
        (CN_2026, date(2026, 10, 5), False),  # holiday on a Monday
        (CN_2026, date(2026, 9, 27), True),  # make-up Sunday
        (CN_2026, date(2026, 10, 10), True),  # make-up Saturday
        (CN_2026, date(2026, 10, 11), False),  # the Sunday after is rest again
        (CN_2026, date(2026, 10, 8), True),  # first day back
        (WorkCalendar(weekdays=frozenset(range(1, 7))), date(2026, 3, 14), True),  # 6-day week
    ],
)
def test_working_day_follows_make_up_days_then_holidays_then_weekdays(
    cal: WorkCalendar, day: date, working: bool
) -> None:
    assert cal.is_working_day(day) is working


def test_calendar_defaults_to_shanghai_monday_to_friday() -> None:
    assert MON_FRI.tz == SHANGHAI
    assert frozenset({1, 2, 3, 4, 5}) == MON_FRI.weekdays
    assert not MON_FRI.holidays
    assert not MON_FRI.extra_workdays


def test_calendar_parses_settings_text_with_holiday_ranges() -> None:
    cal = WorkCalendar.from_strings(
        "Asia/Shanghai",
        "mon,tue,wed,thu,fri",
        "2026-10-01..2026-10-07",
        "2026-09-27, 2026-10-10",
    )
    assert cal == CN_2026


def test_calendar_parsing_ignores_case_spaces_and_empty_items() -> None:
    cal = WorkCalendar.from_strings(" Europe/Berlin ", " Mon , TUESDAY ,,sat", "", " ")
    assert cal == WorkCalendar(tz=BERLIN, weekdays=frozenset({1, 2, 6}))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Mars/Olympus", "mon", "", ""), "unknown time zone 'Mars/Olympus'"),
        (("", "mon", "", ""), "unknown time zone ''"),
        (("../../etc/passwd", "mon", "", ""), "unknown time zone"),
        (("UTC", "mon,funday", "", ""), "weekdays: 'funday' is not a weekday"),
        (("UTC", " , ", "", ""), "weekdays: at least one working weekday"),
        (("UTC", "mon", "2026-13-01", ""), "holidays: '2026-13-01' is not a date in YYYY-MM-DD"),
        (("UTC", "mon", "", "2026/10/10"), "extra_workdays: '2026/10/10' is not a date"),
        (("UTC", "mon", "2026-10-07..2026-10-01", ""), "ends before it starts"),
        (("UTC", "mon", "2026-10-01", "2026-10-01"), "both holiday and extra working day"),
    ],
)
def test_calendar_parsing_rejects_bad_settings_with_a_clear_reason(
    args: tuple[str, str, str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar.from_strings(*args)


@pytest.mark.parametrize(
    ("weekdays", "message"),
    [(frozenset({0, 1}), "ISO numbers 1..7"), (frozenset({8}), "1..7"), (frozenset(), "one")],
)
def test_calendar_rejects_impossible_weekdays(weekdays: frozenset[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(weekdays=weekdays)


# --- counting working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "cal", "due_local"),
    [
        # The regulations' example: Friday afternoon, three working days: Wednesday 24:00.
        (sh(2026, 3, 13, 15), 3, MON_FRI, sh(2026, 3, 19)),
        (sh(2026, 3, 14, 10), 3, MON_FRI, sh(2026, 3, 19)),  # reported on Saturday
        (sh(2026, 3, 15, 23, 59, 59), 3, MON_FRI, sh(2026, 3, 19)),  # late Sunday night
        (sh(2026, 3, 16), 3, MON_FRI, sh(2026, 3, 20)),  # Monday 00:00: Monday is not counted
        (sh(2026, 3, 12, 23, 59, 59), 3, MON_FRI, sh(2026, 3, 18)),  # Thursday: Fri, Mon, Tue
        (sh(2026, 3, 13, 15), 1, MON_FRI, sh(2026, 3, 17)),  # one day: Monday 24:00
        (sh(2026, 3, 13, 15), 10, MON_FRI, sh(2026, 3, 28)),  # two whole weeks
        # National Day week: seven holidays, then Thu, Fri and the make-up Saturday.
        (sh(2026, 9, 30, 10), 3, CN_2026, sh(2026, 10, 11)),
        (sh(2026, 10, 3, 9), 3, CN_2026, sh(2026, 10, 11)),  # reported on a holiday
        (sh(2026, 9, 26, 9), 3, CN_2026, sh(2026, 9, 30)),  # Saturday; the make-up Sunday counts
        (sh(2026, 9, 29, 9), 3, CN_2026, sh(2026, 10, 10)),  # Wed 9-30, Thu 10-8, Fri 10-9
        (sh(2026, 9, 30, 10), 1, CN_2026, sh(2026, 10, 9)),  # call-back after the holiday
        # Same report without the make-up days: the next Monday is the third day.
        (sh(2026, 9, 30, 10), 3, WorkCalendar(holidays=CN_2026.holidays), sh(2026, 10, 13)),
    ],
)
def test_due_is_the_local_midnight_ending_the_nth_working_day(
    start: datetime, n: int, cal: WorkCalendar, due_local: datetime
) -> None:
    due = add_working_days_end(start, n, cal)
    assert due == due_local
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "due_local"),
    [
        (utc(2026, 3, 12, 15, 59), sh(2026, 3, 18)),  # Thursday 23:59 in Shanghai
        (utc(2026, 3, 12, 16, 0), sh(2026, 3, 19)),  # already Friday 00:00 in Shanghai
    ],
)
def test_days_are_counted_in_the_calendars_zone_not_the_inputs(
    start: datetime, due_local: datetime
) -> None:
    assert add_working_days_end(start, 3, MON_FRI) == due_local


@pytest.mark.parametrize(
    ("start", "n", "due_utc"),
    [
        # Clocks go forward on Sunday 2026-03-29: the due midnight is CEST, 22:00 UTC.
        (berlin(2026, 3, 27, 15), 1, utc(2026, 3, 30, 22)),
        (berlin(2026, 3, 27, 15), 3, utc(2026, 4, 1, 22)),
        (berlin(2026, 3, 26, 15), 1, utc(2026, 3, 27, 23)),  # before the change: CET
        # Clocks go back on Sunday 2026-10-25: the due midnight is CET again, 23:00 UTC.
        (berlin(2026, 10, 23, 15), 1, utc(2026, 10, 26, 23)),
    ],
)
def test_due_midnight_follows_daylight_saving_in_the_calendars_zone(
    start: datetime, n: int, due_utc: datetime
) -> None:
    due = add_working_days_end(start, n, BERLIN_MON_FRI)
    assert due == due_utc
    assert due.astimezone(BERLIN).time() == time(0)


@pytest.mark.parametrize("n", [0, -1])
def test_working_day_count_must_be_positive(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1 working day"):
        add_working_days_end(sh(2026, 3, 13), n, MON_FRI)


def test_naive_datetime_is_refused_rather_than_guessed() -> None:
    naive = datetime(2026, 3, 13, 15)  # naive on purpose
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_working_days_end(naive, 3, MON_FRI)
    with pytest.raises(ValueError, match="reported_at must be timezone-aware"):
        plan_due(naive)
    with pytest.raises(ValueError, match="reported_at must be timezone-aware"):
        on_site_due(naive, MON_FRI)
    with pytest.raises(ValueError, match="settled_at must be timezone-aware"):
        callback_due(naive, MON_FRI)


# --- the standards --------------------------------------------------------------------------


def test_plan_is_due_24_hours_after_the_report_even_over_a_weekend() -> None:
    assert plan_due(sh(2026, 3, 13, 15)) == sh(2026, 3, 14, 15)
    assert plan_due(sh(2026, 3, 13, 15)).tzinfo is UTC


def test_plan_due_counts_elapsed_hours_across_a_dst_change() -> None:
    # Saturday 12:00 CET plus 24 real hours is Sunday 13:00 CEST, not 12:00.
    assert plan_due(berlin(2026, 3, 28, 12)) == berlin(2026, 3, 29, 13)


def test_on_site_is_due_at_the_end_of_the_third_working_day() -> None:
    assert on_site_due(sh(2026, 3, 13, 15), MON_FRI) == sh(2026, 3, 19)
    assert on_site_due(sh(2026, 9, 30, 10), CN_2026) == sh(2026, 10, 11)


def test_callback_is_due_at_the_end_of_the_next_working_day() -> None:
    assert callback_due(sh(2026, 3, 13, 17), MON_FRI) == sh(2026, 3, 17)
    assert callback_due(sh(2026, 3, 16, 9), MON_FRI) == sh(2026, 3, 18)


# --- the state of one clock -----------------------------------------------------------------

START = utc(2026, 3, 16)
DUE_72H = START + timedelta(hours=72)  # threshold 25% = 18 h
DUE_4H = START + timedelta(hours=4)  # 25% = 1 h, so the 2 h floor applies
DUE_8H = START + timedelta(hours=8)  # 25% = 2 h exactly


@pytest.mark.parametrize(
    ("due", "now", "state"),
    [
        (DUE_72H, START, SlaState.OK),
        (DUE_72H, DUE_72H - timedelta(hours=18) - TICK, SlaState.OK),
        (DUE_72H, DUE_72H - timedelta(hours=18), SlaState.AT_RISK),
        (DUE_72H, DUE_72H - TICK, SlaState.AT_RISK),
        (DUE_72H, DUE_72H, SlaState.AT_RISK),  # exactly due: still not late
        (DUE_72H, DUE_72H + TICK, SlaState.BREACHED),
        (DUE_72H, DUE_72H + timedelta(days=30), SlaState.BREACHED),
        (DUE_4H, DUE_4H - timedelta(hours=2) - TICK, SlaState.OK),
        (DUE_4H, DUE_4H - timedelta(hours=2), SlaState.AT_RISK),  # the 2-hour floor
        (DUE_8H, DUE_8H - timedelta(hours=2) - TICK, SlaState.OK),
        (DUE_8H, DUE_8H - timedelta(hours=2), SlaState.AT_RISK),
        (START, START, SlaState.AT_RISK),  # an empty window is at risk until it passes
        (START, START - timedelta(hours=3), SlaState.OK),
    ],
)
def test_open_clock_is_ok_then_at_risk_then_breached(
    due: datetime, now: datetime, state: SlaState
) -> None:
    assert sla_state(started_at=START, due_at=due, done_at=None, now=now) is state


@pytest.mark.parametrize(
    ("due", "risk_from"),
    [
        (DUE_72H, DUE_72H - timedelta(hours=18)),
        (DUE_8H, DUE_8H - timedelta(hours=2)),
        (DUE_4H, DUE_4H - timedelta(hours=2)),  # the floor, although the window is short
        (START, START - timedelta(hours=2)),
    ],
)
def test_at_risk_from_is_the_instant_the_open_clock_turns(
    due: datetime, risk_from: datetime
) -> None:
    assert at_risk_from(START, due) == risk_from
    assert at_risk_from(START, due).tzinfo is UTC
    before = sla_state(started_at=START, due_at=due, done_at=None, now=risk_from - TICK)
    at = sla_state(started_at=START, due_at=due, done_at=None, now=risk_from)
    assert (before, at) == (SlaState.OK, SlaState.AT_RISK)


@pytest.mark.parametrize(
    ("done", "now", "state"),
    [
        (DUE_72H, DUE_72H + timedelta(days=9), SlaState.MET),  # on the dot is in time
        (START + timedelta(hours=1), DUE_72H + timedelta(days=9), SlaState.MET),
        (START - timedelta(hours=1), START, SlaState.MET),  # done before the clock started
        (DUE_72H + TICK, DUE_72H + TICK, SlaState.MISSED),
        (DUE_72H + timedelta(days=2), DUE_72H + timedelta(days=9), SlaState.MISSED),
        # A done clock does not care what "now" is, even a now before it was done.
        (DUE_72H + timedelta(days=2), START, SlaState.MISSED),
    ],
)
def test_done_clock_is_met_or_missed_whatever_now_is(
    done: datetime, now: datetime, state: SlaState
) -> None:
    assert sla_state(started_at=START, due_at=DUE_72H, done_at=done, now=now) is state


def test_window_is_measured_in_elapsed_time_across_a_dst_change() -> None:
    started = berlin(2026, 3, 28, 12)
    due = berlin(2026, 3, 29, 13)  # 24 elapsed hours, 25 on the wall clock
    # Six elapsed hours (25% of 24) plus a tick before due: still ok.
    now = (due.astimezone(UTC) - timedelta(hours=6) - TICK).astimezone(BERLIN)
    assert sla_state(started_at=started, due_at=due, done_at=None, now=now) is SlaState.OK
    assert sla_state(started_at=started, due_at=due, done_at=None, now=now + TICK) is (
        SlaState.AT_RISK
    )


def test_inputs_in_different_zones_compare_as_instants() -> None:
    due = sh(2026, 3, 19)  # 2026-03-18 16:00 UTC
    done = berlin(2026, 3, 18, 17)  # 16:00 UTC, exactly on time
    state = sla_state(started_at=utc(2026, 3, 13, 7), due_at=due, done_at=done, now=due)
    assert state is SlaState.MET


@pytest.mark.parametrize("field", ["started_at", "due_at", "done_at", "now"])
def test_clock_refuses_a_naive_datetime_naming_the_field(field: str) -> None:
    args: dict[str, datetime | None] = {
        "started_at": START,
        "due_at": DUE_72H,
        "done_at": START,
        "now": START,
    }
    value = args[field]
    assert value is not None
    args[field] = value.replace(tzinfo=None)
    with pytest.raises(ValueError, match=f"{field} must be timezone-aware"):
        sla_state(**args)  # type: ignore[arg-type]


def test_clock_refuses_a_due_time_before_its_start() -> None:
    with pytest.raises(ValueError, match="is before started_at"):
        sla_state(started_at=DUE_72H, due_at=START, done_at=None, now=START)
    with pytest.raises(ValueError, match="is before started_at"):
        at_risk_from(DUE_72H, START)


# --- the worst of several clocks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "worst"),
    [
        ([SlaState.MET, SlaState.MET], SlaState.MET),
        ([SlaState.MET, SlaState.OK], SlaState.OK),
        ([SlaState.OK, SlaState.AT_RISK], SlaState.AT_RISK),
        ([SlaState.AT_RISK, SlaState.MISSED], SlaState.MISSED),
        ([SlaState.MISSED, SlaState.BREACHED, SlaState.MET], SlaState.BREACHED),
        ([None, SlaState.OK, None], SlaState.OK),
    ],
)
def test_worst_state_ranks_breached_missed_at_risk_ok_met(
    states: list[SlaState | None], worst: SlaState
) -> None:
    assert worst_state(states) is worst
    assert worst_state(reversed(states)) is worst


@pytest.mark.parametrize("states", [[], [None, None]])
def test_worst_state_of_nothing_is_an_error(states: list[SlaState | None]) -> None:
    with pytest.raises(ValueError, match="at least one state"):
        worst_state(states)


# --- all clocks of a job --------------------------------------------------------------------

REPORTED = sh(2026, 3, 13, 15)  # Friday: plan due Sat 15:00, on site due Wed 24:00


def test_new_job_has_ok_plan_and_on_site_clocks_and_no_callback() -> None:
    sla = compute_job_sla(
        reported_at=REPORTED,
        plan_given_at=None,
        arrived_at=None,
        settled_at=None,
        called_back_at=None,
        now=REPORTED + timedelta(hours=1),
        cal=MON_FRI,
    )
    assert sla.plan_due == sh(2026, 3, 14, 15)
    assert sla.on_site_due == sh(2026, 3, 19)
    assert sla.callback_due is None
    assert (sla.plan, sla.on_site, sla.callback, sla.worst) == (
        SlaState.OK,
        SlaState.OK,
        None,
        SlaState.OK,
    )


@pytest.mark.parametrize(
    ("plan_given_at", "arrived_at", "settled_at", "called_back_at", "now", "expected"),
    [
        # 19 h in without a plan: 5 h left of 24, under the 6 h (25%) line.
        (
            None,
            None,
            None,
            None,
            REPORTED + timedelta(hours=19),
            (SlaState.AT_RISK, SlaState.OK, None, SlaState.AT_RISK),
        ),
        # Everything in time, settled Tuesday, called back Wednesday.
        (
            REPORTED + timedelta(hours=2),
            sh(2026, 3, 16, 10),
            sh(2026, 3, 17, 16),
            sh(2026, 3, 18, 10),
            sh(2026, 3, 20, 9),
            (SlaState.MET, SlaState.MET, SlaState.MET, SlaState.MET),
        ),
        # A late plan outranks an on-site clock that is only at risk.
        (
            REPORTED + timedelta(hours=25),
            None,
            None,
            None,
            sh(2026, 3, 18, 12),
            (SlaState.MISSED, SlaState.AT_RISK, None, SlaState.MISSED),
        ),
        # Nobody on site by Thursday morning.
        (
            REPORTED + timedelta(hours=2),
            None,
            None,
            None,
            sh(2026, 3, 19, 8),
            (SlaState.MET, SlaState.BREACHED, None, SlaState.BREACHED),
        ),
        # Settled Friday 17:00, no call-back by Monday 20:00: 4 h left of 79 h.
        (
            REPORTED + timedelta(hours=2),
            sh(2026, 3, 16, 10),
            sh(2026, 3, 20, 17),
            None,
            sh(2026, 3, 23, 20),
            (SlaState.MET, SlaState.MET, SlaState.AT_RISK, SlaState.AT_RISK),
        ),
        # ... and a second past Monday 24:00 it is breached.
        (
            REPORTED + timedelta(hours=2),
            sh(2026, 3, 16, 10),
            sh(2026, 3, 20, 17),
            None,
            sh(2026, 3, 24, 0, 0, 1),
            (SlaState.MET, SlaState.MET, SlaState.BREACHED, SlaState.BREACHED),
        ),
    ],
)
def test_job_sla_reports_each_clock_and_the_worst(
    plan_given_at: datetime | None,
    arrived_at: datetime | None,
    settled_at: datetime | None,
    called_back_at: datetime | None,
    now: datetime,
    expected: tuple[SlaState, SlaState, SlaState | None, SlaState],
) -> None:
    sla = compute_job_sla(
        reported_at=REPORTED,
        plan_given_at=plan_given_at,
        arrived_at=arrived_at,
        settled_at=settled_at,
        called_back_at=called_back_at,
        now=now,
        cal=MON_FRI,
    )
    assert (sla.plan, sla.on_site, sla.callback, sla.worst) == expected
    if settled_at is not None:
        assert sla.callback_due == callback_due(settled_at, MON_FRI)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (sh(2026, 3, 17, 15, 44, 59), SlaState.OK),
        (sh(2026, 3, 17, 15, 45), SlaState.AT_RISK),  # 1 day 8.25 h (25% of 129 h) left
        (sh(2026, 3, 18, 23, 59, 59), SlaState.AT_RISK),
        (sh(2026, 3, 19, 0, 0, 1), SlaState.BREACHED),
    ],
)
def test_friday_report_on_site_clock_turns_at_risk_on_tuesday_afternoon(
    now: datetime, state: SlaState
) -> None:
    due = on_site_due(REPORTED, MON_FRI)
    assert sla_state(started_at=REPORTED, due_at=due, done_at=None, now=now) is state


def test_job_sla_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        compute_job_sla(
            reported_at=REPORTED,
            plan_given_at=None,
            arrived_at=None,
            settled_at=None,
            called_back_at=None,
            now=datetime(2026, 3, 14),  # naive on purpose
            cal=MON_FRI,
        )


# --- properties -----------------------------------------------------------------------------


@st.composite
def calendars_and_starts(draw: st.DrawFn) -> tuple[WorkCalendar, datetime]:
    """A calendar with holidays and make-up days near a random aware start time."""
    start = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1),  # hypothesis takes naive bounds
            max_value=datetime(2099, 12, 31),
            timezones=st.sampled_from([UTC, SHANGHAI, BERLIN, ZoneInfo("America/New_York")]),
        )
    )
    tz = draw(st.sampled_from([SHANGHAI, BERLIN]))
    weekdays = draw(st.frozensets(st.integers(1, 7), min_size=1))
    local_day = start.astimezone(tz).date()
    offsets = draw(st.lists(st.integers(-3, 40), unique=True, max_size=30))
    split = draw(st.integers(0, len(offsets)))
    days = [local_day + timedelta(days=k) for k in offsets]
    cal = WorkCalendar(
        tz=tz,
        weekdays=weekdays,
        holidays=frozenset(days[:split]),
        extra_workdays=frozenset(days[split:]),
    )
    return cal, start


@given(case=calendars_and_starts(), n=st.integers(1, 10))
def test_due_is_a_local_midnight_ending_exactly_the_nth_working_day(
    case: tuple[WorkCalendar, datetime], n: int
) -> None:
    cal, start = case
    due = add_working_days_end(start, n, cal)
    assert due.tzinfo is UTC
    assert due > start
    local = due.astimezone(cal.tz)
    assert local.time() == time(0)
    last = local.date() - timedelta(days=1)
    assert cal.is_working_day(last)
    first = start.astimezone(cal.tz).date() + timedelta(days=1)
    span = (last - first).days + 1
    counted = sum(cal.is_working_day(first + timedelta(days=k)) for k in range(span))
    assert counted == n
    assert add_working_days_end(start, n + 1, cal) > due


@given(
    window=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    a=st.timedeltas(min_value=timedelta(days=-5), max_value=timedelta(days=40)),
    b=st.timedeltas(min_value=timedelta(days=-5), max_value=timedelta(days=40)),
)
def test_an_open_clock_only_gets_worse_as_time_passes(
    window: timedelta, a: timedelta, b: timedelta
) -> None:
    order = [SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED]
    early, late = sorted((a, b))
    due = START + window
    first = sla_state(started_at=START, due_at=due, done_at=None, now=START + early)
    second = sla_state(started_at=START, due_at=due, done_at=None, now=START + late)
    assert order.index(first) <= order.index(second)


@pytest.mark.parametrize(
    ("holidays", "today", "missing"),
    [
        ((), date(2026, 5, 6), [2026]),
        ((date(2026, 10, 1),), date(2026, 5, 6), []),
        ((date(2025, 10, 1),), date(2026, 1, 2), [2026]),
        ((date(2026, 10, 1),), date(2026, 12, 1), [2027]),
        ((date(2026, 10, 1), date(2027, 2, 6)), date(2026, 12, 31), []),
        ((), date(2026, 12, 15), [2026, 2027]),
    ],
)
def test_the_years_a_calendar_lacks_holidays_for(
    holidays: tuple[date, ...], today: date, missing: list[int]
) -> None:
    cal = WorkCalendar(holidays=frozenset(holidays))
    assert years_without_holidays(cal, today) == missing
