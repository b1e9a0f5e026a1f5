"""Routes of return-for-repair receipts and the in/out register (docs/receipts.md)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.domain.office.controllers import XLSX, Period
from api.domain.office.services import period_bounds
from api.domain.receipts import services
from api.domain.receipts.schemas import MoveIn, ReceiptItem, ReceiptPatch, UndoIn
from api.guards import OFFICE, STAFF, allow
from api.http import Conflict, Offset, Page, SearchText
from api.models import ReceiptStatus
from api.security import Principal
from api.settings import Settings


async def _changed(
    db: Database,
    me: Principal,
    now: datetime,
    receipt_id: uuid.UUID,
    change: Callable[[AsyncSession, uuid.UUID], Awaitable[None]],
) -> ReceiptItem:
    """Make ``change`` to the receipt in one transaction of the caller's; the receipt after it."""
    async with db.write(actor_id=me.user_id) as session:
        await change(session, receipt_id)
        await session.flush()
        return await services.one(session, receipt_id, now=now)


class ReceiptController(Controller):
    """Items taken back for repair (客户产品返修收据), logged in and out (客户产品进出登记)."""

    path = "/api/receipts"
    tags = ["office"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listReceipts",
        summary="A page of repair receipts, the latest taken first, with filters and the total",
    )
    async def list_receipts(
        self,
        db: Database,
        now: datetime,
        status: ReceiptStatus | None = None,
        open_only: Annotated[
            bool | None,
            QueryParameter(
                name="open", description="true: not yet returned; false: returned or withdrawn"
            ),
        ] = None,
        overdue: Annotated[
            bool | None,
            Parameter(
                description="true: promised back by a time now past and not returned; false: not so"
            ),
        ] = None,
        job_id: uuid.UUID | None = None,
        q: SearchText = None,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=200, description="Rows per page")] = 50,
    ) -> Page[ReceiptItem]:
        query = services.filtered(
            now=now,
            status=status,
            open_only=open_only,
            overdue_only=overdue,
            job_id=job_id,
            q=q,
        )
        async with db.read() as session:
            return await services.page(session, query, now=now, limit=limit, offset=offset)

    @get(
        "/register.xlsx",
        opt=allow(*STAFF),
        operation_id="receiptRegisterXlsx",
        summary="The in/out register (客户产品进出登记) of a month, quarter or year, as Excel",
        media_type=XLSX,
    )
    async def register(self, period: Period, db: Database, settings: Settings) -> Response[bytes]:
        tz = settings.calendar.timezone
        start, end = period_bounds(period, tz)
        async with db.read() as session:
            book = await services.register_xlsx(session, start=start, end=end, title=period, tz=tz)
        return Response(
            book,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="register-{period}.xlsx"'},
        )

    @get(
        "/{receipt_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getReceipt",
        summary="One repair receipt with its log",
        raises=[NotFoundException],
    )
    async def get_receipt(self, receipt_id: uuid.UUID, db: Database, now: datetime) -> ReceiptItem:
        async with db.read() as session:
            return await services.one(session, receipt_id, now=now)

    @post(
        "/{receipt_id:uuid}/moves",
        opt=allow(*OFFICE),
        operation_id="moveReceipt",
        summary="Log the item into the workshop or back to the customer",
        raises=[NotFoundException, Conflict],
        status_code=200,
    )
    async def move(
        self, receipt_id: uuid.UUID, data: MoveIn, db: Database, me: Principal, now: datetime
    ) -> ReceiptItem:
        return await _changed(
            db, me, now, receipt_id, lambda s, r: services.move(s, r, data, by=me.user_id, now=now)
        )

    @post(
        "/{receipt_id:uuid}/undo",
        opt=allow(*OFFICE),
        operation_id="undoReceiptMove",
        summary="Take back the office's latest move of the item (made by mistake), with the reason",
        raises=[NotFoundException, Conflict],
        status_code=200,
    )
    async def undo(
        self, receipt_id: uuid.UUID, data: UndoIn, db: Database, me: Principal, now: datetime
    ) -> ReceiptItem:
        return await _changed(
            db, me, now, receipt_id, lambda s, r: services.undo(s, r, data, by=me.user_id, now=now)
        )

    @post(
        "/{receipt_id:uuid}/withdraw",
        opt=allow(*OFFICE),
        operation_id="withdrawReceipt",
        summary="Withdraw a receipt written by mistake (a duplicate, the wrong item), saying why",
        raises=[NotFoundException, Conflict],
        status_code=200,
    )
    async def withdraw(
        self, receipt_id: uuid.UUID, data: UndoIn, db: Database, me: Principal, now: datetime
    ) -> ReceiptItem:
        return await _changed(
            db,
            me,
            now,
            receipt_id,
            lambda s, r: services.withdraw(s, r, data, by=me.user_id, now=now),
        )

    @patch(
        "/{receipt_id:uuid}",
        opt=allow(*OFFICE),
        operation_id="updateReceipt",
        summary="Change the date the item is promised back to the customer",
        raises=[NotFoundException, Conflict],
    )
    async def update(
        self,
        receipt_id: uuid.UUID,
        data: ReceiptPatch,
        db: Database,
        me: Principal,
        now: datetime,
    ) -> ReceiptItem:
        return await _changed(db, me, now, receipt_id, lambda s, r: services.update(s, r, data))
