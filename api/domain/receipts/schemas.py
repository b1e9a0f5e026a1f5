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
    UNDO = "undo"
    """A move made by mistake was taken back; the note says why."""


class MoveIn(Schema):
    """Log an item into the workshop or back to the customer, or take back a mistaken move."""

    to: ReceiptStatus
    note: Note = ""
    """Required when going back a step (the reason)."""
    at: AwareDatetime | None = None
    """When it happened (default: now); not before the previous move, not in the future."""


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
    """When the item came into the workshop (None: not there, or not yet)."""
    returned_at: datetime | None
    overdue: bool
    """Promised back by a time now past, and not returned."""
    version: int
    undo_to: ReceiptStatus | None
    """Where taking back the latest move returns the item (None: no move to take back)."""
    earliest_move_at: datetime
    """The earliest time a move forward may name: the latest move standing, else the taking."""
    events: list[ReceiptEventOut]
    """The log, oldest first."""
