"""The change feed: every change to a record a device may hold becomes a ``Change`` row.

A ``before_flush`` hook notes them, so office edits through the REST API, imports and sync
pushes all reach the devices the same way. Sequence numbers follow commit order (see
``api.models.Change``): a transaction's entries wait in ``session.info`` (a rolled-back
savepoint takes its own with it) and are written as it commits, numbered in a slot taken then
from the ``feed`` counter row, whose lock the transaction keeps until it has committed. So a
later slot always commits later, and the lock is held for a moment, not for the transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Mapper, Session, SessionTransaction, UOWTransaction, object_session

from api.audit import NewRow, ensure_pk, entity_id
from api.bulk import insert_rows_now
from api.models import (
    Asset,
    Assignment,
    Base,
    Change,
    Contact,
    Counter,
    Customer,
    Job,
    Note,
    Part,
    PartLine,
    Photo,
    RepairReceipt,
    Satisfaction,
    Signature,
    Site,
    StockLevel,
    StockLocation,
    SyncConflict,
    TripEvent,
    utcnow,
)

log = logging.getLogger("fieldsync.feed")

FEED_COUNTER = "feed"
CHANGED_JOBS = "fieldsync.changed_jobs"
"""``session.info`` key: the jobs whose feed entries the transaction wrote (announced once it
has committed, to refresh the office's live board)."""
SEQ_BITS = 20
"""Changes one transaction may make: 2**20."""

Keys = tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]
"""(job_id, customer_id, owner_id) of a change, for scoping pulls."""


def _by_job(obj: Any, _: Session) -> Keys:
    return obj.job_id, None, None


def _van_owner(obj: Any, session: Session) -> Keys:
    owner = (
        session.connection()
        .execute(select(StockLocation.engineer_id).where(StockLocation.id == obj.location_id))
        .scalar()
    )
    return None, None, owner


SCOPES: dict[type[Base], Callable[[Any, Session], Keys]] = {
    Job: lambda o, _: (o.id, o.customer_id, None),
    Assignment: lambda o, _: (o.job_id, None, o.engineer_id),
    PartLine: _by_job,
    Photo: _by_job,
    Signature: _by_job,
    TripEvent: _by_job,
    Note: _by_job,
    Satisfaction: _by_job,
    RepairReceipt: _by_job,
    SyncConflict: _by_job,
    Customer: lambda o, _: (None, o.id, None),
    Contact: lambda o, _: (None, o.customer_id, None),
    Site: lambda o, _: (None, o.customer_id, None),
    Asset: lambda o, _: (None, o.customer_id, None),
    Part: lambda o, _: (None, None, None),
    StockLevel: _van_owner,
}
"""Every entity in the feed, with how to find the scope keys of one of its rows."""
ENTITY_CLASSES: dict[str, type[Base]] = {cls.__tablename__: cls for cls in SCOPES}


FEED_BUFFER = "fieldsync.feed_buffer"
"""``session.info`` key: this transaction's feed entries, written when it commits."""
_MARKS = "fieldsync.feed_marks"
"""``session.info`` key: the buffer's length when each open savepoint began."""


def claim_feed_slot(session: Session) -> int:
    """Take this transaction's slot in the feed, and the feed counter's lock until it ends.

    Called as the transaction commits (:func:`_write_feed`), after its last flush: the lock
    is then held only while the feed entries are inserted and the transaction commits, and
    whoever holds it waits for no other lock, so it cannot deadlock with anything.
    """
    return int(
        session.connection()
        .execute(
            update(Counter)
            .where(Counter.name == FEED_COUNTER)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        )
        .scalar_one()
    )


def _buffer(session: Session) -> list[dict[str, Any]]:
    buffer: list[dict[str, Any]] = session.info.setdefault(FEED_BUFFER, [])
    return buffer


