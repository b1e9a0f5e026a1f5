"""The audit log: every insert, update and delete of a mapped row, with who, when, before, after.

A ``before_flush`` hook on every session finds the changed rows, so no service can forget to
audit. The actor and request id come from ``session.info`` (set by ``Database.write``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, event, insert, inspect
from sqlalchemy.orm import Mapper, Session, UOWTransaction, object_session

from api.ids import uuid7
from api.logs import request_id_var
from api.models import Audited, AuditLog, Base, utcnow


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _job_id(obj: Base) -> uuid.UUID | None:
    from api.models import Job

    if isinstance(obj, Job):
        return obj.id
    value = getattr(obj, "job_id", None)
    return value if isinstance(value, uuid.UUID) else None


def _entity_id(obj: Base) -> str:
    mapper = inspect(type(obj))
    ident = inspect(obj).identity or tuple(
        getattr(obj, mapper.get_property_by_column(c).key) for c in mapper.primary_key
    )
    return ":".join(str(v) for v in ident)


def ensure_pk(obj: Base) -> None:
    """Fill a new row's Python-side defaults (its key, times, version) now, so hooks can name
    and describe the row before the INSERT would apply them."""
    mapper = inspect(type(obj))
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        default = getattr(col, "default", None)
        if default is None or getattr(obj, prop.key, None) is not None:
            continue
        arg = getattr(default, "arg", None)
        if callable(arg):
            setattr(obj, prop.key, arg(None))
        elif getattr(default, "is_scalar", False):
            setattr(obj, prop.key, arg)


def entity_id(obj: Base) -> str:
    """The text form of a row's primary key."""
    return _entity_id(obj)


def row_data(obj: Base) -> dict[str, Any]:
    """A JSON-safe dict of a row's columns, secrets left out."""
    return _snapshot(obj)


def column_values(obj: Base) -> dict[str, Any]:
    """A row's columns as the database takes them (for a bulk INSERT of new rows)."""
    return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs}


def _snapshot(obj: Base) -> dict[str, Any]:
    exclude = type(obj).__audit_exclude__
    return {
        attr.key: plain(getattr(obj, attr.key))
        for attr in inspect(type(obj)).column_attrs
        if attr.key not in exclude
    }


def audit_values(
    info: dict[str, Any], obj: Base, action: str, before: Any, after: Any
) -> dict[str, Any]:
    """The columns of the audit entry of one change to ``obj`` (``info``: the session's)."""
    return {
        "actor_id": info.get("actor_id"),
        "request_id": info.get("request_id") or request_id_var.get(),
        "entity": type(obj).__tablename__,
        "entity_id": _entity_id(obj),
        "job_id": _job_id(obj),
        "action": action,
        "before": before,
        "after": after,
    }


def _record(session: Session, obj: Base, action: str, before: Any, after: Any) -> None:
    session.add(AuditLog(**audit_values(session.info, obj, action, before, after)))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    now = utcnow()
    for obj in list(session.new):
        if isinstance(obj, Base) and type(obj).__audit__:
            ensure_pk(obj)
            _record(session, obj, "insert", None, _snapshot(obj))
    for obj in list(session.dirty):
        if not (isinstance(obj, Base) and type(obj).__audit__):
            continue
        state = inspect(obj)
        exclude = type(obj).__audit_exclude__
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for prop in state.mapper.column_attrs:
            key = prop.key
            hist = state.attrs[key].history
            if not hist.has_changes() or key in {"updated_at", "version"}:
                continue
            if key in exclude:
                before[key] = after[key] = "<changed>"
                continue
            before[key] = plain(hist.deleted[0]) if hist.deleted else None
            after[key] = plain(hist.added[0]) if hist.added else None
        if not after:
            continue
        if isinstance(obj, Audited):
            obj.version = (obj.version or 0) + 1
            obj.updated_at = now
        _record(session, obj, "update", before, after)


@event.listens_for(Base, "after_delete", propagate=True)
def _after_delete(_mapper: Mapper[Any], connection: Connection, target: Base) -> None:
    # A mapper event, not before_flush: deletes by cascade or delete-orphan only show up here.
    if not type(target).__audit__:
        return
    session = object_session(target)
    info = session.info if session is not None else {}
    connection.execute(
        insert(AuditLog).values(
            id=uuid7(),
            at=utcnow(),
            actor_id=info.get("actor_id"),
            request_id=info.get("request_id") or request_id_var.get(),
            entity=type(target).__tablename__,
            entity_id=_entity_id(target),
            job_id=_job_id(target),
            action="delete",
            before=_snapshot(target),
            after=None,
        )
    )
