"""One handler per mutation of the sync protocol: the engineer's work applied to the server.

Each handler runs inside its own savepoint (``push.py``). It raises :class:`Rejected` to refuse
the mutation with a reason; otherwise it returns what happened. Values that a merge overrides
or that need a person are kept in ``field_history`` and ``sync_conflicts``: nothing is lost.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import NewRow, plain
from api.domain.reports.content import customer_signed
from api.media.signatures import SignatureRefused, render_png
from api.media.store import BlobStore
from api.models import (
    Assignment,
    Base,
    Billing,
    BlobInfo,
    FieldHistory,
    FieldWrite,
    Job,
    Note,
    Part,
    PartLine,
    PartSource,
    Photo,
    PhotoCategory,
    ReceiptEvent,
    RepairReceipt,
    Role,
    Satisfaction,
    SatisfactionSource,
    Signature,
    SignerRole,
    StockLevel,
    StockLocation,
    StockMovement,
    SyncConflict,
    TripEvent,
    TripKind,
    User,
)
from api.numbers import next_number
from sync import wire
from sync.merge import (
    ENGINEER_RECORD_FIELDS,
    PART_LINE_FIELDS,
    PHOTO_FIELDS,
    Decision,
    Outcome,
    Policy,
    Writer,
    merge_field,
    merge_status,
)
from sync.rules.lifecycle import OFFICE_STAGE, Actor, JobStatus, can_transition

MISSING = object()
"""A base the device did not send: never equal to the server's value."""
REASSIGNED = "the job was reassigned to another engineer while this work was offline"
SIGNED_PHOTO = "the customer has signed the report with this photo in it"
REVIEWED = "the office had reviewed the job when this work arrived"


