"""The push: a device's batch of mutations applied exactly once, in order, each on its own.

The device's last applied sequence and every result are stored in the same transaction as the
effects, so a retried push (after a lost answer, a crash, a killed server) returns the stored
results and changes nothing. A bad mutation is rejected with its reason and the rest go on.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import NewRow
from api.bulk import insert_rows
from api.domain.sync.handlers import (
    HANDLERS,
    PART_LINE_NAMES,
    Batch,
    Context,
    Rejected,
    job_id_of,
    lock_vans,
    plain_row,
    prefetch,
)
from api.feed import record_new_rows
from api.http import DomainError, is_transient
from api.media.store import BlobStore
from api.models import AuditLog, Base, Device, DeviceSync, FieldHistory, MutationLog
from api.security import Principal
from sync import wire
from sync.ids import uuid7

log = logging.getLogger("fieldsync.sync")

SKEW_LIMIT = timedelta(minutes=5)
"""A device clock further off than this is flagged for the office."""

_result_decoder = msgspec.json.Decoder(wire.MutationResult)


async def device_state(
    session: AsyncSession, me: Principal, device_id: uuid.UUID
) -> tuple[Device, DeviceSync]:
    """The caller's device and its sync row, locked for this transaction; made on the first
    push. The device is returned to be kept: the session holds loaded rows only weakly, and a
    second ``get`` of a dropped one is a second query."""
    if device_id != me.device_id:
        raise DomainError("device_id is not the device this session was issued to", status_code=403)
    device = await session.get(Device, device_id)
    if device is None or device.user_id != me.user_id:
        raise DomainError("unknown device; log in again", status_code=401)
    if device.revoked_at is not None:
        raise DomainError("this device was signed out by the office; log in again", status_code=401)
    query = select(DeviceSync).where(DeviceSync.device_id == device_id).with_for_update()
    state = (await session.execute(query)).scalar()
    if state is None:
        try:
            async with session.begin_nested():
                session.add(DeviceSync(device_id=device_id, user_id=me.user_id, last_seq=0))
        except IntegrityError:
            pass  # another push of the same device made it first; lock theirs below
        state = (await session.execute(query)).scalar_one()
    return device, state


class RowsRefused(Exception):
    """The database refused the rows of their own of a push, written together (an id used
    before, or twice in the push). The transaction is spoilt and is rolled back; the push is
    then run again from the start with every mutation through its handler, each in its own
    savepoint, so that only the offending ones are refused (see :func:`push`)."""


def _stored(entry: MutationLog) -> wire.MutationResult:
    result = _result_decoder.decode(msgspec.json.encode(entry.result))
    return msgspec.structs.replace(result, replayed=True)


async def push(
    session: AsyncSession,
    request: wire.PushRequest,
    *,
    me: Principal,
    now: datetime,
    tz_year: int,
    blobs: BlobStore | None = None,
    careful: bool = False,
) -> wire.PushResponse:
    """Apply a push inside the caller's transaction and answer it.

    Rows of their own (notes, photo records, trip-log lines) are written together at the
    end, without a savepoint: on SQLite a savepoint around them cost a fifth of the push's
    database time. Should the database refuse them, :class:`RowsRefused` is raised and the
    caller rolls back and calls again with ``careful`` (every mutation through its handler,
    each in its own savepoint); the answers are the same either way.
    """
    device, state = await device_state(session, me, request.device_id)
    offset = request.sent_at - now
    run = await _Run.start(session, state, request.mutations, careful=careful)
    ctx = _Ctx(me=me, now=now, tz_year=tz_year, blobs=blobs)
    for envelope in request.mutations:
        await _one(session, run, envelope, ctx)
    await _write_plain_rows(session, run, ctx)
    await _write_log(session, run, ctx)
    state.last_seq = run.last_seq
    state.last_push_at = now
    state.clock_offset_ms = int(offset.total_seconds() * 1000)
    state.clock_skewed = abs(offset) > SKEW_LIMIT
    state.protocol = request.protocol
    state.app_version = request.app_version[:40]
    if _device_changed(device, state):
        # The device list shows these; the exact offset of every push is in device_sync.
        # Rewriting the device row on every push put an audit entry per sync in the log.
        device.clock_offset_ms = state.clock_offset_ms
        device.app_version = state.app_version
    await session.flush()
    return wire.PushResponse(
        server_time=now,
        last_seq=state.last_seq,
        clock_offset_ms=state.clock_offset_ms,
        clock_skewed=state.clock_skewed,
        results=[answer.final for answer in run.answers],
    )


DEVICE_OFFSET_STEP_MS = 1000
"""How far a device's clock offset moves before its device row is rewritten."""


