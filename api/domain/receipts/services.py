"""Receipts of items taken back for repair, and their in/out register (docs/receipts.md).

An engineer writes the receipt on the phone (``receipt.add``): the item is *taken*. The office
logs it into the workshop (*in_workshop*, an "in" line of the register) and back to the
customer (*returned*, an "out" line); an item repaired elsewhere may go straight back. A move
made by mistake is taken back, with a reason (an "undo" line): the log keeps both lines.

Each line has its place in its receipt's log (``seq``, unique per receipt, written under the
receipt's lock), and the log is replayed in that order. A line's time (``at``) never goes back:
a move may name when it happened, but not before the log's latest line, so the register, in
time order, reads as the log was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db import count_rows
from api.domain.receipts.schemas import (
    Direction,
    MoveIn,
    ReceiptEventOut,
    ReceiptItem,
    ReceiptPatch,
    UndoIn,
)
from api.error_codes import ErrorCode
from api.http import Conflict, DomainError, Page, apply_patch, check_version, not_found, text_search
from api.models import Customer, Job, ReceiptEvent, ReceiptStatus, RepairReceipt, User
from sync.rules.lifecycle import JobStatus

FORWARD: dict[tuple[ReceiptStatus, ReceiptStatus], Direction] = {
    (ReceiptStatus.TAKEN, ReceiptStatus.IN_WORKSHOP): Direction.IN,
    (ReceiptStatus.TAKEN, ReceiptStatus.RETURNED): Direction.OUT,
    (ReceiptStatus.IN_WORKSHOP, ReceiptStatus.RETURNED): Direction.OUT,
}
"""The moves the desk makes, and the register line each one writes."""

OPEN = (ReceiptStatus.TAKEN, ReceiptStatus.IN_WORKSHOP)
"""Items still away from their customer."""
CLOSED = (ReceiptStatus.RETURNED, ReceiptStatus.VOID)
"""Receipts done with: the item returned, or the receipt withdrawn."""

CLOCK_SLACK = timedelta(minutes=5)
"""How far ahead of the server's clock a browser's "now" may be (it is taken as now)."""

PROMISE_YEARS = 10
"""How far after the taking a promised date may lie (a later one is a typing slip)."""

Query = Select[RepairReceipt, str, JobStatus, uuid.UUID, str, str]
"""Receipts with their job's number and status, customer id and name, and taker's name."""


@dataclass
class Replay:
    """A receipt's log replayed in order."""

    standing: list[ReceiptEvent]
    """The desk's moves (in and out) still standing, oldest first."""
    undone: dict[uuid.UUID, ReceiptEvent]
    """Each undo line's id -> the move it took back."""
    latest: datetime | None
    """The time of the log's latest line (None: an empty log)."""


def replay(events: Iterable[ReceiptEvent]) -> Replay:
    """Replay a log given in its order (``seq``): each undo takes back the latest standing move."""
    standing: list[ReceiptEvent] = []
    undone: dict[uuid.UUID, ReceiptEvent] = {}
    latest: datetime | None = None
    for event in events:
        latest = event.at if latest is None else max(latest, event.at)
        if event.direction == Direction.UNDO:
            if standing:
                undone[event.id] = standing.pop()
        elif event.direction != Direction.TAKEN:
            standing.append(event)
    return Replay(standing, undone, latest)


def _earliest(receipt: RepairReceipt, log: Replay) -> datetime:
    """The earliest time a move may name: not before the log's latest line, nor the taking."""
    return receipt.taken_at if log.latest is None else max(receipt.taken_at, log.latest)


def _in_workshop_at(log: Replay) -> datetime | None:
    """When the item came into the workshop, if that move stands (a returned item keeps it)."""
    return next((e.at for e in reversed(log.standing) if e.direction == Direction.IN), None)


def _status_before(receipt: RepairReceipt, log: Replay) -> ReceiptStatus | None:
    """The status taking back the latest standing move returns to (None: nothing to take back).
    A withdrawal is a move too: taking it back makes the receipt taken again."""
    if receipt.status == ReceiptStatus.TAKEN or not log.standing:
        return None
    if len(log.standing) > 1 and log.standing[-2].direction == Direction.IN:
        return ReceiptStatus.IN_WORKSHOP
    return ReceiptStatus.TAKEN


