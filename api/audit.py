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

from api.bulk import is_timestamp
from api.logs import request_id_var
from api.models import Audited, AuditLog, Base, utcnow
from sync.ids import uuid7

_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _Shape:
    """What the hooks need to know of a mapped class, worked out once (a push describes
    thousands of rows of the same few classes)."""

    def __init__(self, cls: type[Base]) -> None:
        mapper = inspect(cls)
        self.keys = tuple(attr.key for attr in mapper.column_attrs)
        """Every column attribute."""
        exclude = cls.__audit_exclude__
        self.shown = tuple(key for key in self.keys if key not in exclude)
        """The attributes an audit snapshot shows (secrets left out)."""
        self.pk = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
        self.defaults: list[tuple[str, Any, bool]] = []
        """Python-side defaults: (attribute, callable or value, whether callable)."""
        self.clock: set[str] = set()
        """Timestamps that default to the time of writing."""
        for prop in mapper.column_attrs:
            default = getattr(prop.columns[0], "default", None)
            if default is None:
                continue
            arg = getattr(default, "arg", None)
            if callable(arg):
                self.defaults.append((prop.key, arg, True))
                if is_timestamp(prop.columns[0]):
                    self.clock.add(prop.key)
            elif getattr(default, "is_scalar", False):
                self.defaults.append((prop.key, arg, False))
        self.job_attr = "id" if cls.__tablename__ == "jobs" else "job_id"
        """Where a row names its job."""


_SHAPES: dict[type[Base], _Shape] = {}


def _shape(cls: type[Base]) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _Shape(cls)
    return shape


def _job_id(obj: Base) -> uuid.UUID | None:
    value = getattr(obj, _shape(type(obj)).job_attr, None)
    return value if isinstance(value, uuid.UUID) else None


def _entity_id(obj: Base) -> str:
    ident = inspect(obj).identity or tuple(getattr(obj, key) for key in _shape(type(obj)).pk)
    return ":".join(str(v) for v in ident)


def ensure_pk(obj: Base) -> None:
    """Fill a new row's Python-side defaults (its key, times, version) now, so hooks can name
    and describe the row before the INSERT would apply them."""
    for key, arg, call in _shape(type(obj)).defaults:
        if getattr(obj, key, None) is None:
            setattr(obj, key, arg(None) if call else arg)


def entity_id(obj: Base) -> str:
    """The text form of a row's primary key."""
    return _entity_id(obj)


def row_data(obj: Base) -> dict[str, Any]:
    """A JSON-safe dict of a row's columns, secrets left out."""
    return _snapshot(obj)


def _snapshot(obj: Base) -> dict[str, Any]:
    return {key: plain(getattr(obj, key)) for key in _shape(type(obj)).shown}


def audit_values(
    info: dict[str, Any], obj: Base, action: str, before: Any, after: Any
) -> dict[str, Any]:
    """The columns of the audit entry of one change to ``obj`` (``info``: the session's)."""
    return _entry(info, type(obj), _entity_id(obj), _job_id(obj), action, before, after)


def _entry(
    info: dict[str, Any],
    cls: type[Base],
    ident: str,
    job_id: uuid.UUID | None,
    action: str,
    before: Any,
    after: Any,
) -> dict[str, Any]:
    return {
        "actor_id": info.get("actor_id"),
        "request_id": info.get("request_id") or request_id_var.get(),
        "entity": cls.__tablename__,
        "entity_id": ident,
        "job_id": job_id,
        "action": action,
        "before": before,
        "after": after,
    }


class NewRow:
    """A row to INSERT, as column values rather than a mapped object.

    For the bulk writes of a push: making thousands of instrumented objects only to read their
    attributes back was most of what a push of notes cost. ``values`` holds every column, the
    Python-side defaults (key, times) filled in as the ORM would.
    """

    __slots__ = ("_ident", "cls", "values")

    def __init__(
        self, cls: type[Base], values: dict[str, Any], now: datetime | None = None
    ) -> None:
        self.cls = cls
        shape = _shape(cls)
        for key, arg, call in shape.defaults:
            if values.get(key) is None:
                if now is not None and key in shape.clock:
                    values[key] = now  # the rows of one write share its time
                else:
                    values[key] = arg(None) if call else arg
        self.values = {key: values.get(key) for key in shape.keys}
        self._ident: str | None = None

    def __getattr__(self, name: str) -> Any:
        # Attribute access as on the mapped object, for the feed's scope functions.
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def entity_id(self) -> str:
        """The text form of the row's primary key."""
        if self._ident is None:
            self._ident = ":".join(str(self.values[key]) for key in _shape(self.cls).pk)
        return self._ident

    def audit_insert(
        self, info: dict[str, Any], seen: dict[Any, Any] | None = None
    ) -> dict[str, Any]:
        """The columns of the audit entry of this row's INSERT (``info``: the session's).

        ``seen`` remembers the JSON forms of values across the rows of one write: a push's
        notes share their job, author and time, and converting them again was most of the
        cost of describing a row.
        """
        shape = _shape(self.cls)
        values = self.values
        memo: dict[Any, Any] = {} if seen is None else seen
        ident = self.entity_id
        after: dict[str, Any] = {}
        for key in shape.shown:
            value = values[key]
            kind = type(value)
            if key == "id" and kind is uuid.UUID and shape.pk == ("id",):
                after[key] = ident  # the key's text, made once
            elif kind in _AS_IS:
                after[key] = value
            elif kind is uuid.UUID:
                text = memo.get(value)
                if text is None:
                    text = memo[value] = str(value)
                after[key] = text
            elif isinstance(value, datetime):
                # Equal instants in two zones are equal keys but different texts.
                stamp = (value, value.utcoffset())
                text = memo.get(stamp)
                if text is None:
                    text = memo[stamp] = value.isoformat()
                after[key] = text
            else:
                after[key] = plain(value)
        job_id = values.get(shape.job_attr)
        return _entry(
            info,
            self.cls,
            ident,
            job_id if isinstance(job_id, uuid.UUID) else None,
            "insert",
            None,
            after,
        )


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
