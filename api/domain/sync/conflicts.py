"""Reconciliation: the office decides a conflict, and the decision is a change like any other
(it enters the feed and reaches the devices at their next pull)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import plain
from api.domain.reports.content import customer_signed
from api.domain.sync.handlers import (
    SIGNED_PHOTO,
    Rejected,
    apply_status,
    move_van_stock,
    note_write,
    parse_quantity,
    store_signature_png,
)
from api.error_codes import ErrorCode
from api.http import Conflict, DomainError
from api.media.signatures import SignatureRefused, render_png
from api.media.store import BlobStore
from api.models import (
    Assignment,
    Billing,
    ConflictStatus,
    FieldHistory,
    Job,
    PartLine,
    Photo,
    PhotoCategory,
    Role,
    Signature,
    SyncConflict,
    User,
)
from api.security import Principal
from sync import wire
from sync.merge import ENGINEER_RECORD_FIELDS, PART_LINE_FIELDS, PHOTO_FIELDS, Policy
from sync.rules.lifecycle import JobStatus


class Choice(StrEnum):
    """What the office keeps."""

    SERVER = "server"
    CLIENT = "client"
    VALUE = "value"


def _kept(conflict: SyncConflict, choice: Choice, value: Any) -> Any:
    if choice is Choice.SERVER:
        return conflict.server_value
    if choice is Choice.CLIENT:
        return conflict.client_value
    return value


async def resolve(
    session: AsyncSession,
    conflict: SyncConflict,
    *,
    choice: Choice,
    value: Any,
    me: Principal,
    now: datetime,
    blobs: BlobStore,
) -> None:
    """Apply the office's decision and close the conflict (``blobs``: where a kept
    signature's image goes)."""
    if conflict.status is ConflictStatus.RESOLVED:
        raise Conflict("the conflict is resolved already", code=ErrorCode.ALREADY_RESOLVED)
    if choice is Choice.VALUE and value is None:
        raise DomainError("choice 'value' needs a value")
    kept = _kept(conflict, choice, value)
    job = await session.get(Job, conflict.job_id, with_for_update=True)
    if job is None:  # foreign key: cannot happen; keeps the type checker honest
        raise DomainError("the conflict's job is gone")
    if choice is Choice.SERVER:
        dropped = conflict.client_value
    else:
        # What the record holds now, not the server_value of the clash: the field may have
        # moved on since (a later edit), and that value is the one this decision replaces.
        dropped = await _current(session, conflict, job)
        await _apply(session, conflict, job, kept, choice=choice, me=me, now=now, blobs=blobs)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = choice.value
    conflict.resolved_value = plain(kept)
    conflict.resolved_by = me.user_id
    conflict.resolved_at = now
    session.add(
        FieldHistory(
            job_id=job.id,
            entity=conflict.entity,
            entity_id=conflict.entity_id,
            field=conflict.field,
            value=dropped,
            outcome="overridden",
            reason=f"conflict resolved by the office: kept the {choice.value} value",
            written_by=me.user_id,
        )
    )


STATUS_ORDER: dict[JobStatus, int] = {
    JobStatus.REPORTED: 0,
    JobStatus.ACCEPTED: 1,
    JobStatus.ASSIGNED: 2,
    JobStatus.REOPENED: 2,
    JobStatus.EN_ROUTE: 3,
    JobStatus.ON_SITE: 4,
    JobStatus.WAITING_PARTS: 4,
    JobStatus.WORK_DONE: 5,
    JobStatus.SIGNED: 6,
    JobStatus.REVIEWED: 7,
    JobStatus.SETTLED: 8,
    JobStatus.FOLLOWED_UP: 9,
    JobStatus.CLOSED: 10,
}
"""How far along the workflow a status is: a decision never takes a job back along it."""