def _device_changed(device: Device, state: DeviceSync) -> bool:
    """Whether the device row's version or clock offset is out of date."""
    if device.app_version != state.app_version or device.clock_offset_ms is None:
        return True
    return abs(device.clock_offset_ms - (state.clock_offset_ms or 0)) > DEVICE_OFFSET_STEP_MS


@dataclass(frozen=True)
class _Ctx:
    """Who pushes, and when."""

    me: Principal
    now: datetime
    tz_year: int
    blobs: BlobStore | None


@dataclass
class _Answer:
    """A mutation and its result; ``logged`` False for a replay, which is logged already."""

    envelope: wire.MutationEnvelope
    result: wire.MutationResult
    job_id: uuid.UUID | None = None
    logged: bool = True
    same_as: _Answer | None = None
    """The earlier copy of this very envelope in the same push, whose result this repeats."""

    @property
    def final(self) -> wire.MutationResult:
        """The result to send (a repeated envelope's once the push has run)."""
        if self.same_as is None:
            return self.result
        return msgspec.structs.replace(self.same_as.final, replayed=True)


@dataclass
class _Plain:
    """A row of its own, applied but written at the end of the push."""

    answer: _Answer
    args: wire.Args
    row: NewRow


@dataclass
class _Run:
    """One push under way: what it read up front and what it will write at the end."""

    state: DeviceSync
    logged: dict[uuid.UUID, MutationLog]
    """Mutations of this push that the server has logged before (a retried push)."""
    seqs: dict[int, uuid.UUID]
    """Sequence numbers of this device already taken, and by which mutation."""
    batch: Batch
    last_seq: int
    answers: list[_Answer] = field(default_factory=list)
    """Every mutation's answer, in order."""
    plain: list[_Plain] = field(default_factory=list)
    """Rows of their own to write at the end (see :func:`_write_plain_rows`)."""
    seen: dict[uuid.UUID, _Answer] = field(default_factory=dict)
    """Mutation ids answered in this push, and how."""
    light: Context | None = None
    """The context lent to :func:`plain_row`, mutation after mutation."""
    careful: bool = False
    """Every mutation through its handler in its own savepoint (after :class:`RowsRefused`)."""

    @classmethod
    async def start(
        cls,
        session: AsyncSession,
        state: DeviceSync,
        envelopes: list[wire.MutationEnvelope],
        *,
        careful: bool = False,
    ) -> _Run:
        ids = [e.id for e in envelopes]
        logged = {
            m.id: m
            for m in await session.scalars(select(MutationLog).where(MutationLog.id.in_(ids)))
        }
        late = [e.seq for e in envelopes if e.seq <= state.last_seq]
        seqs: dict[int, uuid.UUID] = {}
        if late:
            rows = await session.execute(
                select(MutationLog.seq, MutationLog.id).where(
                    MutationLog.device_id == state.device_id, MutationLog.seq.in_(late)
                )
            )
            seqs = {seq: ident for seq, ident in rows}
        batch = Batch()
        await prefetch(session, batch, envelopes)
        if any(e.name in PART_LINE_NAMES for e in envelopes):
            # After the jobs, before anything else: the caller's van, and the vans of those
            # who recorded the lines the push changes.
            await lock_vans(session, {state.user_id, *batch.recorders})
        return cls(
            state=state,
            logged=logged,
            seqs=seqs,
            batch=batch,
            last_seq=state.last_seq,
            careful=careful,
        )


