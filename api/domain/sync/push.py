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

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.sync.handlers import HANDLERS, Batch, Context, Rejected, job_id_of, prefetch
from api.http import DomainError
from api.media.store import BlobStore
from api.models import Device, DeviceSync, FieldHistory, MutationLog
from api.security import Principal
from sync import wire

log = logging.getLogger("fieldsync.sync")

SKEW_LIMIT = timedelta(minutes=5)
"""A device clock further off than this is flagged for the office."""

_result_decoder = msgspec.json.Decoder(wire.MutationResult)


async def device_state(session: AsyncSession, me: Principal, device_id: uuid.UUID) -> DeviceSync:
    """The caller's device sync row, locked for this transaction; made on the first push."""
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
    return state


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
) -> wire.PushResponse:
    """Apply a push inside the caller's transaction and answer it."""
    state = await device_state(session, me, request.device_id)
    offset = request.sent_at - now
    run = await _Run.start(session, state, request.mutations)
    results = [
        await _one(session, run, envelope, me=me, now=now, tz_year=tz_year, blobs=blobs)
        for envelope in request.mutations
    ]
    # The mutation log and the refused values go in with one statement each.
    session.add_all(run.records)
    state.last_seq = run.last_seq
    state.last_push_at = now
    state.clock_offset_ms = int(offset.total_seconds() * 1000)
    state.clock_skewed = abs(offset) > SKEW_LIMIT
    state.protocol = request.protocol
    state.app_version = request.app_version[:40]
    device = await session.get(Device, request.device_id)
    if device is not None:
        device.clock_offset_ms = state.clock_offset_ms
        device.app_version = state.app_version
    await session.flush()
    return wire.PushResponse(
        server_time=now,
        last_seq=state.last_seq,
        clock_offset_ms=state.clock_offset_ms,
        clock_skewed=state.clock_skewed,
        results=results,
    )


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
    records: list[MutationLog | FieldHistory] = field(default_factory=list)
    seen: set[uuid.UUID] = field(default_factory=set)
    """Mutation ids answered in this push."""

    @classmethod
    async def start(
        cls, session: AsyncSession, state: DeviceSync, envelopes: list[wire.MutationEnvelope]
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
        return cls(state=state, logged=logged, seqs=seqs, batch=batch, last_seq=state.last_seq)


async def _one(
    session: AsyncSession,
    run: _Run,
    envelope: wire.MutationEnvelope,
    *,
    me: Principal,
    now: datetime,
    tz_year: int,
    blobs: BlobStore | None,
) -> wire.MutationResult:
    state = run.state
    logged = run.logged.get(envelope.id)
    if logged is not None and logged.device_id == state.device_id and logged.seq == envelope.seq:
        return _stored(logged)
    taken = run.seqs.get(envelope.seq)
    if envelope.seq <= run.last_seq and taken is not None and taken != envelope.id:
        # Late but unseen (a push that overtook an older one) is applied; only a sequence
        # already taken by another mutation is refused.
        return wire.MutationResult(
            id=envelope.id,
            seq=envelope.seq,
            status=wire.Status.REJECTED,
            reason=f"sequence {envelope.seq} was already used by another mutation",
        )
    if logged is not None or envelope.id in run.seen:
        run.last_seq = max(run.last_seq, envelope.seq)
        return wire.MutationResult(
            id=envelope.id,
            seq=envelope.seq,
            status=wire.Status.DUPLICATE,
            reason="this mutation id was applied already",
        )
    if envelope.at.tzinfo is None:
        result = _rejected(envelope, "`at` needs a time zone")
        job_id = None
    else:
        result, job_id = await _apply(
            session, run, envelope, me=me, now=now, tz_year=tz_year, blobs=blobs
        )
    if result.status is wire.Status.REJECTED:
        # A refused change is kept where the office looks for overridden values, with why.
        run.records.append(
            FieldHistory(
                job_id=job_id,
                entity="mutations",
                entity_id=str(envelope.id),
                field=wire.scrub(envelope.name[:60]),
                value=wire.scrub(envelope.args),
                outcome="rejected",
                reason=result.reason,
                written_by=me.user_id,
                device_id=state.device_id,
                mutation_id=envelope.id,
            )
        )
    run.records.append(
        MutationLog(
            id=envelope.id,
            device_id=state.device_id,
            seq=envelope.seq,
            name=wire.scrub(envelope.name[:40]),
            job_id=job_id,
            status=result.status.value,
            result=wire.scrub(msgspec.to_builtins(result)),
            args=wire.scrub(envelope.args),
            device_time=envelope.at if envelope.at.tzinfo else None,
            applied_at=now,
        )
    )
    run.seqs[envelope.seq] = envelope.id
    run.seen.add(envelope.id)
    run.last_seq = max(run.last_seq, envelope.seq)
    return result


def _transient(exc: DBAPIError) -> bool:
    """A serialisation failure or deadlock reported as an integrity error by some drivers."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in {"40001", "40P01"}


def _rejected(envelope: wire.MutationEnvelope, reason: str) -> wire.MutationResult:
    return wire.MutationResult(
        id=envelope.id, seq=envelope.seq, status=wire.Status.REJECTED, reason=reason
    )


async def _apply(
    session: AsyncSession,
    run: _Run,
    envelope: wire.MutationEnvelope,
    *,
    me: Principal,
    now: datetime,
    tz_year: int,
    blobs: BlobStore | None,
) -> tuple[wire.MutationResult, uuid.UUID | None]:
    try:
        args = wire.decode_args(envelope)
    except wire.BadMutation as exc:
        return _rejected(envelope, str(exc)), None
    ctx = Context(
        session=session,
        user_id=me.user_id,
        device_id=run.state.device_id,
        mutation_id=envelope.id,
        device_time=envelope.at,
        now=now,
        tz_year=tz_year,
        blobs=blobs,
        batch=run.batch,
    )
    handler = HANDLERS[type(args)]
    try:
        async with session.begin_nested():
            await handler(ctx, args)
            await session.flush()
    except Rejected as exc:
        return _rejected(envelope, exc.reason), await job_id_of(session, args)
    except IntegrityError as exc:
        if _transient(exc):
            raise
        log.warning("mutation %s refused by a constraint: %s", envelope.id, exc.orig)
        return _rejected(envelope, "the change clashes with stored data"), await job_id_of(
            session, args
        )
    except DBAPIError:
        # A deadlock, a lost connection, a busy database: the whole push fails and the device
        # retries it. Never answer "rejected" for a passing trouble: it would drop the work.
        raise
    except Exception:
        # A bug of ours must not block the device's queue: the mutation is refused, and its
        # arguments stay in the mutation log for the office, so the work is not lost.
        log.exception("mutation %s (%s) failed", envelope.id, envelope.name)
        return _rejected(
            envelope, "the server failed to apply this change; it is kept for the office to review"
        ), await job_id_of(session, args)
    return (
        wire.MutationResult(
            id=envelope.id, seq=envelope.seq, status=ctx.status, conflicts=ctx.conflicts
        ),
        await job_id_of(session, args),
    )