@event.listens_for(Session, "before_flush")
def _record_changes(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    entries: list[tuple[Base, str]] = []
    entries += [(o, "upsert") for o in session.new if type(o) in SCOPES]
    entries += [
        (o, "upsert")
        for o in session.dirty
        if type(o) in SCOPES and session.is_modified(o, include_collections=False)
    ]
    if not entries:
        return
    buffer, now = _buffer(session), utcnow()
    for obj, op in entries:
        ensure_pk(obj)
        buffer.append({**change_values(session, obj, op), "at": now})


def change_values(session: Session, obj: Base | NewRow, op: str) -> dict[str, Any]:
    """The columns of a feed entry for a change to ``obj`` (all but ``seq`` and ``at``)."""
    if isinstance(obj, NewRow):
        cls, ident = obj.cls, obj.entity_id
    else:
        cls, ident = type(obj), entity_id(obj)
    job_id, customer_id, owner_id = SCOPES[cls](obj, session)
    return {
        "entity": cls.__tablename__,
        "entity_id": ident,
        "op": op,
        "job_id": job_id,
        "customer_id": customer_id,
        "owner_id": owner_id,
    }


def announce(session: Session, obj: Base) -> None:
    """A feed entry for ``obj`` though it did not change, so that its readers get it again.

    A job filed under another customer announces its current assignment: the engineer's
    phone takes an assignment entry as the job entering its scope, and is sent the job with
    its customer's file (``api.domain.sync.pull``), which it does not hold yet."""
    _buffer(session).append({**change_values(session, obj, "upsert"), "at": utcnow()})


def record_new_rows(session: Session, rows: Sequence[NewRow], at: datetime) -> None:
    """Feed entries for new rows written in bulk (what the flush hook does for objects)."""
    _buffer(session).extend({**change_values(session, row, "upsert"), "at": at} for row in rows)


@event.listens_for(Base, "after_delete", propagate=True)
def _record_delete(_mapper: Mapper[Any], _connection: Connection, target: Base) -> None:
    # A mapper event: deletes by cascade or delete-orphan never show in before_flush.
    if type(target) not in SCOPES:
        return
    session = object_session(target)
    if session is None:
        return
    _buffer(session).append({**change_values(session, target, "delete"), "at": utcnow()})


@event.listens_for(Session, "before_commit")
def _write_feed(session: Session) -> None:
    """Write the transaction's feed entries, numbered in its slot, as it commits."""
    if session.get_nested_transaction() is not None:
        return  # a savepoint's release: its entries stay in the buffer
    session.flush()  # the last changes' entries join the buffer first
    buffer = session.info.get(FEED_BUFFER)
    if not buffer:
        return
    if len(buffer) >= 1 << SEQ_BITS:
        raise ValueError("a transaction may make at most 2**20 - 1 feed changes")
    slot = claim_feed_slot(session) << SEQ_BITS
    rows = [{"seq": slot | n, **entry} for n, entry in enumerate(buffer, 1)]
    buffer.clear()
    # Taken from what is written, so a rolled-back savepoint's jobs are not announced.
    session.info[CHANGED_JOBS] = {row["job_id"] for row in rows} - {None}
    insert_rows_now(session.connection(), Change.__table__, rows)  # type: ignore[arg-type]


@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(_buffer(session))


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    # The entries of changes a rolled-back savepoint undid go with them. This event comes as
    # the database rolls back, while the savepoint is still the session's current one, also
    # when a failed flush inside it did the rolling back (no after_soft_rollback names the
    # savepoint then). A rollback of the whole transaction ends it, which empties the buffer.
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        mark = session.info.get(_MARKS, {}).get(savepoint)
        if mark is not None:
            del _buffer(session)[mark:]


@event.listens_for(Session, "after_commit")
def _check_written(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint's release: its entries wait for the transaction's commit
    if session.info.get(FEED_BUFFER):
        # Only a commit that closes an open savepoint on its way could leave entries here.
        log.error(
            "a transaction committed with %d feed entries unwritten", len(session.info[FEED_BUFFER])
        )


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(FEED_BUFFER, None)
        session.info.pop(_MARKS, None)