async def _one(
    session: AsyncSession, run: _Run, envelope: wire.MutationEnvelope, ctx: _Ctx
) -> None:
    state = run.state
    logged = run.logged.get(envelope.id)
    if logged is not None and logged.device_id == state.device_id and logged.seq == envelope.seq:
        run.answers.append(_Answer(envelope, _stored(logged), logged=False))
        return
    taken = run.seqs.get(envelope.seq)
    if envelope.seq <= run.last_seq and taken is not None and taken != envelope.id:
        # Late but unseen (a push that overtook an older one) is applied; only a sequence
        # already taken by another mutation is refused.
        reason = f"sequence {envelope.seq} was already used by another mutation"
        run.answers.append(_Answer(envelope, _rejected(envelope, reason), logged=False))
        return
    first = run.seen.get(envelope.id)
    if first is not None and first.envelope.seq == envelope.seq:
        # The same envelope twice in one push: answered as a retry of it would be.
        run.answers.append(_Answer(envelope, first.result, logged=False, same_as=first))
        return
    if logged is not None or first is not None:
        run.last_seq = max(run.last_seq, envelope.seq)
        result = wire.MutationResult(
            id=envelope.id,
            seq=envelope.seq,
            status=wire.Status.DUPLICATE,
            reason="this mutation id was applied already",
        )
        run.answers.append(_Answer(envelope, result, logged=False))
        return
    at, problem = wire.device_time(envelope)
    answer = _Answer(envelope, _rejected(envelope, problem))
    run.answers.append(answer)
    if at is not None:
        await _apply(session, run, answer, ctx)
    run.seqs[envelope.seq] = envelope.id
    run.seen[envelope.id] = answer
    run.last_seq = max(run.last_seq, envelope.seq)


async def _write_log(session: AsyncSession, run: _Run, ctx: _Ctx) -> None:
    """The mutation log, in one statement, and the refused mutations' arguments, kept where
    the office looks for overridden values, with why."""
    rows: list[dict[str, Any]] = []
    for answer in run.answers:
        if not answer.logged:
            continue
        envelope, result = answer.envelope, answer.result
        # Only a refused mutation can carry NUL characters: the arguments of any other passed
        # decoding, which refuses them, and its name is one of the catalogue's.
        clean: Any = _as_is if result.status is not wire.Status.REJECTED else wire.scrub
        rows.append(
            {
                "id": envelope.id,
                "device_id": run.state.device_id,
                "seq": envelope.seq,
                "name": clean(envelope.name[:40]),
                "job_id": answer.job_id,
                "status": result.status.value,
                "result": clean(msgspec.to_builtins(result)),
                "args": clean(envelope.args),
                "device_time": wire.device_time(envelope)[0],
                "applied_at": ctx.now,
            }
        )
        if result.status is wire.Status.REJECTED:
            session.add(
                FieldHistory(
                    job_id=answer.job_id,
                    entity="mutations",
                    entity_id=str(envelope.id),
                    field=wire.scrub(envelope.name[:60]),
                    value=wire.scrub(envelope.args),
                    outcome="rejected",
                    reason=result.reason,
                    written_by=ctx.me.user_id,
                    device_id=run.state.device_id,
                    mutation_id=envelope.id,
                )
            )
    await insert_rows(session, _table(MutationLog), rows)


async def _write_plain_rows(session: AsyncSession, run: _Run, ctx: _Ctx) -> None:
    """Write the rows of their own (notes, photo records, trip-log lines) all at once, with
    their audit entries and feed entries, as the flush hooks would one by one.

    Their jobs and engineer were checked before they were answered, and their ids, made by
    the device, are taken to be free (not read first: that query cost as much as the
    inserts). Should the database refuse one (an id used before), :class:`RowsRefused` is
    raised: the push is run again, carefully (see :func:`push`).
    """
    if not run.plain:
        return
    sync = session.sync_session
    tables: dict[type[Base], list[dict[str, Any]]] = {}
    audit: list[dict[str, Any]] = []
    seen: dict[Any, Any] = {}
    for plain in run.plain:
        row = plain.row
        tables.setdefault(row.cls, []).append(row.values)
        audit.append({"id": uuid7(), "at": ctx.now, **row.audit_insert(sync.info, seen)})
    try:
        for cls, rows in tables.items():
            await insert_rows(session, _table(cls), rows)
        await insert_rows(session, _table(AuditLog), audit)
    except IntegrityError as exc:
        if is_transient(exc):
            raise
        log.warning("rows of their own refused together (%s); the push runs again", exc.orig)
        raise RowsRefused from exc
    record_new_rows(sync, [plain.row for plain in run.plain], ctx.now)


