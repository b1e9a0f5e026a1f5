"""Routes of the sync protocol (engineers' devices) and of reconciliation (the office)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, count_rows
from api.domain.sync import conflicts as reconciliation
from api.domain.sync.pull import pull
from api.domain.sync.push import RowsRefused, push
from api.guards import OFFICE, STAFF, allow
from api.http import DomainError, Offset, Out, Page, Schema, not_found
from api.models import ConflictStatus, FieldHistory, Job, Role, SyncConflict
from api.security import Principal
from api.settings import Settings
from sync import wire
from sync.cursor import BadCursor

PUSH_MAX_BYTES = 32 * 1024 * 1024
"""A push carries up to 500 mutations, signatures' strokes included."""


class SyncController(Controller):
    """The engineer app's sync: push mutations, pull the scoped change feed."""

    path = "/api/sync"
    tags = ["sync"]

    @post(
        "/push",
        opt=allow(Role.ENGINEER),
        operation_id="syncPush",
        summary="Push a batch of mutations (exactly once, in order; see docs/sync-protocol.md)",
        status_code=200,
        request_max_body_size=PUSH_MAX_BYTES,
    )
    async def push(
        self,
        data: wire.PushRequest,
        db: Database,
        me: Principal,
        now: datetime,
        settings: Settings,
        request: Request[Any, Any, Any],
    ) -> wire.PushResponse:
        if data.sent_at.tzinfo is None:
            raise DomainError("sent_at needs a time zone")
        year = now.astimezone(settings.calendar.calendar.tz).year
        blobs = request.app.state.blobs
        try:
            async with db.write(actor_id=me.user_id) as session:
                return await push(session, data, me=me, now=now, tz_year=year, blobs=blobs)
        except RowsRefused:
            pass  # rolled back: nothing of the first try stays
        async with db.write(actor_id=me.user_id) as session:
            return await push(
                session, data, me=me, now=now, tz_year=year, blobs=blobs, careful=True
            )

    @get(
        "/pull",
        opt=allow(Role.ENGINEER),
        operation_id="syncPull",
        summary="Pull the next page of the caller's change feed",
    )
    async def pull(
        self,
        db: Database,
        me: Principal,
        now: datetime,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=wire.MAX_PULL_LIMIT)] = 500,
        protocol: Annotated[int, Parameter(ge=1)] = wire.PROTOCOL,
        app_version: Annotated[str, Parameter(max_length=40)] = "",
    ) -> wire.PullResponse:
        async with db.read() as session:
            try:
                return await pull(
                    session, engineer_id=me.user_id, cursor_text=cursor, limit=limit, now=now
                )
            except BadCursor as exc:
                raise DomainError(str(exc)) from None


class ConflictOut(Out):
    """A conflict record with both sides."""

    id: uuid.UUID
    job_id: uuid.UUID
    job_number: str
    """The job's number (e.g. FS-2026-000123), as the office names jobs."""
    entity: str
    entity_id: str
    field: str
    policy: str
    reason: str
    base_value: Any
    server_value: Any
    client_value: Any
    user_id: uuid.UUID | None
    device_id: uuid.UUID | None
    device_time: datetime | None
    created_at: datetime
    status: ConflictStatus
    resolution: str
    resolved_value: Any
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None


class ResolveIn(Schema):
    """The office's decision: keep the server's value, the device's, or enter one."""

    choice: reconciliation.Choice
    value: Any = None


class ResolveManyIn(Schema):
    """One decision for several conflicts of the same kind."""

    ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=200)]
    choice: reconciliation.Choice
    value: Any = None


class HistoryEntryOut(Out):
    """A value that a merge overrode or refused."""

    id: uuid.UUID
    entity: str
    entity_id: str
    field: str
    value: Any
    outcome: str
    reason: str
    written_by: uuid.UUID | None
    device_id: uuid.UUID | None
    at: datetime


def conflict_out(c: SyncConflict, job_number: str) -> ConflictOut:
    """The wire form of a conflict."""
    return ConflictOut(
        id=c.id,
        job_id=c.job_id,
        job_number=job_number,
        entity=c.entity,
        entity_id=c.entity_id,
        field=c.field,
        policy=c.policy,
        reason=c.reason,
        base_value=c.base_value,
        server_value=c.server_value,
        client_value=c.client_value,
        user_id=c.user_id,
        device_id=c.device_id,
        device_time=c.device_time,
        created_at=c.created_at,
        status=c.status,
        resolution=c.resolution,
        resolved_value=c.resolved_value,
        resolved_by=c.resolved_by,
        resolved_at=c.resolved_at,
    )


