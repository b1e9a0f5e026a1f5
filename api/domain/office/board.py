"""The dispatch board (派工看板): jobs waiting for an engineer or at risk, engineers' loads,
and a live stream of changes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from litestar import Controller, get
from litestar.channels import ChannelsPlugin
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import func, select

from api.db import Database, count_rows
from api.domain.jobs import services as jobs
from api.domain.jobs.schemas import JobFilter, JobSummary
from api.guards import OFFICE, allow, still_signed_in
from api.http import Out
from api.live import BOARD, NO_COMPRESSION
from api.models import Job, Region, Role, User
from api.security import Principal
from api.settings import Settings
from sync.rules.lifecycle import ACTIVE_STATUSES, JobStatus
from sync.rules.sla import SlaState


def keepalive_seconds() -> float:
    """How often a quiet event stream gets a comment, which keeps proxies from closing it and
    finds dead clients (``FIELDSYNC_LIVE_KEEPALIVE_SECONDS``, default 15)."""
    return float(os.environ.get("FIELDSYNC_LIVE_KEEPALIVE_SECONDS", "15"))


BOARD_ROWS = 200
"""At most this many jobs per list on the board."""
WAITING = (JobStatus.REPORTED, JobStatus.ACCEPTED, JobStatus.REOPENED)
"""Statuses of jobs that wait for a dispatcher."""


class EngineerLoad(Out):
    """An engineer on the board: region and how many active jobs they hold."""

    id: uuid.UUID
    name: str
    region: str | None
    active_jobs: int


class Board(Out):
    """What the dispatcher sees: jobs to assign, jobs at risk, and the engineers."""

    server_time: datetime
    unassigned: list[JobSummary]
    at_risk: list[JobSummary]
    """Running SLA clocks at risk or breached, the most urgent first."""
    engineers: list[EngineerLoad]
    unassigned_total: int = 0
    """How many jobs wait for an engineer: more than ``unassigned`` holds when it is full."""
    at_risk_total: int = 0
    """How many running clocks are at risk or breached: more than ``at_risk`` holds when full."""


def _next_due(job: JobSummary) -> datetime:
    """The deadline of the job's most pressing running clock (the call-back's too)."""
    clocks = (
        (job.sla.plan_due, job.sla.plan),
        (job.sla.on_site_due, job.sla.on_site),
        (job.sla.callback_due, job.sla.callback),
    )
    running = [
        due
        for due, state in clocks
        if due is not None and state in (SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED)
    ]
    return min(running, default=job.sla.on_site_due)


class BoardController(Controller):
    """The dispatch board and its live updates."""

    path = "/api/board"
    tags = ["office"]

    @get(
        "/",
        opt=allow(*OFFICE),
        operation_id="dispatchBoard",
        summary="Unassigned and at-risk jobs with SLA countdowns, engineers with their load",
    )
    async def board(self, db: Database, me: Principal, now: datetime, settings: Settings) -> Board:
        cal = settings.calendar.calendar

        async def listed(flt: JobFilter) -> tuple[list[Job], int]:
            """The oldest ``BOARD_ROWS`` jobs of ``flt`` and how many there are in all."""
            query = jobs.filtered_jobs(flt, me=me, now=now, cal=cal)
            rows = list(await session.scalars(query.order_by(Job.reported_at).limit(BOARD_ROWS)))
            full = len(rows) == BOARD_ROWS
            return rows, await count_rows(session, query) if full else len(rows)

        async with db.read() as session:
            # A reopened job that still names its last engineer is not listed here: the
            # console shows those on their own (docs/office.md), else it would show them twice.
            waiting, waiting_total = await listed(JobFilter(status=list(WAITING), unassigned=True))
            risky, risky_total = await listed(JobFilter(sla=SlaState.AT_RISK))
            breached, breached_total = await listed(JobFilter(sla=SlaState.BREACHED))
            risky += breached
            unassigned = await jobs.summaries(session, waiting, now=now, cal=cal)
            at_risk = await jobs.summaries(session, risky, now=now, cal=cal)
            load = (
                select(Job.assigned_engineer_id, func.count())
                .where(Job.status.in_(ACTIVE_STATUSES))
                .group_by(Job.assigned_engineer_id)
            )
            counts: dict[uuid.UUID | None, int] = {e: n for e, n in await session.execute(load)}
            people = await session.execute(
                select(User, Region.name)
                .outerjoin(Region, Region.id == User.region_id)
                .where(User.role == Role.ENGINEER, User.active.is_(True))
                .order_by(User.display_name)
            )
            engineers = [
                EngineerLoad(
                    id=user.id,
                    name=user.display_name,
                    region=region,
                    active_jobs=counts.get(user.id, 0),
                )
                for user, region in people
            ]
        at_risk.sort(key=_next_due)
        return Board(
            server_time=now,
            unassigned=unassigned,
            at_risk=at_risk,
            engineers=engineers,
            unassigned_total=waiting_total,
            at_risk_total=risky_total + breached_total,
        )

    @get(
        "/events",
        opt={**allow(*OFFICE), NO_COMPRESSION: True},
        operation_id="dispatchBoardEvents",
        media_type="text/event-stream",
        summary="Server-sent events: `jobs` with the ids of jobs changed by each commit",
        description=(
            "A `ready` event first; then one `jobs` event per committed change "
            '(`{"jobs": [id, …]}`), from every app process when Redis is configured; '
            "a comment every 15 s keeps the stream open. Fetch the board again on `jobs`. "
            "The stream ends once its access token expires or the session is signed out."
        ),
    )
    async def events(
        self, channels: ChannelsPlugin, db: Database, me: Principal
    ) -> ServerSentEvent:
        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async with channels.start_subscription([BOARD]) as subscriber:
                yield ServerSentEventMessage(event="ready", data="{}")
                events = subscriber.iter_events()
                # One read stays pending across keep-alives: cancelling it (as wait_for does
                # on a timeout) would close the subscription's iterator and end the stream.
                waiting = asyncio.ensure_future(anext(events))
                try:
                    while True:
                        done, _ = await asyncio.wait({waiting}, timeout=keepalive_seconds())
                        if not await still_signed_in(db, me):
                            # Signed out, revoked, disabled or expired since the stream
                            # opened: it ends, and the console reconnects with a fresh token
                            # (or, signed out, cannot).
                            return
                        if not done:
                            yield ServerSentEventMessage(data=None, comment="keep-alive")
                            continue
                        data = waiting.result()
                        waiting = asyncio.ensure_future(anext(events))
                        yield ServerSentEventMessage(event="jobs", data=data.decode())
                finally:
                    waiting.cancel()

        return ServerSentEvent(stream())