def _as_is(value: Any) -> Any:
    return value


def _table(cls: type[Base]) -> Table:
    # Core INSERTs: the ORM's per-object work is what a big push must not pay for.
    return Base.metadata.tables[cls.__tablename__]


def _rejected(
    envelope: wire.MutationEnvelope, reason: str, code: wire.Refusal | None = None
) -> wire.MutationResult:
    return wire.MutationResult(
        id=envelope.id,
        seq=envelope.seq,
        status=wire.Status.REJECTED,
        reason=reason,
        code=None if code is None else code.value,
    )


async def _apply(session: AsyncSession, run: _Run, answer: _Answer, ctx: _Ctx) -> None:
    envelope = answer.envelope
    try:
        args = wire.decode_args(envelope)
    except wire.BadMutation as exc:
        answer.result = _rejected(envelope, str(exc))
        return
    if run.careful:
        await _careful(session, run, answer, args, ctx)
        return
    # One context serves every row of its own of the push: plain_row keeps none of it.
    light = run.light
    if light is None:
        light = run.light = _context(session, run, envelope, ctx)
    else:
        light.mutation_id, light.device_time = envelope.id, envelope.at
    row = plain_row(light, args)
    if row is not None:
        answer.result = wire.MutationResult(
            id=envelope.id, seq=envelope.seq, status=wire.Status.APPLIED
        )
        answer.job_id = getattr(args, "job_id", None)
        run.plain.append(_Plain(answer, args, row))
        return
    await _careful(session, run, answer, args, ctx)


def _context(
    session: AsyncSession, run: _Run, envelope: wire.MutationEnvelope, ctx: _Ctx
) -> Context:
    return Context(
        session=session,
        user_id=ctx.me.user_id,
        device_id=run.state.device_id,
        mutation_id=envelope.id,
        device_time=envelope.at,
        now=ctx.now,
        tz_year=ctx.tz_year,
        blobs=ctx.blobs,
        batch=run.batch,
    )


async def _careful(
    session: AsyncSession, run: _Run, answer: _Answer, args: wire.Args, ctx: _Ctx
) -> None:
    """Apply a mutation through its handler, in its own savepoint; set its answer."""
    envelope = answer.envelope
    handler_ctx = _context(session, run, envelope, ctx)
    handler = HANDLERS[type(args)]
    try:
        async with session.begin_nested():
            await handler(handler_ctx, args)
            await session.flush()
    except Rejected as exc:
        answer.result = _rejected(envelope, exc.reason, exc.code)
    except IntegrityError as exc:
        if is_transient(exc):
            raise
        log.warning("mutation %s refused by a constraint: %s", envelope.id, exc.orig)
        answer.result = _rejected(envelope, "the change clashes with stored data")
    except DBAPIError:
        # A deadlock, a lost connection, a busy database: the whole push fails and the device
        # retries it. Never answer "rejected" for a passing trouble: it would drop the work.
        raise
    except Exception:
        # A bug of ours must not block the device's queue: the mutation is refused, and its
        # arguments stay in the mutation log for the office, so the work is not lost.
        log.exception("mutation %s (%s) failed", envelope.id, envelope.name)
        answer.result = _rejected(
            envelope, "the server failed to apply this change; it is kept for the office to review"
        )
    else:
        answer.result = wire.MutationResult(
            id=envelope.id,
            seq=envelope.seq,
            status=handler_ctx.status,
            conflicts=handler_ctx.conflicts,
        )
    answer.job_id = await job_id_of(session, args)