def item_out(
    row: tuple[RepairReceipt, str, str, uuid.UUID, str, str],
    events: Sequence[ReceiptEvent],
    names: dict[uuid.UUID, str],
    *,
    now: datetime,
) -> ReceiptItem:
    receipt, job_number, job_status, customer_id, customer_name, taker = row
    log = replay(events)
    return ReceiptItem(
        id=receipt.id,
        number=receipt.number,
        job_id=receipt.job_id,
        job_number=job_number,
        job_status=job_status,
        customer_id=customer_id,
        customer_name=customer_name,
        taken_by_id=receipt.created_by,
        taken_by_name=taker,
        item_description=receipt.item_description,
        serial=receipt.serial,
        fault=receipt.fault,
        accessories=receipt.accessories,
        status=receipt.status,
        taken_at=receipt.taken_at,
        promised_at=receipt.promised_at,
        in_workshop_at=_in_workshop_at(log),
        returned_at=receipt.returned_at,
        overdue=overdue(receipt, now=now),
        version=receipt.version,
        undo_to=_status_before(receipt, log),
        earliest_move_at=_earliest(receipt, log),
        events=[
            ReceiptEventOut(
                id=e.id,
                direction=Direction(e.direction),
                at=e.at,
                by_name=names.get(e.by_user_id, "") if e.by_user_id else "",
                note=e.note,
            )
            for e in events
        ],
    )


def overdue(receipt: RepairReceipt, *, now: datetime) -> bool:
    return receipt.status in OPEN and receipt.promised_at is not None and receipt.promised_at < now


def receipts_query() -> Query:
    """Receipts with their job, customer and taker, in no order."""
    taker = aliased(User)
    return (
        select(
            RepairReceipt, Job.number, Job.status, Customer.id, Customer.name, taker.display_name
        )
        .join(Job, Job.id == RepairReceipt.job_id)
        .join(Customer, Customer.id == Job.customer_id)
        .outerjoin(taker, taker.id == RepairReceipt.created_by)
    )


