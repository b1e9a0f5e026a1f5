"""The change feed: every change to a record a device may hold becomes a ``Change`` row.

A ``before_flush`` hook writes them, so office edits through the REST API, imports and sync
pushes all reach the devices the same way. Sequence numbers follow commit order (see
``api.models.Change``): every write transaction (``api.db.Database.write``) first takes the
``feed`` counter row, and its lock, until it ends, so writers commit in feed order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, insert, select, update
from sqlalchemy.orm import Mapper, Session, SessionTransaction, UOWTransaction, object_session

from api.audit import NewRow, ensure_pk, entity_id
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

FEED_COUNTER = "feed"
CHANGED_JOBS = "fieldsync.changed_jobs"
"""``session.info`` key: the jobs the transaction changed (announced after commit)."""
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


def claim_feed_slot(session: Session) -> int:
    """Take this transaction's slot in the feed (and the counter's lock until it ends).

    ``Database.write`` calls it first in every write transaction, before any other row is
    locked (see there); the flush hook calls it too, for sessions made some other way.
    """
    slot = session.info.get("feed_slot")
    if slot is None:
        slot = (
            session.connection()
            .execute(
                update(Counter)
                .where(Counter.name == FEED_COUNTER)
                .values(value=Counter.value + 1)
                .returning(Counter.value)
            )
            .scalar_one()
        )
        session.info["feed_slot"] = slot
        session.info["feed_n"] = 0
    return int(slot)


def feed_seq(slot: int, n: int) -> int:
    """The sequence number of the ``n``-th change of the transaction holding ``slot``."""
    if not 0 < n < (1 << SEQ_BITS):
        raise ValueError("a transaction may make at most 2**20 - 1 feed changes")
    return (slot << SEQ_BITS) | n


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
    if "feed_slot" not in session.info and session.in_nested_transaction():
        # A slot taken inside a savepoint could be rolled back with it while we still use it.
        raise RuntimeError("call claim_feed_slot() before the first savepoint")
    for obj, op in entries:
        ensure_pk(obj)
        session.add(Change(**change_values(session, obj, op)))


def change_values(session: Session, obj: Base | NewRow, op: str) -> dict[str, Any]:
    """The columns of the next feed entry of this transaction, for a change to ``obj``."""
    slot = claim_feed_slot(session)
    session.info["feed_n"] += 1
    if isinstance(obj, NewRow):
        cls, ident = obj.cls, obj.entity_id
    else:
        cls, ident = type(obj), entity_id(obj)
    job_id, customer_id, owner_id = SCOPES[cls](obj, session)
    if job_id is not None:
        session.info.setdefault(CHANGED_JOBS, set()).add(job_id)
    return {
        "seq": feed_seq(slot, session.info["feed_n"]),
        "entity": cls.__tablename__,
        "entity_id": ident,
        "op": op,
        "job_id": job_id,
        "customer_id": customer_id,
        "owner_id": owner_id,
    }


def new_row_changes(session: Session, rows: Sequence[NewRow], at: datetime) -> list[dict[str, Any]]:
    """The feed entries of new rows written in bulk (``change_values`` for many at once)."""
    slot = claim_feed_slot(session)
    n = session.info["feed_n"]
    if n + len(rows) >= 1 << SEQ_BITS:
        raise ValueError("a transaction may make at most 2**20 - 1 feed changes")
    changed: set[uuid.UUID] = session.info.setdefault(CHANGED_JOBS, set())
    entries = []
    for row in rows:
        n += 1
        job_id, customer_id, owner_id = SCOPES[row.cls](row, session)
        if job_id is not None:
            changed.add(job_id)
        entries.append(
            {
                "seq": (slot << SEQ_BITS) | n,
                "entity": row.cls.__tablename__,
                "entity_id": row.entity_id,
                "op": "upsert",
                "job_id": job_id,
                "customer_id": customer_id,
                "owner_id": owner_id,
                "at": at,
            }
        )
    session.info["feed_n"] = n
    return entries


@event.listens_for(Base, "after_delete", propagate=True)
def _record_delete(_mapper: Mapper[Any], connection: Connection, target: Base) -> None:
    # A mapper event: deletes by cascade or delete-orphan never show in before_flush.
    if type(target) not in SCOPES:
        return
    session = object_session(target)
    if session is None:
        return
    if "feed_slot" not in session.info and session.in_nested_transaction():
        raise RuntimeError("call claim_feed_slot() before the first savepoint")
    slot = claim_feed_slot(session)
    session.info["feed_n"] += 1
    job_id, customer_id, owner_id = SCOPES[type(target)](target, session)
    if job_id is not None:
        session.info.setdefault(CHANGED_JOBS, set()).add(job_id)
    connection.execute(
        insert(Change).values(
            seq=feed_seq(slot, session.info["feed_n"]),
            entity=type(target).__tablename__,
            entity_id=entity_id(target),
            op="delete",
            job_id=job_id,
            customer_id=customer_id,
            owner_id=owner_id,
            at=utcnow(),
        )
    )


@event.listens_for(Session, "after_transaction_end")
def _forget_slot(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop("feed_slot", None)
        session.info.pop("feed_n", None)