class Rejected(Exception):
    """The mutation is refused; the reason (and, where it has one, its code) goes back to the
    device."""

    def __init__(self, reason: str, code: wire.Refusal | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass
class Batch:
    """What one push read once for all its mutations (see :func:`prefetch`)."""

    jobs: dict[uuid.UUID, Job] = field(default_factory=dict)
    """Jobs read whole for the mutations that need more of them than their engineer."""
    holders: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    """Every job the push names (locked for its transaction), and who is assigned to it."""
    absent: set[tuple[type[Base], uuid.UUID]] = field(default_factory=set)
    """Rows the push would create that did not exist when it began (and were not made since)."""
    pending: set[tuple[type[Base], uuid.UUID]] = field(default_factory=set)
    """Rows of their own that the push will write at its end (:func:`plain_row`)."""
    named: set[tuple[type[Base], uuid.UUID]] = field(default_factory=set)
    """Rows that a mutation of the push changes or removes (:data:`THROUGH_ROW`): one made
    by the push itself is written when its mutation runs, not at the end, so they find it."""
    recorders: set[uuid.UUID] = field(default_factory=set)
    """Who recorded the part lines the push changes or removes: their vans give and take."""
    reviewed: set[uuid.UUID] = field(default_factory=set)
    """Jobs the office has reviewed (:data:`OFFICE_STAGE`): a photo record for one goes
    through its handler, which keeps it with a conflict."""


CREATES: dict[str, type[Base]] = {
    "trip.log": TripEvent,
    "note.add": Note,
    "part_line.add": PartLine,
    "photo.add": Photo,
    "satisfaction.add": Satisfaction,
    "receipt.add": RepairReceipt,
}
"""Mutations that make a row with the device's id, which must not exist yet."""


THROUGH_ROW: dict[str, type[PartLine] | type[Photo]] = {
    "part_line.change": PartLine,
    "part_line.remove": PartLine,
    "photo.change": Photo,
    "photo.remove": Photo,
}
"""Mutations that name their job only through the row (its ``id``) they change or remove."""
PART_LINE_NAMES = frozenset(n for n, cls in THROUGH_ROW.items() if cls is PartLine) | {
    "part_line.add"
}
"""Mutations that may move the engineer's van stock."""


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def prefetch(
    session: AsyncSession, batch: Batch, envelopes: Sequence[wire.MutationEnvelope]
) -> None:
    """Read in a few statements what the mutations of a push would each read alone.

    Only the well-formed arguments count here; every handler still checks its own.
    """
    job_ids: set[uuid.UUID] = set()
    whole: set[uuid.UUID] = set()
    new: dict[type[Base], set[uuid.UUID]] = {}
    parsed: dict[Any, uuid.UUID | None] = {}  # a push names the same few jobs again and again
    named: dict[type[Base], set[uuid.UUID]] = {}
    for envelope in envelopes:
        args = envelope.args if isinstance(envelope.args, dict) else {}
        through = THROUGH_ROW.get(envelope.name)
        if through is not None and (row_id := _uuid_or_none(args.get("id"))) is not None:
            named.setdefault(through, set()).add(row_id)
            batch.named.add((through, row_id))
        text = args.get("job_id")
        job_id = None
        if type(text) is str:  # anything else is refused by the mutation's own check
            job_id = parsed.get(text)
            if job_id is None:
                job_id = parsed[text] = _uuid_or_none(text)
        if job_id is not None:
            job_ids.add(job_id)
            if envelope.name not in OWN_ROW_NAMES:
                whole.add(job_id)
        cls = CREATES.get(envelope.name)
        if cls is None or envelope.name in OWN_ROW_NAMES:
            # Rows of their own are written on the assumption that their ids are free (a
            # device makes them); the database's key refuses one that is not, and the push
            # then applies them one by one (see ``api.domain.sync.push``).
            continue
        if (ident := _uuid_or_none(args.get("id"))) is not None:
            new.setdefault(cls, set()).add(ident)
    # A part line or a photo names its job only through its row: lock that job with the
    # others, in id order, before any such row is locked (a row's job never changes).
    owners: set[uuid.UUID] = set()
    if lines := named.get(PartLine):
        rows = await session.execute(
            select(PartLine.job_id, PartLine.created_by).where(PartLine.id.in_(lines))
        )
        for owner, recorder in rows:
            owners.add(owner)
            if recorder is not None:
                batch.recorders.add(recorder)
    if photos := named.get(Photo):
        owners.update(await session.scalars(select(Photo.job_id).where(Photo.id.in_(photos))))
    job_ids |= owners
    whole |= owners
    if job_ids:
        # Every job locked, in one order, so two pushes naming the same jobs cannot deadlock.
        # Rows of their own need only the job's engineer (:func:`plain_row`); building a
        # whole Job for each was most of the reading a push of notes did.
        query = (
            select(Job.id, Job.assigned_engineer_id, Job.status)
            .where(Job.id.in_(sorted(job_ids)))
            .order_by(Job.id)
            .with_for_update()
        )
        for ident, holder, status in await session.execute(query):
            batch.holders[ident] = holder
            if status in OFFICE_STAGE:
                batch.reviewed.add(ident)
    if whole:
        whole_query = select(Job).where(Job.id.in_(sorted(whole))).order_by(Job.id)
        batch.jobs.update((job.id, job) for job in await session.scalars(whole_query))
    for cls, ids in new.items():
        pk = cls.__mapper__.primary_key[0]
        found = set(await session.scalars(select(pk).where(pk.in_(list(ids)))))
        batch.absent.update((cls, ident) for ident in ids - found)


async def exists(ctx: Context, cls: type[Base], ident: uuid.UUID) -> bool:
    """Whether a row with this primary key exists."""
    if (cls, ident) in ctx.batch.pending:
        return True
    if (cls, ident) in ctx.batch.absent:
        return False
    return await ctx.session.get(cls, ident) is not None


def add_new(ctx: Context, obj: Base) -> None:
    """Add a row made by this mutation (after :func:`exists` said its id is free)."""
    ctx.session.add(obj)
    ctx.batch.absent.discard((type(obj), obj.id))  # type: ignore[attr-defined]


@dataclass
class Context:
    """What a handler needs to know about the mutation it applies."""

    session: AsyncSession
    user_id: uuid.UUID
    device_id: uuid.UUID
    mutation_id: uuid.UUID
    device_time: datetime
    now: datetime
    tz_year: int
    blobs: BlobStore | None = None
    """Where rendered signature images go."""
    batch: Batch = field(default_factory=Batch)
    conflicts: list[uuid.UUID] = field(default_factory=list)
    merged: bool = False

    @property
    def status(self) -> wire.Status:
        """The result status from what the handler recorded."""
        if self.conflicts:
            return wire.Status.CONFLICT
        return wire.Status.MERGED if self.merged else wire.Status.APPLIED


# ---- access --------------------------------------------------------------------------------


async def job_for(ctx: Context, job_id: uuid.UUID) -> tuple[Job, bool]:
    """The job and whether the caller holds it now (False: a former assignee's work).

    Jobs the caller never held are rejected as unknown, so they learn nothing about them.
    """
    job = ctx.batch.jobs.get(job_id)
    if job is None or inspect(job).expired_attributes:
        # Not read by this push yet, or expired by a rolled-back savepoint: read it again.
        job = (
            await ctx.session.execute(select(Job).where(Job.id == job_id).with_for_update())
        ).scalar()
        if job is not None:
            ctx.batch.jobs[job_id] = job
    if job is not None and job.assigned_engineer_id == ctx.user_id:
        return job, True
    if job is not None:
        held = await ctx.session.scalar(
            select(Assignment.id).where(
                Assignment.job_id == job_id, Assignment.engineer_id == ctx.user_id
            )
        )
        if held is not None:
            return job, False
    raise Rejected("unknown job, or not assigned to you", wire.Refusal.NOT_YOURS)


def not_reviewed(job: Job) -> None:
    """Refuse an edit or removal on a job the office has reviewed: what the customer signed
    was checked and priced from it. The refused values stay in the job's history
    (``push._write_log``); new rows are kept instead, with :func:`reviewed_conflict`."""
    if job.status in OFFICE_STAGE:
        raise Rejected(
            f"the office has {job.status.replace('_', ' ')} this job; its record, parts and "
            "photos no longer change from the phone (call the office)",
            wire.Refusal.JOB_REVIEWED,
        )


def reviewed_conflict(ctx: Context, job: Job, what: str) -> None:
    """A new row (a part used, a photo, a receipt) kept on a job the office had reviewed: the
    office sees it. Nothing is decided by it: the office acknowledges it (keeps the server's
    side) and settles or corrects the job as it sees fit."""
    conflict(
        ctx,
        job,
        entity="jobs",
        entity_id=str(job.id),
        field_name="reviewed_work",
        policy=Policy.OFFICE,
        reason=f"{REVIEWED} ({what})",
        base=None,
        server=str(job.status),
        client=what,
    )


def conflict(
    ctx: Context,
    job: Job,
    *,
    entity: str,
    entity_id: str,
    field_name: str,
    policy: Policy,
    reason: str,
    base: Any,
    server: Any,
    client: Any,
) -> None:
    """Record a clash for the office, keeping the client's value in the history too."""
    record = SyncConflict(
        id=uuid.uuid4(),
        job_id=job.id,
        entity=entity,
        entity_id=entity_id,
        field=field_name,
        policy=policy.value,
        reason=reason,
        base_value=plain(base),
        server_value=plain(server),
        client_value=plain(client),
        user_id=ctx.user_id,
        device_id=ctx.device_id,
        mutation_id=ctx.mutation_id,
        device_time=ctx.device_time,
    )
    ctx.session.add(record)
    history(ctx, job.id, entity, entity_id, field_name, client, "conflict", reason)
    ctx.conflicts.append(record.id)


def history(
    ctx: Context,
    job_id: uuid.UUID | None,
    entity: str,
    entity_id: str,
    field_name: str,
    value: Any,
    outcome: str,
    reason: str,
    *,
    written_by: uuid.UUID | None = None,
) -> None:
    """Keep a value that a merge overrode or refused."""
    ctx.session.add(
        FieldHistory(
            job_id=job_id,
            entity=entity,
            entity_id=entity_id,
            field=field_name,
            value=plain(value),
            outcome=outcome,
            reason=reason,
            written_by=written_by if written_by is not None else ctx.user_id,
            device_id=ctx.device_id,
            mutation_id=ctx.mutation_id,
        )
    )


def reassigned_conflict(ctx: Context, job: Job, what: str) -> None:
    """Work from a former assignee is kept; the office decides what becomes of it."""
    conflict(
        ctx,
        job,
        entity="jobs",
        entity_id=str(job.id),
        field_name="assigned_engineer_id",
        policy=Policy.OFFICE,
        reason=f"{REASSIGNED} ({what})",
        base=ctx.user_id,
        server=job.assigned_engineer_id,
        client=ctx.user_id,
    )


async def writer_of(ctx: Context, entity: str, entity_id: str, field_name: str) -> Writer:
    """Who wrote the current value of a merged field, seen from this mutation."""
    row = await ctx.session.get(FieldWrite, (entity, entity_id, field_name))
    if row is None or row.user_id is None:
        return Writer.NOBODY
    if row.user_id == ctx.user_id:
        return Writer.SAME_DEVICE if row.device_id == ctx.device_id else Writer.SAME_USER
    role = await ctx.session.scalar(select(User.role).where(User.id == row.user_id))
    return Writer.OTHER_ENGINEER if role == Role.ENGINEER else Writer.OFFICE


async def note_write(
    session: AsyncSession,
    entity: str,
    entity_id: str,
    field_name: str,
    *,
    user_id: uuid.UUID | None,
    device_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Remember who wrote a merged field last."""
    row = await session.get(FieldWrite, (entity, entity_id, field_name))
    if row is None:
        session.add(
            FieldWrite(
                entity=entity,
                entity_id=entity_id,
                field=field_name,
                user_id=user_id,
                device_id=device_id,
                at=now,
            )
        )
    else:
        row.user_id, row.device_id, row.at = user_id, device_id, now


async def merge_fields(
    ctx: Context,
    job: Job,
    target: Any,
    *,
    entity: str,
    policies: dict[str, Policy],
    fields: dict[str, Any],
    base: dict[str, Any],
    held: bool,
) -> None:
    """Merge each field of ``fields`` into ``target`` by its policy."""
    entity_id = str(target.id)
    for name, value in fields.items():
        policy = policies.get(name)
        if policy is None:
            raise Rejected(f"unknown field {name!r}; fields are {sorted(policies)}")
        server = getattr(target, name)
        if not held:
            if plain(server) != plain(value):
                conflict(
                    ctx,
                    job,
                    entity=entity,
                    entity_id=entity_id,
                    field_name=name,
                    policy=policy,
                    reason=REASSIGNED,
                    base=base.get(name),
                    server=server,
                    client=value,
                )
            continue
        writer = await writer_of(ctx, entity, entity_id, name)
        decision: Decision = merge_field(
            policy,
            base=base.get(name, MISSING),
            server=plain(server),
            client=plain(value),
            writer=writer,
        )
        match decision.outcome:
            case Outcome.KEEP:
                pass
            case Outcome.APPLY | Outcome.OVERRIDE:
                if decision.outcome is Outcome.OVERRIDE:
                    history(
                        ctx, job.id, entity, entity_id, name, server, "overridden", decision.reason
                    )
                    ctx.merged = True
                setattr(target, name, value)
                await note_write(
                    ctx.session,
                    entity,
                    entity_id,
                    name,
                    user_id=ctx.user_id,
                    device_id=ctx.device_id,
                    now=ctx.now,
                )
            case Outcome.CONFLICT:
                conflict(
                    ctx,
                    job,
                    entity=entity,
                    entity_id=entity_id,
                    field_name=name,
                    policy=policy,
                    reason=decision.reason,
                    base=base.get(name),
                    server=server,
                    client=value,
                )
            case Outcome.REJECT:
                raise Rejected(f"{name}: {decision.reason}")


# ---- the engineer's work ---------------------------------------------------------------------


async def job_accept(ctx: Context, args: wire.JobAccept) -> None:
    """接单: the engineer saw and took the assignment."""
    job, held = await job_for(ctx, args.job_id)
    if not held:
        raise Rejected(REASSIGNED, wire.Refusal.REASSIGNED)
    if job.acknowledged_at is None:
        job.acknowledged_at = ctx.device_time if ctx.device_time <= ctx.now else ctx.now


TRIP_FOR_STATUS = {JobStatus.EN_ROUTE: TripKind.DEPARTED, JobStatus.ON_SITE: TripKind.ARRIVED}


async def job_status(ctx: Context, args: wire.JobStatusMove) -> None:
    """A status tap; departures and arrivals are logged in the trip log as well."""
    job, held = await job_for(ctx, args.job_id)
    target = JobStatus(args.to)
    kind = TRIP_FOR_STATUS.get(target)
    if kind is not None and job.status != target:
        ctx.session.add(
            TripEvent(
                id=uuid.uuid4(),
                job_id=job.id,
                engineer_id=ctx.user_id,
                kind=kind,
                device_time=ctx.device_time,
                latitude=args.latitude,
                longitude=args.longitude,
                accuracy_m=args.accuracy_m,
            )
        )
    if not held:
        reason = REASSIGNED
        conflict(
            ctx,
            job,
            entity="jobs",
            entity_id=str(job.id),
            field_name="status",
            policy=Policy.STATE_MACHINE,
            reason=reason,
            base=args.base_status,
            server=job.status,
            client=target,
        )
        return
    decision = merge_status(server=job.status, target=target, actor=Actor.ENGINEER)
    if decision.outcome is Outcome.KEEP:
        return
    if decision.outcome is Outcome.CONFLICT:
        conflict(
            ctx,
            job,
            entity="jobs",
            entity_id=str(job.id),
            field_name="status",
            policy=Policy.STATE_MACHINE,
            reason=decision.reason,
            base=args.base_status,
            server=job.status,
            client=target,
        )
        return
    apply_status(job, target, at=min(ctx.device_time, ctx.now))


def apply_status(job: Job, target: JobStatus, *, at: datetime) -> None:
    """Set a job's status and the time stamps that go with it."""
    job.status = target
    if target in (JobStatus.ON_SITE, JobStatus.WORK_DONE) and job.arrived_at is None:
        job.arrived_at = at
    if target is JobStatus.WORK_DONE:
        job.completed_at = at
    if target is JobStatus.SIGNED and job.signed_at is None:
        job.signed_at = at


async def job_record(ctx: Context, args: wire.JobRecord) -> None:
    """The engineer's record: each field merges on its own."""
    job, held = await job_for(ctx, args.job_id)
    not_reviewed(job)
    unknown = set(args.fields) - ENGINEER_RECORD_FIELDS
    if unknown:
        raise Rejected(
            f"not fields of the engineer's record: {sorted(unknown)}; "
            f"allowed: {sorted(ENGINEER_RECORD_FIELDS)}"
        )
    policies = {name: Policy.ENGINEER for name in ENGINEER_RECORD_FIELDS}
    await merge_fields(
        ctx,
        job,
        job,
        entity="jobs",
        policies=policies,
        fields=dict(args.fields),
        base=dict(args.base),
        held=held,
    )


def _new_trip(ctx: Context, args: wire.TripLog, job_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": args.id,
        "job_id": job_id,
        "engineer_id": ctx.user_id,
        "kind": TripKind(args.kind),
        "device_time": ctx.device_time,
        "latitude": args.latitude,
        "longitude": args.longitude,
        "accuracy_m": args.accuracy_m,
    }


QUANTITY = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""A quantity as text: digits, and a fraction after a point (no sign, exponent or spaces)."""
QUANTITY_PLACES = 3
"""Decimals a quantity keeps (the column's scale)."""
_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


def parse_quantity(text: str) -> Decimal:
    """A part quantity given as text, or :class:`Rejected` with the reason.

    Only what is stored as given is taken: a fourth decimal would be rounded away by the
    column, and the report's content hash, made on the phone from the text, would then never
    match what the server stored.
    """
    if not QUANTITY.fullmatch(text):
        raise Rejected(f"quantity {text[:40]!r} is not a number like 2 or 1.5")
    value = Decimal(text)
    if value <= 0 or value > 1_000_000:
        raise Rejected("quantity must be above 0 and at most 1,000,000")
    if -value.normalize().as_tuple().exponent > QUANTITY_PLACES:  # type: ignore[operator]
        raise Rejected(f"quantity {text!r} has more than {QUANTITY_PLACES} decimals")
    # At the column's scale, as the database gives it back: merges compare values as text,
    # and "2" against the stored "2.000" would be a clash between equal quantities.
    return value.quantize(_QUANTUM)


def _quantity_base(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with a quantity written as the server writes it ("2" is "2.000"): a device
    that added a line and has not pulled it back saw the quantity as the text it sent."""
    text = base.get("quantity")
    if isinstance(text, str):
        try:
            return {**base, "quantity": str(parse_quantity(text))}
        except Rejected:
            pass  # not a quantity: it can equal no stored value, as before
    return base


async def lock_vans(session: AsyncSession, engineer_ids: set[uuid.UUID]) -> None:
    """These engineers' vans, locked for the transaction one by one in one order, so that two
    pushes moving stock of the same vans take turns (see :func:`lock_van`)."""
    for engineer_id in sorted(engineer_ids):
        await lock_van(session, engineer_id)


async def lock_van(session: AsyncSession, engineer_id: uuid.UUID) -> StockLocation | None:
    """The engineer's van, locked for the transaction (None: they have none).

    Taken before any of its stock rows, after the jobs, so that two writers using its parts
    (two phones of one engineer, a push and a conflict resolution) take turns instead of
    locking the parts' rows, or a receipt's number counter, in opposite orders.
    """
    query = select(StockLocation).where(StockLocation.engineer_id == engineer_id)
    van: StockLocation | None = await session.scalar(query.with_for_update())
    return van


async def move_van_stock(
    session: AsyncSession,
    line: PartLine,
    delta: Decimal,
    *,
    engineer_id: uuid.UUID,
    actor_id: uuid.UUID,
) -> None:
    """Take ``delta`` of the line's part from ``engineer_id``'s van (negative: put it back).

    Stock may go below zero: the part was used, and the review flags it (parts beyond van
    stock) instead of refusing the engineer's record.
    """
    if line.source is not PartSource.VAN or delta == 0:
        return
    van = await lock_van(session, engineer_id)
    if van is None:
        return
    level = await session.get(StockLevel, (van.id, line.part_id), with_for_update=True)
    if level is None:
        level = StockLevel(location_id=van.id, part_id=line.part_id, quantity=Decimal(0))
        session.add(level)
    level.quantity = (level.quantity or Decimal(0)) - delta
    session.add(
        StockMovement(
            part_id=line.part_id,
            from_location_id=van.id if delta > 0 else None,
            to_location_id=van.id if delta < 0 else None,
            quantity=abs(delta),
            reason="used on job" if delta > 0 else "returned from job",
            job_id=line.job_id,
            part_line_id=line.id,
            created_by=actor_id,
        )
    )


async def _move_van_stock(ctx: Context, line: PartLine, delta: Decimal) -> None:
    # A line's parts come out of its recorder's van, and a change or a removal moves that van
    # whoever makes it (the engineer the job went to since, say): the month's reconciliation
    # sets each engineer's lines against their own van.
    van_of = line.created_by or ctx.user_id
    await move_van_stock(ctx.session, line, delta, engineer_id=van_of, actor_id=ctx.user_id)


async def part_line_add(ctx: Context, args: wire.PartLineAdd) -> None:
    """A part used on the job."""
    job, held = await job_for(ctx, args.job_id)
    part = await ctx.session.get(Part, args.part_id)
    if part is None:
        raise Rejected("unknown part")
    if await exists(ctx, PartLine, args.id):
        raise Rejected("a part line with this id exists already")
    line = PartLine(
        id=args.id,
        job_id=job.id,
        part_id=part.id,
        quantity=parse_quantity(args.quantity),
        unit_price=part.price,
        billing=Billing(args.billing),
        source=PartSource(args.source),
        note=args.note,
        created_by=ctx.user_id,
    )
    add_new(ctx, line)
    await ctx.session.flush()
    await _move_van_stock(ctx, line, line.quantity)
    if not held:
        reassigned_conflict(ctx, job, f"part {part.code} × {args.quantity}")
    elif job.status in OFFICE_STAGE:
        reviewed_conflict(ctx, job, f"part {part.code} × {args.quantity}")


_Row = TypeVar("_Row", PartLine, Photo)


async def _row_for(
    ctx: Context, cls: type[_Row], ident: uuid.UUID, noun: str
) -> tuple[_Row, Job, bool]:
    """The part line or photo a mutation names, locked, with its job and whether the caller
    holds that job (:func:`job_for`)."""
    row = await ctx.session.get(cls, ident, with_for_update=True)
    if row is None:
        raise Rejected(f"unknown {noun}")
    job, held = await job_for(ctx, row.job_id)
    not_reviewed(job)
    return row, job, held


async def part_line_change(ctx: Context, args: wire.PartLineChange) -> None:
    """Quantity, billing or note of a part line, merged field by field."""
    line, job, held = await _row_for(ctx, PartLine, args.id, "part line")
    if line.removed_at is not None:
        raise Rejected("the part line was removed", wire.Refusal.REMOVED)
    values: dict[str, Any] = {}
    for name, text in args.fields.items():
        if name == "quantity":
            values[name] = parse_quantity(text)
        elif name == "billing":
            if text not in {b.value for b in Billing}:
                raise Rejected("billing must be warranty or chargeable")
            values[name] = Billing(text)
        else:
            values[name] = text
    before = line.quantity
    await merge_fields(
        ctx,
        job,
        line,
        entity="part_lines",
        policies=dict(PART_LINE_FIELDS),
        fields=values,
        base=_quantity_base(dict(args.base)),
        held=held,
    )
    await _move_van_stock(ctx, line, line.quantity - before)


async def part_line_remove(ctx: Context, args: wire.PartLineRemove) -> None:
    """A part line taken off the job; the part goes back to the van."""
    line, job, held = await _row_for(ctx, PartLine, args.id, "part line")
    if line.removed_at is not None:
        return
    if not held:
        reassigned_conflict(ctx, job, "part line removed")
        return
    line.removed_at = ctx.now
    await _move_van_stock(ctx, line, -line.quantity)


def _new_photo(ctx: Context, args: wire.PhotoAdd, job_id: uuid.UUID) -> dict[str, Any]:
    # The bytes travel apart and may arrive before or after the record.
    return {
        "id": args.id,
        "job_id": job_id,
        "blob_sha256": args.blob_sha256,
        "category": PhotoCategory(args.category),
        "caption": args.caption,
        "taken_at": args.taken_at or ctx.device_time,
        "latitude": args.latitude,
        "longitude": args.longitude,
        "created_by": ctx.user_id,
    }


async def _not_signed(ctx: Context, job: Job) -> None:
    """Refuse to change the photos of a job whose customer has signed: the signed content
    holds them (docs/report-content.md), and a report that differs is not issued. A signature
    set aside by a reopening of the job no longer counts."""
    if await customer_signed(ctx.session, job.id) is not None:
        raise Rejected(SIGNED_PHOTO, wire.Refusal.SIGNED_PHOTO)


async def photo_change(ctx: Context, args: wire.PhotoChange) -> None:
    """A photo's category or caption, merged field by field."""
    photo, job, held = await _row_for(ctx, Photo, args.id, "photo")
    if photo.removed_at is not None:
        raise Rejected("the photo was removed", wire.Refusal.REMOVED)
    if not args.fields:
        raise Rejected(f"fields is empty; name at least one of {', '.join(PHOTO_FIELDS)}")
    values: dict[str, Any] = dict(args.fields)
    if "category" in values:
        try:
            values["category"] = PhotoCategory(values["category"])
        except ValueError:
            raise Rejected(f"category must be one of {', '.join(PhotoCategory)}") from None
    await _not_signed(ctx, job)
    await merge_fields(
        ctx,
        job,
        photo,
        entity="photos",
        policies=dict(PHOTO_FIELDS),
        fields=values,
        base=dict(args.base),
        held=held,
    )


async def photo_remove(ctx: Context, args: wire.PhotoRemove) -> None:
    """A photo taken off the job: kept, with the time, and left out of the report."""
    photo, job, held = await _row_for(ctx, Photo, args.id, "photo")
    if photo.removed_at is not None:
        return
    await _not_signed(ctx, job)
    if not held:
        reassigned_conflict(ctx, job, "photo removed")
        return
    photo.removed_at = ctx.now


def _new_note(ctx: Context, args: wire.NoteAdd, job_id: uuid.UUID) -> dict[str, Any]:
    return {"id": args.id, "job_id": job_id, "author_id": ctx.user_id, "body": args.body}


@dataclass(frozen=True)
class OwnRow:
    """A mutation that makes one row of its own, which never clashes with anything."""

    cls: type[Base]
    values: Callable[[Context, Any, uuid.UUID], dict[str, Any]]
    """The new row's columns."""
    noun: str
    """What the row is, in a reason."""
    what: Callable[[Any], str]
    """What the row is, in a conflict."""


OWN_ROWS: dict[type[wire.Args], OwnRow] = {
    wire.TripLog: OwnRow(TripEvent, _new_trip, "trip log line", lambda a: f"trip log: {a.kind}"),
    wire.PhotoAdd: OwnRow(Photo, _new_photo, "photo", lambda a: "photo"),
    wire.NoteAdd: OwnRow(Note, _new_note, "note", lambda a: "note"),
}


OWN_ROW_NAMES = frozenset(name for name, cls in wire.MUTATIONS.items() if cls in OWN_ROWS)
"""The names of the mutations in :data:`OWN_ROWS`."""


async def own_row(ctx: Context, args: wire.TripLog | wire.PhotoAdd | wire.NoteAdd) -> None:
    """A trip-log line, a photo record or a note: rows of their own never clash."""
    kind = OWN_ROWS[type(args)]
    job, held = await job_for(ctx, args.job_id)
    row = kind.cls(**kind.values(ctx, args, job.id))
    if await exists(ctx, kind.cls, args.id):
        raise Rejected(f"a {kind.noun} with this id exists already")
    add_new(ctx, row)
    if not held:
        reassigned_conflict(ctx, job, kind.what(args))
    elif isinstance(args, wire.PhotoAdd) and job.status in OFFICE_STAGE:
        # The report the office reviewed names its photos: this one is kept, and shown.
        reviewed_conflict(ctx, job, kind.what(args))


def plain_row(ctx: Context, args: wire.Args) -> NewRow | None:
    """The row of a row-of-its-own mutation that needs no savepoint, or None.

    That is one on a job this push holds and the caller is assigned to, whose id is free
    (a photo is never refused for its hash: bytes its author has not sent leave it waiting
    for their upload, docs/media.md "Who may attach a blob"): nothing about it can be
    refused, so the push writes such rows all at once at its end (see
    ``api.domain.sync.push``). Anything else goes through its handler.
    """
    kind = OWN_ROWS.get(type(args))
    if kind is None:
        return None
    job_id = args.job_id  # type: ignore[attr-defined]
    # The push locked the job and read its engineer; nothing in a push can reassign it.
    if job_id not in ctx.batch.holders or ctx.batch.holders[job_id] != ctx.user_id:
        return None
    key = (kind.cls, args.id)  # type: ignore[attr-defined]
    if key in ctx.batch.pending:
        return None  # the same id twice in one push: the handler refuses the second
    if key in ctx.batch.named:
        return None  # a later mutation of the push changes it: it must find the row there
    if kind.cls is Photo and job_id in ctx.batch.reviewed:
        return None  # its handler keeps it with a conflict
    ctx.batch.pending.add(key)
    return NewRow(kind.cls, kind.values(ctx, args, job_id), now=ctx.now)


async def store_signature_png(
    session: AsyncSession, blobs: BlobStore | None, png: bytes, *, user_id: uuid.UUID
) -> str:
    """Keep a signature's rendered image in the blob store (the report prints it); its hash."""
    sha = hashlib.sha256(png).hexdigest()
    if blobs is not None:
        await blobs.put_bytes(sha, png)
        if await session.get(BlobInfo, sha) is None:
            session.add(
                BlobInfo(
                    sha256=sha, size=len(png), kind="signature", format="PNG", uploaded_by=user_id
                )
            )
    return sha


async def signature_add(ctx: Context, args: wire.SignatureAdd) -> None:
    """A signature: written once per role and visit; a second one is kept as a conflict."""
    job, held = await job_for(ctx, args.job_id)
    role = SignerRole(args.signer_role)
    try:
        png = render_png(args.strokes)
    except SignatureRefused as exc:
        raise Rejected(str(exc)) from None
    existing = await ctx.session.scalar(
        select(Signature).where(
            Signature.job_id == job.id,
            Signature.signer_role == role,
            Signature.superseded_at.is_(None),
        )
    )
    incoming = {
        "id": str(args.id),
        "signer_name": args.signer_name,
        "strokes": args.strokes,
        "content_sha256": args.content_sha256,
        "device_time": ctx.device_time.isoformat(),
        "latitude": args.latitude,
        "longitude": args.longitude,
    }
    if existing is not None:
        if existing.strokes == args.strokes and existing.content_sha256 == args.content_sha256:
            return
        conflict(
            ctx,
            job,
            entity="signatures",
            entity_id=str(existing.id),
            field_name=role.value,
            policy=Policy.WRITE_ONCE,
            reason=f"the job has a {role.value} signature already; a second one needs a decision",
            base=None,
            server={
                "id": str(existing.id),
                "signer_name": existing.signer_name,
                "content_sha256": existing.content_sha256,
            },
            client=incoming,
        )
        return
    if await exists(ctx, Signature, args.id):
        raise Rejected("a signature with this id exists already")
    if not held:
        reassigned_conflict(ctx, job, f"{role.value} signature")
    png_sha = await store_signature_png(ctx.session, ctx.blobs, png, user_id=ctx.user_id)
    ctx.session.add(
        Signature(
            id=args.id,
            job_id=job.id,
            signer_role=role,
            signer_name=args.signer_name,
            strokes=args.strokes,
            png_sha256=png_sha,
            content_sha256=args.content_sha256,
            device_id=ctx.device_id,
            device_time=ctx.device_time,
            latitude=args.latitude,
            longitude=args.longitude,
        )
    )
    if (
        held
        and role is SignerRole.CUSTOMER
        and can_transition(job.status, JobStatus.SIGNED, Actor.ENGINEER)
    ):
        apply_status(job, JobStatus.SIGNED, at=min(ctx.device_time, ctx.now))


async def satisfaction_add(ctx: Context, args: wire.SatisfactionAdd) -> None:
    """The customer's rating on site: one per visit (a reopened job's new visit takes another)."""
    job, held = await job_for(ctx, args.job_id)
    if await exists(ctx, Satisfaction, args.id):
        raise Rejected("a rating with this id exists already")
    if await _rated_this_visit(ctx, job):
        raise Rejected(
            "the customer rated this visit already; one rating on site per visit",
            wire.Refusal.ALREADY_RATED,
        )
    add_new(
        ctx,
        Satisfaction(
            id=args.id,
            job_id=job.id,
            source=SatisfactionSource.ON_SITE,
            score=args.score,
            remarks=args.remarks,
            recorded_by=ctx.user_id,
            at=min(ctx.device_time, ctx.now),
            received_at=ctx.now,
        ),
    )
    if not held:
        reassigned_conflict(ctx, job, "satisfaction")


async def _rated_this_visit(ctx: Context, job: Job) -> bool:
    """Whether the job has an on-site rating that reached the server since its last reopening
    (which sets the customer's signature of the earlier visit aside, at the time it did): in
    server order, as everything else; a phone's clock running slow cannot rate a visit twice."""
    set_aside = await ctx.session.scalar(
        select(func.max(Signature.superseded_at)).where(Signature.job_id == job.id)
    )
    query = select(Satisfaction.id).where(
        Satisfaction.job_id == job.id, Satisfaction.source == SatisfactionSource.ON_SITE
    )
    if set_aside is not None:
        query = query.where(func.coalesce(Satisfaction.received_at, Satisfaction.at) > set_aside)
    return await ctx.session.scalar(query.limit(1)) is not None


async def receipt_add(ctx: Context, args: wire.ReceiptAdd) -> None:
    """An item taken back for repair, logged out of the customer's site."""
    job, held = await job_for(ctx, args.job_id)
    if await exists(ctx, RepairReceipt, args.id):
        raise Rejected("a receipt with this id exists already")
    taken = min(ctx.device_time, ctx.now)
    add_new(
        ctx,
        RepairReceipt(
            id=args.id,
            job_id=job.id,
            number=await next_number(ctx.session, "RR", ctx.tz_year),
            item_description=args.item_description,
            serial=args.serial,
            fault=args.fault,
            accessories=args.accessories,
            taken_at=taken,
            promised_at=args.promised_at,
            created_by=ctx.user_id,
        ),
    )
    await ctx.session.flush()
    ctx.session.add(
        ReceiptEvent(
            receipt_id=args.id,
            direction="taken",
            at=taken,
            by_user_id=ctx.user_id,
            note="",
        )
    )
    if not held:
        reassigned_conflict(ctx, job, "repair receipt")
    elif job.status in OFFICE_STAGE:
        reviewed_conflict(ctx, job, "repair receipt")


HANDLERS: dict[type[wire.Args], Any] = {
    wire.JobAccept: job_accept,
    wire.JobStatusMove: job_status,
    wire.JobRecord: job_record,
    wire.TripLog: own_row,
    wire.PartLineAdd: part_line_add,
    wire.PartLineChange: part_line_change,
    wire.PartLineRemove: part_line_remove,
    wire.PhotoAdd: own_row,
    wire.PhotoChange: photo_change,
    wire.PhotoRemove: photo_remove,
    wire.NoteAdd: own_row,
    wire.SignatureAdd: signature_add,
    wire.SatisfactionAdd: satisfaction_add,
    wire.ReceiptAdd: receipt_add,
}
"""The handler of each mutation's arguments."""


_THROUGH_ARGS: dict[type[wire.Args], type[PartLine] | type[Photo]] = {
    wire.MUTATIONS[name]: cls for name, cls in THROUGH_ROW.items()
}


async def job_id_of(session: AsyncSession, args: wire.Args) -> uuid.UUID | None:
    """The job a mutation concerns: the one it names, or the job of the part line or photo it
    changes."""
    value = getattr(args, "job_id", None)
    if isinstance(value, uuid.UUID):
        return value
    cls = _THROUGH_ARGS.get(type(args))
    if cls is not None:
        # The handler has loaded the row already: the identity map answers, no query.
        row: PartLine | Photo | None = await session.get(cls, args.id)  # type: ignore[attr-defined]
        return row.job_id if row is not None else None
    return None
