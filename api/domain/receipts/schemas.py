"""Wire shapes of the receipts' routes (docs/receipts.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from api.http import AwareDatetime, BaseVersion, Out, Schema
from api.models import ReceiptStatus

Note = Annotated[str, msgspec.Meta(max_length=2000)]


class Direction(StrEnum):
    """What a line of a receipt's log records."""

    TAKEN = "taken"
    """The engineer took the item from the customer's site (the receipt was written)."""
    IN = "in"
    """The item came into the workshop: an "in" line of the register."""
    OUT = "out"
    """The item went back to the customer: an "out" line of the register."""
    VOID = "void"
    """The office withdrew the receipt: written by mistake; the note says why."""
    UNDO = "undo"
    """The office's latest move was taken back (made by mistake); the note says why."""


class MoveIn(Schema):
    """Log an item into the workshop or back to the customer."""

    to: ReceiptStatus
    """in_workshop (from taken) or returned (from taken or in_workshop)."""
    note: Note = ""
    at: AwareDatetime | None = None
    """When it happened (default: now); not before the log's latest line, not in the future."""
    version: BaseVersion = msgspec.UNSET
    """The receipt's version the desk saw (optional): 409 if it changed since."""


class UndoIn(Schema):
    """Take back the latest move of the office, or withdraw a receipt, saying why."""

    note: Note
    """The reason (required)."""
    version: BaseVersion = msgspec.UNSET
    """The receipt's version the desk saw (optional): 409 if it changed since."""


class ReceiptPatch(Schema):
    """Changes to a receipt; absent fields stay as they are."""

    promised_at: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    """When the item is promised back to the customer (None: no promise)."""
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the receipt changed since."""


class ReceiptEventOut(Out):
    """One line of a receipt's log."""

    id: uuid.UUID
    direction: Direction
    at: datetime
    by_name: str
    note: str


class ReceiptItem(Out):
    """A receipt with its job, customer and log."""

    id: uuid.UUID
    number: str
    job_id: uuid.UUID
    job_number: str
    job_status: str
    customer_id: uuid.UUID
    customer_name: str
    taken_by_id: uuid.UUID | None
    taken_by_name: str
    item_description: str
    serial: str
    fault: str
    accessories: str
    status: ReceiptStatus
    taken_at: datetime
    promised_at: datetime | None
    in_workshop_at: datetime | None
    """When the item came into the workshop (None: it has not, or that move was taken back);
    a returned item keeps it."""
    returned_at: datetime | None
    overdue: bool
    """Promised back by a time now past, and not returned."""
    version: int
    undo_to: ReceiptStatus | None
    """Where taking back the latest move returns the item (None: no move to take back)."""
    earliest_move_at: datetime
    """The earliest time a move may name: the time of the log's latest line (or the taking)."""
    events: list[ReceiptEventOut]
    """The log, in the order it was written."""
