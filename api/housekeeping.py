"""Upkeep every app process does on its own, now and then, while it serves.

Today one chore: jobs cancelled a while ago leave their engineer's phone
(:func:`api.domain.jobs.services.retire_cancelled`). The chores are idempotent, so several
app processes sharing a database may all run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from api.db import Database
from api.domain.jobs.services import RETIRE_BATCH, retire_cancelled
from api.models import utcnow

log = logging.getLogger("fieldsync.housekeeping")

EVERY = timedelta(hours=1)
"""How often the chores run (and once at start-up)."""


class Housekeeping:
    """Runs the chores at start-up and every :data:`EVERY` until stopped."""

    def __init__(self, db: Database, every: timedelta = EVERY) -> None:
        self.db = db
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Run the chores now; returns how many jobs left their engineers' phones."""
        total = 0
        while True:
            async with self.db.write() as session:
                retired = await retire_cancelled(session, now=utcnow())
            total += retired
            if retired < RETIRE_BATCH:
                break
        if total:
            log.info("%d cancelled job(s) left their engineers' phones", total)
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
            except DBAPIError as exc:  # busy, unreachable, not migrated yet: next time, then
                log.warning("housekeeping skipped (%s); it runs again in %s", exc.orig, self.every)
            except Exception:
                log.exception("housekeeping failed; it runs again in %s", self.every)
            await asyncio.sleep(self.every.total_seconds())
