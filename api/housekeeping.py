"""Upkeep every app process does on its own, now and then, while it serves.

The chores: jobs cancelled a while ago leave their engineer's phone
(:func:`api.domain.jobs.services.retire_cancelled`); uploads abandoned unfinished are removed
(:meth:`api.media.uploads.Uploads.expire`, what ``fieldsync blobs gc`` does); automatic
reports that waited a day in vain for photo bytes are issued without them
(:meth:`api.domain.reports.services.Reports.issue_overdue`). They are idempotent, so several
app processes sharing a database may all run them. It also warns, once a year, when the
working-day calendar holds no public holidays for the year.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.db import Database
from api.domain.jobs.services import RETIRE_BATCH, retire_cancelled
from api.domain.reports.services import Reports
from api.media.uploads import Uploads
from api.models import utcnow
from sync.rules.sla import WorkCalendar, years_without_holidays

log = logging.getLogger("fieldsync.housekeeping")

EVERY = timedelta(hours=1)
"""How often the chores run (and once at start-up)."""


class Housekeeping:
    """Runs the chores at start-up and every :data:`EVERY` until stopped."""

    def __init__(
        self,
        db: Database,
        uploads: Uploads | None = None,
        every: timedelta = EVERY,
        calendar: WorkCalendar | None = None,
        reports: Reports | None = None,
    ) -> None:
        self.db = db
        self.uploads = uploads
        self.reports = reports
        self.every = every
        self.calendar = calendar
        self._warned: set[int] = set()
        """Years already warned of (once per process is enough)."""
        self._task: asyncio.Task[None] | None = None

    def check_calendar(self) -> list[int]:
        """Warn of the years the calendar holds no public holidays for; returns them."""
        if self.calendar is None:
            return []
        today = utcnow().astimezone(self.calendar.tz).date()
        missing = years_without_holidays(self.calendar, today)
        for year in sorted(set(missing) - self._warned):
            log.warning(
                "no public holidays are set for %d (FIELDSYNC_HOLIDAYS): the on-site and "
                "call-back clocks count that year's holidays as working days; enter them as "
                "the State Council announces them (docs/sla.md)",
                year,
            )
            self._warned.add(year)
        return missing

    async def run_once(self) -> int:
        """Run the chores now; returns how many jobs left their engineers' phones."""
        self.check_calendar()
        total = 0
        while True:
            async with self.db.write() as session:
                retired = await retire_cancelled(session, now=utcnow())
            total += retired
            if retired < RETIRE_BATCH:
                break
        if total:
            log.info("%d cancelled job(s) left their engineers' phones", total)
        if self.uploads is not None:
            async with self.db.write() as session:
                expired = await self.uploads.expire(session, now=utcnow())
            if expired:
                log.info("%d upload(s) abandoned unfinished were removed", expired)
        if self.reports is not None:
            started = await self.reports.issue_overdue(utcnow())
            if started:
                log.info("issuing %d report(s) that waited a day in vain for photo bytes", started)
        return total

    def start(self) -> None:
        """Start running the chores in the background."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop, abandoning a chore under way (its transaction rolls back)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except (DBAPIError, OSError, PoolTimeout) as exc:  # busy, unreachable, not migrated
                reason = exc.orig if isinstance(exc, DBAPIError) else exc
                log.warning("housekeeping skipped (%s); it runs again in %s", reason, self.every)
            except Exception:
                log.exception("housekeeping failed; it runs again in %s", self.every)
            await asyncio.sleep(self.every.total_seconds())
