"""Receipts of items taken back for repair, and their in/out register (docs/receipts.md).

An engineer writes the receipt on the phone (``receipt.add``): the item is *taken*. The office
logs it into the workshop (*in_workshop*, an "in" line of the register) and back to the
customer (*returned*, an "out" line); an item repaired elsewhere may go straight back. A move
made by mistake is taken back, with a reason, by asking for the status before it: the log
keeps both lines. The log is replayed in the order it was written (ids are time-ordered), not
by the times it names, which the desk may set to when something happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db import count_rows
from api.domain.receipts.schemas import (
    Direction,
    MoveIn,
    ReceiptEventOut,
    ReceiptItem,
    ReceiptPatch,
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

CLOCK_SLACK = timedelta(minutes=5)
"""How far ahead of the server's clock a browser's "now" may be (it is taken as now)."""

Row = tuple[RepairReceipt, str, str, uuid.UUID, str, str]
Query = Select[RepairReceipt, str, JobStatus, uuid.UUID, str, str]
"""Receipts with their job's number and status, customer id and name, and taker's name."""
"""A receipt with its job's number and status, customer id and name, and taker's name."""


def _moves(events: Iterable[ReceiptEvent]) -> list[ReceiptEvent]:
    """The desk's moves (in and out) still standing, in order: each "undo" takes back the
    latest one."""
    standing: list[ReceiptEvent] = []
    for event in events:
        if event.direction == Direction.UNDO:
            if standing:
                standing.pop()
        elif event.direction != Direction.TAKEN:
            standing.append(event)
    return standing


def _earliest(receipt: RepairReceipt, standing: Sequence[ReceiptEvent]) -> datetime:
    """The earliest time a move forward may name: an item does not leave before it came."""
    return standing[-1].at if standing else receipt.taken_at


def _in_workshop_at(standing: Sequence[ReceiptEvent]) -> datetime | None:
    return next((e.at for e in reversed(standing) if e.direction == Direction.IN), None)


def item_out(
    row: Row, events: Sequence[ReceiptEvent], names: dict[uuid.UUID, str], *, now: datetime
) -> ReceiptItem:
    receipt, job_number, job_status, customer_id, customer_name, taker = row
    standing = _moves(events)
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
        in_workshop_at=_in_workshop_at(standing),
        returned_at=receipt.returned_at,
        overdue=overdue(receipt, now=now),
        version=receipt.version,
        undo_to=_status_before(receipt, standing),
        earliest_move_at=_earliest(receipt, standing),
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
    return (
        receipt.status != ReceiptStatus.RETURNED
        and receipt.promised_at is not None
        and receipt.promised_at < now
    )


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
        query = query.where(
            (RepairReceipt.status != ReceiptStatus.RETURNED)
            if open_only
            else (RepairReceipt.status == ReceiptStatus.RETURNED)
        )
    if overdue_only:
        query = query.where(
            RepairReceipt.status != ReceiptStatus.RETURNED, RepairReceipt.promised_at < now
        )
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
                .order_by(ReceiptEvent.id)
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


async def one(
    session: AsyncSession, receipt_id: uuid.UUID, *, now: datetime, for_update: bool = False
) -> ReceiptItem:
    query = receipts_query().where(RepairReceipt.id == receipt_id)
    if for_update:
        query = query.with_for_update(of=RepairReceipt)
    row = (await session.execute(query)).first()
    if row is None:
        raise not_found("receipt")
    return (await _items(session, [row], now=now))[0]


async def _locked(session: AsyncSession, receipt_id: uuid.UUID) -> RepairReceipt:
    receipt = await session.scalar(
        select(RepairReceipt).where(RepairReceipt.id == receipt_id).with_for_update()
    )
    if receipt is None:
        raise not_found("receipt")
    return receipt


def _refused(receipt: RepairReceipt, detail: str) -> Conflict:
    return Conflict(detail, code=ErrorCode.RECEIPT_STATUS, params={"status": receipt.status.value})


async def move(
    session: AsyncSession, receipt_id: uuid.UUID, data: MoveIn, *, by: uuid.UUID, now: datetime
) -> None:
    """Log the item in or out, or take back the last move (docs/receipts.md)."""
    receipt = await _locked(session, receipt_id)
    log = list(
        await session.scalars(
            select(ReceiptEvent)
            .where(ReceiptEvent.receipt_id == receipt.id)
            .order_by(ReceiptEvent.id)
        )
    )
    standing = _moves(log)
    direction = FORWARD.get((receipt.status, data.to))
    if direction is not None:
        at = now if data.at is None else data.at
        if at > now + CLOCK_SLACK:
            raise DomainError("the time of the move is in the future", status_code=400)
        at = min(at, now)
        since = _earliest(receipt, standing)
        if at < since:
            raise DomainError(
                f"the time of the move is before the item's last move ({since.isoformat()})",
                status_code=400,
            )
        note = data.note
    else:
        before = _status_before(receipt, standing)
        if before is None or data.to != before:
            raise _refused(
                receipt,
                f"a receipt {receipt.status.value} cannot move to {data.to.value}",
            )
        if not data.note.strip():
            raise DomainError("say why the last move is taken back", code=ErrorCode.REASON_NEEDED)
        direction, at, note = Direction.UNDO, now, data.note
        standing.pop()
    receipt.status = data.to
    receipt.returned_at = at if data.to == ReceiptStatus.RETURNED else None
    session.add(
        ReceiptEvent(
            receipt_id=receipt.id, direction=direction.value, at=at, by_user_id=by, note=note
        )
    )


def _status_before(
    receipt: RepairReceipt, standing: Sequence[ReceiptEvent]
) -> ReceiptStatus | None:
    """The status the last standing move left (None: nothing to take back)."""
    if receipt.status == ReceiptStatus.TAKEN or not standing:
        return None
    if len(standing) > 1 and standing[-2].direction == Direction.IN:
        return ReceiptStatus.IN_WORKSHOP
    return ReceiptStatus.TAKEN


async def update(session: AsyncSession, receipt_id: uuid.UUID, patch: ReceiptPatch) -> None:
    receipt = await _locked(session, receipt_id)
    check_version(receipt, patch)
    if receipt.status == ReceiptStatus.RETURNED:
        raise _refused(receipt, "the item has been returned; its receipt no longer changes")
    apply_patch(receipt, patch)


REGISTER_COLUMNS = (
    "Time 时间",
    "In/out 进出",
    "Receipt 收据号",
    "Customer 客户",
    "Item 产品",
    "Serial 序列号",
    "Accessories 附件",
    "Job 工单",
    "By 经办人",
    "Note 备注",
)
DIRECTION_WORDS = {
    Direction.IN: "In 入",
    Direction.OUT: "Out 出",
    Direction.UNDO: "Taken back 撤销",
}


async def register_xlsx(
    session: AsyncSession, *, start: datetime, end: datetime, title: str, tz: str
) -> bytes:
    """The in/out register (客户产品进出登记) of a period as a workbook: every line that brought
    an item into the workshop or back to its customer, and every move taken back, by time."""
    from zoneinfo import ZoneInfo

    from openpyxl import Workbook

    from api.sheets import as_data

    rows = (
        await session.execute(
            select(
                ReceiptEvent,
                RepairReceipt,
                Customer.name,
                Job.number,
                User.display_name,
            )
            .join(RepairReceipt, RepairReceipt.id == ReceiptEvent.receipt_id)
            .join(Job, Job.id == RepairReceipt.job_id)
            .join(Customer, Customer.id == Job.customer_id)
            .outerjoin(User, User.id == ReceiptEvent.by_user_id)
            .where(
                ReceiptEvent.direction.in_([d.value for d in DIRECTION_WORDS]),
                ReceiptEvent.at >= start,
                ReceiptEvent.at < end,
            )
            .order_by(ReceiptEvent.at, ReceiptEvent.id)
        )
    ).all()
    zone = ZoneInfo(tz)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(REGISTER_COLUMNS))
    for event, receipt, customer, job_number, by in rows:
        sheet.append(
            [
                event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                DIRECTION_WORDS[Direction(event.direction)],
                receipt.number,
                customer,
                receipt.item_description,
                receipt.serial,
                receipt.accessories,
                job_number,
                by or "",
                event.note,
            ]
        )
    for letter, width in zip("ABCDEFGHIJ", (17, 10, 16, 24, 28, 18, 20, 16, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    return as_data(book)
