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

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from api.models import Audited, AuditLog, Base, utcnow


def _plain(value: Any) -> Any:
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


def _snapshot(obj: Base) -> dict[str, Any]:
    exclude = type(obj).__audit_exclude__
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in inspect(type(obj)).column_attrs
        if attr.key not in exclude
    }


def _record(session: Session, obj: Base, action: str, before: Any, after: Any) -> None:
    info = session.info
    session.add(
        AuditLog(
            actor_id=info.get("actor_id"),
            request_id=info.get("request_id", ""),
            entity=type(obj).__tablename__,
            entity_id=_entity_id(obj),
            job_id=_job_id(obj),
            action=action,
            before=before,
            after=after,
        )
    )


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    now = utcnow()
    for obj in list(session.new):
        if isinstance(obj, Base) and type(obj).__audit__:
            # Defaults are applied at INSERT; fill the primary key now so the log can name it.
            mapper = inspect(type(obj))
            for col in mapper.primary_key:
                name = mapper.get_property_by_column(col).key
                if getattr(obj, name, None) is None and col.default is not None:
                    arg = getattr(col.default, "arg", None)
                    if callable(arg):
                        setattr(obj, name, arg(None))
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
            before[key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[key] = _plain(hist.added[0]) if hist.added else None
        if not after:
            continue
        if isinstance(obj, Audited):
            obj.version = (obj.version or 0) + 1
            obj.updated_at = now
        _record(session, obj, "update", before, after)
    for obj in list(session.deleted):
        if isinstance(obj, Base) and type(obj).__audit__:
            _record(session, obj, "delete", _snapshot(obj), None)