def _stale(current: JobStatus, target: JobStatus) -> str | None:
    """Why taking the device's ``target`` would take the job back, or None. From a
    cancellation any status the device reached is forward (the work is kept)."""
    if current is JobStatus.CANCELLED or target is JobStatus.CANCELLED:
        return None
    if current is JobStatus.REOPENED:
        # The device's move is of the visit before the reopening; the new visit starts with
        # the office's dispatch, which gives the job back to an engineer's phone.
        return "the job was reopened for a new visit; dispatch it first"
    if STATUS_ORDER.get(target, 0) < STATUS_ORDER.get(current, 0):
        return f"the device's {target} would take the job back"
    return None


def _kept_for_device(conflict: SyncConflict) -> ColumnElement[bool]:
    """The other status conflicts of ``conflict``'s job already decided for the device."""
    return and_(
        SyncConflict.job_id == conflict.job_id,
        SyncConflict.entity == "jobs",
        SyncConflict.field == "status",
        SyncConflict.id != conflict.id,
        SyncConflict.status == ConflictStatus.RESOLVED,
        SyncConflict.resolution == Choice.CLIENT.value,
    )


async def _follows_kept(session: AsyncSession, conflict: SyncConflict, current: JobStatus) -> bool:
    """Whether the job's status now is the device's earlier move, kept by deciding an earlier
    status conflict of the job for the device (its moves decided in the order they arose)."""
    found = await session.scalar(
        select(SyncConflict.resolved_value)
        .where(_kept_for_device(conflict), SyncConflict.created_at <= conflict.created_at)
        .order_by(SyncConflict.resolved_at.desc())
        .limit(1)
    )
    return found is not None and str(found) == str(current)


async def _reopen_assignment(session: AsyncSession, job: Job, *, now: datetime) -> None:
    """The job's engineer holds it again (an open assignment), if none is open."""
    if job.assigned_engineer_id is None:
        return
    held = await session.scalar(
        select(Assignment.id).where(Assignment.job_id == job.id, Assignment.ended_at.is_(None))
    )
    if held is None:
        session.add(
            Assignment(job_id=job.id, engineer_id=job.assigned_engineer_id, assigned_at=now)
        )


async def _later_move_kept(session: AsyncSession, conflict: SyncConflict) -> bool:
    """Whether a status conflict of the same job that arose after ``conflict`` was decided for
    the device: its move came later on the phone, and this one would take the job back
    (deciding "work done" first, then "on site" of the same offline visit)."""
    later = or_(
        SyncConflict.created_at > conflict.created_at,
        and_(
            SyncConflict.created_at == conflict.created_at,
            SyncConflict.device_time > conflict.device_time,
        ),
    )
    found = await session.scalar(
        select(SyncConflict.id).where(_kept_for_device(conflict), later).limit(1)
    )
    return found is not None


ROW_ENTITIES: dict[str, type[PartLine] | type[Photo]] = {"part_lines": PartLine, "photos": Photo}
"""The entities of job rows whose fields a decision sets, by their name in a conflict."""


async def _current(session: AsyncSession, conflict: SyncConflict, job: Job) -> Any:
    """The value that deciding for the device (or for the office's own value) replaces, as
    the record holds it now; the clash's ``server_value`` if the record is gone."""
    entity, field = conflict.entity, conflict.field
    if entity == "jobs" and hasattr(job, field):
        return plain(getattr(job, field))
    if entity in ROW_ENTITIES:
        row = await session.get(
            ROW_ENTITIES[entity], uuid.UUID(conflict.entity_id), with_for_update=True
        )
        if row is not None and hasattr(row, field):
            return plain(getattr(row, field))
    if entity == "signatures":
        # The whole signature: keeping the second one overwrites the strokes of the first.
        signature = await session.get(Signature, uuid.UUID(conflict.entity_id))
        if signature is not None:
            return {
                "id": str(signature.id),
                "signer_name": signature.signer_name,
                "strokes": signature.strokes,
                "content_sha256": signature.content_sha256,
                "png_sha256": signature.png_sha256,
                "device_time": plain(signature.device_time),
                "latitude": signature.latitude,
                "longitude": signature.longitude,
            }
    return conflict.server_value