class ConflictController(Controller):
    """The reconciliation queue."""

    path = "/api/conflicts"
    tags = ["sync"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listConflicts",
        summary="Conflict records, filtered by status, job, field, engineer and date",
    )
    async def list_conflicts(
        self,
        db: Database,
        status: Annotated[
            Literal["open", "resolved", "all"],
            Parameter(description="open (default), resolved or all"),
        ] = "open",
        job_id: uuid.UUID | None = None,
        field: Annotated[str | None, Parameter(max_length=60)] = None,
        user_id: uuid.UUID | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        order: Annotated[
            Literal["created", "decided"],
            Parameter(
                description="created (default): oldest first; decided: latest decision first "
                "(conflicts not yet decided last)"
            ),
        ] = "created",
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> Page[ConflictOut]:
        query = select(SyncConflict, Job.number).join(Job, Job.id == SyncConflict.job_id)
        if status != "all":
            query = query.where(SyncConflict.status == ConflictStatus(status))
        if job_id is not None:
            query = query.where(SyncConflict.job_id == job_id)
        if field:
            query = query.where(SyncConflict.field == field)
        if user_id is not None:
            query = query.where(SyncConflict.user_id == user_id)
        if created_from is not None:
            query = query.where(SyncConflict.created_at >= created_from)
        if created_to is not None:
            query = query.where(SyncConflict.created_at < created_to)
        sort: tuple[ColumnElement[Any], ...]
        if order == "decided":
            # NULLs (open ones, in "all") sort last on both databases only when said so.
            sort = (
                SyncConflict.resolved_at.is_(None),
                SyncConflict.resolved_at.desc(),
                SyncConflict.id.desc(),
            )
        else:
            sort = (SyncConflict.created_at.asc(), SyncConflict.id.asc())
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.execute(query.order_by(*sort).offset(offset).limit(limit))
            return Page(
                items=[conflict_out(c, number) for c, number in rows],
                total=total,
                offset=offset,
                limit=limit,
            )

    @post(
        "/{conflict_id:uuid}/resolve",
        opt=allow(*OFFICE),
        operation_id="resolveConflict",
        summary="Decide a conflict: keep the server's value, the device's, or a new one",
        status_code=200,
        raises=[NotFoundException],
    )
    async def resolve(
        self,
        conflict_id: uuid.UUID,
        data: ResolveIn,
        db: Database,
        me: Principal,
        now: datetime,
        request: Request[Any, Any, Any],
    ) -> ConflictOut:
        async with db.write(actor_id=me.user_id) as session:
            conflict = await session.get(SyncConflict, conflict_id, with_for_update=True)
            if conflict is None:
                raise not_found("conflict")
            await _decide(session, conflict, data, me=me, now=now, request=request)
            await session.flush()
            return conflict_out(conflict, await _job_number(session, conflict.job_id))

    @post(
        "/resolve",
        opt=allow(*OFFICE),
        operation_id="resolveConflicts",
        summary="Decide several conflicts of the same field at once",
        status_code=200,
        raises=[NotFoundException],
    )
    async def resolve_many(
        self,
        data: ResolveManyIn,
        db: Database,
        me: Principal,
        now: datetime,
        request: Request[Any, Any, Any],
    ) -> list[ConflictOut]:
        async with db.write(actor_id=me.user_id) as session:
            # By job (the lock order), then in the order the conflicts arose: their ids are
            # random, and deciding a job's status conflicts for the device must end at the
            # device's last move, not at whichever move drew the largest id.
            rows = list(
                await session.scalars(
                    select(SyncConflict)
                    .where(SyncConflict.id.in_(data.ids))
                    .order_by(SyncConflict.job_id, SyncConflict.created_at, SyncConflict.id)
                    .with_for_update()
                )
            )
            if len(rows) != len(set(data.ids)):
                raise not_found("conflict")
            if len({(c.entity, c.field) for c in rows}) > 1:
                raise DomainError("resolve conflicts of one field at a time")
            # Every job, in id order, before any part line or van, as a push takes them:
            # deciding one conflict at a time would hold the first job's van while waiting
            # for the next job.
            jobs = sorted({c.job_id for c in rows})
            await session.execute(
                select(Job.id).where(Job.id.in_(jobs)).order_by(Job.id).with_for_update()
            )
            for conflict in rows:
                await _decide(session, conflict, data, me=me, now=now, request=request)
            await session.flush()
            found = await session.execute(select(Job.id, Job.number).where(Job.id.in_(jobs)))
            numbers = {job_id: number for job_id, number in found}
            return [conflict_out(c, numbers[c.job_id]) for c in rows]


async def _job_number(session: AsyncSession, job_id: uuid.UUID) -> str:
    number = await session.scalar(select(Job.number).where(Job.id == job_id))
    return number or ""


async def _decide(
    session: AsyncSession,
    conflict: SyncConflict,
    data: ResolveIn | ResolveManyIn,
    *,
    me: Principal,
    now: datetime,
    request: Request[Any, Any, Any],
) -> None:
    """Apply the office's decision to one conflict (a kept signature's image goes to the app's
    blob store)."""
    await reconciliation.resolve(
        session,
        conflict,
        choice=data.choice,
        value=data.value,
        me=me,
        now=now,
        blobs=request.app.state.blobs,
    )


class FieldHistoryController(Controller):
    """Values that merges overrode or refused, per job."""

    path = "/api/jobs/{job_id:uuid}/field-history"
    tags = ["sync"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listFieldHistory",
        summary="Every value a merge overrode or refused on a job",
    )
    async def field_history(self, job_id: uuid.UUID, db: Database) -> list[HistoryEntryOut]:
        async with db.read() as session:
            rows = await session.scalars(
                select(FieldHistory).where(FieldHistory.job_id == job_id).order_by(FieldHistory.at)
            )
            return [
                HistoryEntryOut(
                    id=h.id,
                    entity=h.entity,
                    entity_id=h.entity_id,
                    field=h.field,
                    value=h.value,
                    outcome=h.outcome,
                    reason=h.reason,
                    written_by=h.written_by,
                    device_id=h.device_id,
                    at=h.at,
                )
                for h in rows
            ]