def filtered(
    *,
    now: datetime,
    status: ReceiptStatus | None = None,
    open_only: bool | None = None,
    overdue_only: bool | None = None,
    job_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Query:
    query = receipts_query()
    if status is not None:
        query = query.where(RepairReceipt.status == status)
    if open_only is not None:
        query = query.where(RepairReceipt.status.in_(OPEN if open_only else CLOSED))
    if overdue_only is not None:
        late = and_(RepairReceipt.status.in_(OPEN), RepairReceipt.promised_at < now)
        on_time = or_(
            RepairReceipt.status.in_(CLOSED),
            RepairReceipt.promised_at.is_(None),
            RepairReceipt.promised_at >= now,
        )
        query = query.where(late if overdue_only else on_time)
    if job_id is not None:
        query = query.where(RepairReceipt.job_id == job_id)
    if q is not None and (q := q.strip()):
        query = query.where(
            text_search(
                q,
                RepairReceipt.number,
                Job.number,
                Customer.name,
                RepairReceipt.item_description,
                RepairReceipt.serial,
            )
        )
    return query


async def _items(session: AsyncSession, rows: Sequence[Any], *, now: datetime) -> list[ReceiptItem]:
    """The receipts of ``rows`` with their logs and the names in them (two queries in all)."""
    ids = [row[0].id for row in rows]
    events: dict[uuid.UUID, list[ReceiptEvent]] = {i: [] for i in ids}
    names: dict[uuid.UUID, str] = {}
    if ids:
        found = (
            await session.execute(
                select(ReceiptEvent, User.display_name)
                .outerjoin(User, User.id == ReceiptEvent.by_user_id)
                .where(ReceiptEvent.receipt_id.in_(ids))
                .order_by(ReceiptEvent.receipt_id, ReceiptEvent.seq)
            )
        ).all()
        for event, name in found:
            events[event.receipt_id].append(event)
            if event.by_user_id is not None and name is not None:
                names[event.by_user_id] = name
    return [
        item_out((r[0], r[1], str(r[2]), r[3], r[4], r[5] or ""), events[r[0].id], names, now=now)
        for r in rows
    ]


async def page(
    session: AsyncSession, query: Query, *, now: datetime, limit: int, offset: int
) -> Page[ReceiptItem]:
    """One page of ``query``, the latest taken first (the id breaks ties)."""
    total = await count_rows(session, query)
    rows = (
        await session.execute(
            query.order_by(RepairReceipt.taken_at.desc(), RepairReceipt.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return Page(items=await _items(session, rows, now=now), total=total, offset=offset, limit=limit)


async def one(session: AsyncSession, receipt_id: uuid.UUID, *, now: datetime) -> ReceiptItem:
    """A receipt with its log, or 404."""
    row = (await session.execute(receipts_query().where(RepairReceipt.id == receipt_id))).first()
    if row is None:
        raise not_found("receipt")
    return (await _items(session, [row], now=now))[0]


async def _locked(
    session: AsyncSession, receipt_id: uuid.UUID
) -> tuple[RepairReceipt, list[ReceiptEvent]]:
    """The receipt, locked until the transaction ends, and its log in order; or 404."""
    receipt = await session.scalar(
        select(RepairReceipt).where(RepairReceipt.id == receipt_id).with_for_update()
    )
    if receipt is None:
        raise not_found("receipt")
    log = await session.scalars(
        select(ReceiptEvent).where(ReceiptEvent.receipt_id == receipt.id).order_by(ReceiptEvent.seq)
    )
    return receipt, list(log)


def _refused(receipt: RepairReceipt, detail: str) -> Conflict:
    return Conflict(detail, code=ErrorCode.RECEIPT_STATUS, params={"status": receipt.status.value})


def _write(
    session: AsyncSession,
    receipt: RepairReceipt,
    log: Sequence[ReceiptEvent],
    direction: Direction,
    *,
    at: datetime,
    by: uuid.UUID,
    note: str,
) -> None:
    session.add(
        ReceiptEvent(
            receipt_id=receipt.id,
            seq=max((e.seq for e in log), default=-1) + 1,
            direction=direction.value,
            at=at,
            by_user_id=by,
            note=note,
        )
    )


async def move(
    session: AsyncSession, receipt_id: uuid.UUID, data: MoveIn, *, by: uuid.UUID, now: datetime
) -> None:
    """Log the item into the workshop or back to the customer (docs/receipts.md)."""
    receipt, events = await _locked(session, receipt_id)
    check_version(receipt, data)
    direction = FORWARD.get((receipt.status, data.to))
    if direction is None:
        raise _refused(receipt, f"a receipt {receipt.status.value} cannot move to {data.to.value}")
    earliest = _earliest(receipt, replay(events))
    at = now if data.at is None else data.at
    if at > now + CLOCK_SLACK or at < earliest:
        raise DomainError(
            f"the time of the move must lie between the item's latest line "
            f"({earliest.isoformat()}) and now",
            code=ErrorCode.MOVE_TIME,
            params={"earliest": earliest.isoformat()},
        )
    at = min(at, now)
    receipt.status = data.to
    if data.to == ReceiptStatus.RETURNED:
        receipt.returned_at = at
    _write(session, receipt, events, direction, at=at, by=by, note=data.note)


async def undo(
    session: AsyncSession, receipt_id: uuid.UUID, data: UndoIn, *, by: uuid.UUID, now: datetime
) -> None:
    """Take back the latest standing move, with the reason (docs/receipts.md)."""
    receipt, events = await _locked(session, receipt_id)
    check_version(receipt, data)
    log = replay(events)
    before = _status_before(receipt, log)
    if before is None:
        raise _refused(receipt, "there is no move of the office to take back")
    if not data.note.strip():
        raise DomainError("say why the move is taken back", code=ErrorCode.REASON_NEEDED)
    receipt.status = before
    receipt.returned_at = None
    at = max(now, _earliest(receipt, log))  # never before a line a clock ahead wrote
    _write(session, receipt, events, Direction.UNDO, at=at, by=by, note=data.note)


async def withdraw(
    session: AsyncSession, receipt_id: uuid.UUID, data: UndoIn, *, by: uuid.UUID, now: datetime
) -> None:
    """Withdraw a receipt written by mistake, saying why: only one the office has not logged
    in or out (docs/receipts.md)."""
    receipt, events = await _locked(session, receipt_id)
    check_version(receipt, data)
    if receipt.status != ReceiptStatus.TAKEN:
        raise _refused(receipt, "only a receipt the office has not logged in or out is withdrawn")
    if not data.note.strip():
        raise DomainError("say why the receipt is withdrawn", code=ErrorCode.REASON_NEEDED)
    receipt.status = ReceiptStatus.VOID
    at = max(now, _earliest(receipt, replay(events)))
    _write(session, receipt, events, Direction.VOID, at=at, by=by, note=data.note)


async def update(session: AsyncSession, receipt_id: uuid.UUID, patch: ReceiptPatch) -> None:
    """Change the promised date until the item is returned."""
    receipt, _ = await _locked(session, receipt_id)
    check_version(receipt, patch)
    if receipt.status in CLOSED:
        raise _refused(
            receipt, "the receipt is done with (returned or withdrawn); it no longer changes"
        )
    promised = patch.promised_at
    if isinstance(promised, datetime) and not (
        receipt.taken_at <= promised <= receipt.taken_at + timedelta(days=365 * PROMISE_YEARS)
    ):
        raise DomainError(
            f"the promised date must lie between the taking ({receipt.taken_at.isoformat()}) "
            f"and {PROMISE_YEARS} years after it",
            status_code=400,
        )
    apply_patch(receipt, patch)


REGISTER_COLUMNS = (
    ("Time 时间", 17),
    ("In/out 进出", 12),
    ("Receipt 收据号", 16),
    ("Customer 客户", 24),
    ("Item 产品", 28),
    ("Serial 序列号", 18),
    ("Accessories 附件", 20),
    ("Job 工单", 16),
    ("By 经办人", 12),
    ("Note 备注", 30),
    ("Cancels 撤销的记录", 24),
)
DIRECTION_WORDS = {
    Direction.IN: "In 入",
    Direction.OUT: "Out 出",
    Direction.UNDO: "Cancelled 撤销",
}
"""The register's lines: the taking is the receipt itself, not a line of the register."""


async def register_xlsx(
    session: AsyncSession, *, start: datetime, end: datetime, title: str, tz: str
) -> bytes:
    """The in/out register (客户产品进出登记) of a period as a workbook: every line that brought
    an item into the workshop or back to its customer, and every one cancelled, by time. A
    cancelling line names the line it cancels. Built in a worker thread: a year's register
    takes seconds, and the server answers others meanwhile."""
    lines = (
        await session.execute(
            select(ReceiptEvent, RepairReceipt, Customer.name, Job.number, User.display_name)
            .join(RepairReceipt, RepairReceipt.id == ReceiptEvent.receipt_id)
            .join(Job, Job.id == RepairReceipt.job_id)
            .join(Customer, Customer.id == Job.customer_id)
            .outerjoin(User, User.id == ReceiptEvent.by_user_id)
            .where(
                ReceiptEvent.direction.in_([d.value for d in DIRECTION_WORDS]),
                ReceiptEvent.at >= start,
                ReceiptEvent.at < end,
            )
            .order_by(ReceiptEvent.at, ReceiptEvent.receipt_id, ReceiptEvent.seq)
        )
    ).all()
    undoing = {e.receipt_id for e, *_ in lines if e.direction == Direction.UNDO}
    cancelled: dict[uuid.UUID, ReceiptEvent] = {}
    if undoing:
        logs: dict[uuid.UUID, list[ReceiptEvent]] = {}
        for event in await session.scalars(
            select(ReceiptEvent)
            .where(ReceiptEvent.receipt_id.in_(undoing))
            .order_by(ReceiptEvent.receipt_id, ReceiptEvent.seq)
        ):
            logs.setdefault(event.receipt_id, []).append(event)
        for log in logs.values():
            cancelled.update(replay(log).undone)
        # Taking a withdrawal back is no line of the register: the withdrawal was none either.
        lines = [
            line
            for line in lines
            if line[0].id not in cancelled or cancelled[line[0].id].direction != Direction.VOID
        ]
    return await anyio.to_thread.run_sync(_register_book, lines, cancelled, title, tz)


def _register_book(
    lines: Sequence[Any], cancelled: dict[uuid.UUID, ReceiptEvent], title: str, tz: str
) -> bytes:
    from zoneinfo import ZoneInfo

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from api.sheets import append, as_data

    zone = ZoneInfo(tz)

    def when(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for column, (_, width) in enumerate(REGISTER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    append(
        sheet,
        [f"{name} ({tz})" if i == 0 else name for i, (name, _) in enumerate(REGISTER_COLUMNS)],
    )
    for event, receipt, customer, job_number, by in lines:
        undone = cancelled.get(event.id)
        append(
            sheet,
            [
                when(event.at),
                DIRECTION_WORDS[Direction(event.direction)],
                receipt.number,
                customer,
                receipt.item_description,
                receipt.serial,
                receipt.accessories,
                job_number,
                by or "",
                event.note,
                f"{DIRECTION_WORDS[Direction(undone.direction)]} {when(undone.at)}"
                if undone
                else "",
            ],
        )
    return as_data(book)