async def _apply(
    session: AsyncSession,
    conflict: SyncConflict,
    job: Job,
    kept: Any,
    *,
    choice: Choice,
    me: Principal,
    now: datetime,
    blobs: BlobStore,
) -> None:
    entity, field = conflict.entity, conflict.field
    if entity == "jobs" and field == "status":
        if choice is Choice.VALUE:
            # Only the two sides are real moves of this job; any other status would skip the
            # state machine's time stamps.
            raise DomainError("a status conflict is resolved by choosing a side")
        try:
            target = JobStatus(kept)
        except ValueError:
            raise DomainError(f"{kept!r} is not a job status") from None
        current = job.status
        if target == current:
            return
        stale = _stale(current, target)
        if stale is None and await _later_move_kept(session, conflict):
            stale = (
                "a later status move of the device was kept already; this earlier one would "
                "take the job back"
            )
        if (
            stale is None
            and str(current)
            not in (
                str(conflict.server_value),
                str(conflict.base_value),
            )
            and not await _follows_kept(session, conflict, current)
        ):
            stale = f"the job has moved on since this conflict arose (then {conflict.server_value})"
        if stale is not None:
            raise Conflict(
                f"{stale}; the job is {current} now: keep the server's value",
                code=ErrorCode.STALE_DECISION,
                params={"status": str(current)},
            )
        # Dated as the sync move would have been: min(at, server time), so a phone whose
        # clock ran fast never stamps the job in the future.
        at = now if conflict.device_time is None else min(conflict.device_time, now)
        apply_status(job, target, at=at)
        if current is JobStatus.CANCELLED:
            # The office keeps the engineer's work over its cancellation: no longer cancelled,
            # and back on the engineer's phone if housekeeping had taken it off (3 days on).
            job.cancelled_at = None
            job.cancel_reason = ""
            await _reopen_assignment(session, job, now=now)
        return
    if entity == "jobs" and field in ENGINEER_RECORD_FIELDS:
        if not isinstance(kept, str):
            raise DomainError(f"{field} takes text")
        if len(kept) > wire.MAX_TEXT:
            # A phone sends the value it holds as the base of its next edit, and a base
            # longer than this fails the mutation: the field would be locked for the phone.
            raise DomainError(
                f"{field} takes at most {wire.MAX_TEXT:,} characters",
                code=ErrorCode.TOO_LONG,
                params={"max": wire.MAX_TEXT},
            )
        setattr(job, field, kept)
        await note_write(
            session, entity, str(job.id), field, user_id=me.user_id, device_id=None, now=now
        )
        return
    if entity == "jobs" and field == "assigned_engineer_id":
        await _reassign(session, job, kept, me=me, now=now)
        return
    if entity == "part_lines" and PART_LINE_FIELDS.get(field) is Policy.ENGINEER:
        # Only the engineer's fields: a former assignee's ``unit_price`` becomes a conflict
        # too, but the office owns the price, and a device's text never becomes it.
        line = await session.get(PartLine, uuid.UUID(conflict.entity_id), with_for_update=True)
        if line is None:
            raise DomainError(
                "the part line is gone", code=ErrorCode.NOT_FOUND, params={"what": "part line"}
            )
        before = line.quantity
        setattr(line, field, _part_value(field, kept))
        if field == "quantity" and line.removed_at is None and line.created_by is not None:
            # The van the part came from gives (or takes back) the difference, as a change
            # from the phone would have.
            await move_van_stock(
                session,
                line,
                line.quantity - before,
                engineer_id=line.created_by,
                actor_id=me.user_id,
            )
        await note_write(
            session, entity, conflict.entity_id, field, user_id=me.user_id, device_id=None, now=now
        )
        return
    if entity == "photos" and PHOTO_FIELDS.get(field) is Policy.ENGINEER:
        photo = await session.get(Photo, uuid.UUID(conflict.entity_id), with_for_update=True)
        if photo is None:
            raise DomainError(
                "the photo is gone", code=ErrorCode.NOT_FOUND, params={"what": "photo"}
            )
        if await customer_signed(session, photo.job_id) is not None:
            # Frozen with the signed content, as for the phone: changed now, the report the
            # customer signed could no longer be issued.
            raise Conflict(
                f"{SIGNED_PHOTO}: keep the server's value, or issue a correction of the report",
                code=ErrorCode.SIGNED_PHOTO,
            )
        setattr(photo, field, _photo_value(field, kept))
        await note_write(
            session, entity, conflict.entity_id, field, user_id=me.user_id, device_id=None, now=now
        )
        return
    if entity == "signatures":
        if choice is Choice.VALUE:
            raise DomainError("a signature conflict is resolved by choosing a side")
        signature = await session.get(Signature, uuid.UUID(conflict.entity_id))
        if signature is None or not isinstance(kept, dict):
            raise DomainError(
                "the signature is gone", code=ErrorCode.NOT_FOUND, params={"what": "signature"}
            )
        try:
            png = render_png(kept["strokes"])
        except SignatureRefused as exc:  # it passed when it arrived; keep the reason if not
            raise DomainError(f"the kept signature cannot be drawn: {exc}") from None
        # The report prints the image: it must be the kept strokes', not the first one's.
        signature.png_sha256 = await store_signature_png(session, blobs, png, user_id=me.user_id)
        signature.signer_name = kept["signer_name"]
        signature.strokes = kept["strokes"]
        signature.content_sha256 = kept["content_sha256"]
        signature.device_time = datetime.fromisoformat(kept["device_time"])
        signature.latitude = kept.get("latitude")
        signature.longitude = kept.get("longitude")
        return
    raise DomainError(f"conflicts on {entity}.{field} are resolved by choosing the server side")


def _part_value(field: str, kept: Any) -> Any:
    try:
        if field == "quantity":
            # The same rule as a quantity from the phone (above 0, at most 1,000,000).
            return parse_quantity(str(kept))
        if field == "billing":
            return Billing(kept)
    except Rejected as exc:
        raise DomainError(exc.reason) from None
    except ValueError:
        raise DomainError(f"{kept!r} is not a valid {field}") from None
    return str(kept)


def _photo_value(field: str, kept: Any) -> Any:
    """A photo's field as a device could send it in ``photo.change``: a phone sends the value
    it holds as the base of its next edit."""
    if field == "category":
        try:
            return PhotoCategory(kept)
        except ValueError:
            raise DomainError(
                f"{kept!r} is not a photo category; they are {', '.join(PhotoCategory)}"
            ) from None
    if not isinstance(kept, str):
        raise DomainError(f"{field} takes text")
    if len(kept) > wire.MAX_SHORT:
        raise DomainError(
            f"{field} takes at most {wire.MAX_SHORT} characters",
            code=ErrorCode.TOO_LONG,
            params={"max": wire.MAX_SHORT},
        )
    return kept


async def _reassign(
    session: AsyncSession, job: Job, kept: Any, *, me: Principal, now: datetime
) -> None:
    from api.domain.jobs.services import assign

    try:
        engineer_id = uuid.UUID(str(kept))
    except ValueError:
        raise DomainError("assigned_engineer_id takes a user id") from None
    role = await session.scalar(select(User.role).where(User.id == engineer_id))
    if role != Role.ENGINEER:
        raise DomainError("the chosen user is not an engineer", code=ErrorCode.NOT_AN_ENGINEER)
    if job.assigned_engineer_id != engineer_id:
        await assign(
            session,
            job,
            engineer_id=engineer_id,
            scheduled_at=None,
            handling_plan="",
            me=me,
            now=now,
        )
