"""The pull: the change feed after a cursor, scoped to the calling engineer.

A new device primes from a snapshot of its scope (its jobs with everything on them, the
customers, sites and assets of those jobs with earlier visits, the parts catalogue, its van
stock), then follows the feed. A job assigned to the engineer enters the scope with all it
needs; a job taken away is evicted. The work of a pull follows the feed entries after the
cursor and the engineer's own jobs, not the size of the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import entity_id, plain, row_data
from api.feed import ENTITY_CLASSES
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
)
from sync import wire
from sync.cursor import Cursor, decode_cursor, encode_cursor

FEED_FLOOR = "feed_floor"
"""Counter: the highest sequence pruned from the feed; older cursors must resync."""
JOB_CHILDREN: tuple[type[Base], ...] = (
    PartLine,
    Photo,
    Signature,
    TripEvent,
    Note,
    Satisfaction,
    RepairReceipt,
)
VISITS_PER_ASSET = 10
JOBS_PER_PAGE = 25
"""Jobs per priming page; each brings its bundle, so such a page may exceed ``limit`` items."""
CUSTOMERS_PER_PAGE = 10
"""Customers' files per priming page (a file holds all of a customer's sites and assets)."""


class Scope:
    """What one engineer's phone holds: their assigned jobs and those jobs' customers."""

    def __init__(self, engineer_id: uuid.UUID, jobs: dict[uuid.UUID, uuid.UUID]) -> None:
        self.engineer_id = engineer_id
        self.jobs = jobs
        """job id to customer id."""
        self.customers = set(jobs.values())

    @classmethod
    async def load(cls, session: AsyncSession, engineer_id: uuid.UUID) -> Scope:
        """The engineer's current scope."""
        rows = await session.execute(
            select(Job.id, Job.customer_id)
            .join(Assignment, Assignment.job_id == Job.id)
            .where(Assignment.engineer_id == engineer_id, Assignment.ended_at.is_(None))
        )
        return cls(engineer_id, {job_id: customer_id for job_id, customer_id in rows.all()})


class Page:
    """Items gathered for one answer, each record at most once."""

    def __init__(self) -> None:
        self.items: list[wire.Item] = []
        self.evictions: list[uuid.UUID] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, objs: Iterable[Base], seq: int = 0) -> None:
        for obj in objs:
            key = (type(obj).__tablename__, entity_id(obj))
            if key not in self._seen:
                self._seen.add(key)
                self.items.append(
                    wire.Item(entity=key[0], id=key[1], op="upsert", data=row_data(obj), seq=seq)
                )

    async def add_rows(
        self, session: AsyncSession, cls: type[Base], *where: ColumnElement[bool]
    ) -> list[dict[str, Any]]:
        """Add the rows of ``cls`` matching ``where``, read without building ORM objects (a
        priming page holds thousands); returns their data. Same items as :meth:`add`."""
        columns = _columns(cls)
        rows = await session.execute(select(*(c for _, c in columns.fields)).where(*where))
        entity = cls.__tablename__
        added = []
        for row in rows:
            data = {
                key: value if type(value) in _AS_IS else plain(value)
                for (key, _), value in zip(columns.fields, row, strict=True)
            }
            ident = ":".join(str(row[i]) for i in columns.pk)
            key = (entity, ident)
            if key not in self._seen:
                self._seen.add(key)
                self.items.append(wire.Item(entity=entity, id=ident, op="upsert", data=data))
                added.append(data)
        return added

    def delete(self, entity: str, ident: str, seq: int) -> None:
        key = (entity, ident)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(wire.Item(entity=entity, id=ident, op="delete", seq=seq))


class _Columns:
    """The columns of a synced table as the feed sends them (``row_data``'s keys)."""

    def __init__(self, cls: type[Base]) -> None:
        exclude = cls.__audit_exclude__
        self.fields = [
            (prop.key, prop.columns[0])
            for prop in cls.__mapper__.column_attrs
            if prop.key not in exclude
        ]
        keys = [c.key for c in cls.__mapper__.primary_key]
        self.pk = [i for key in keys for i, (_, c) in enumerate(self.fields) if c.key == key]


_COLUMNS: dict[type[Base], _Columns] = {}
_AS_IS = frozenset({str, int, float, bool, type(None)})
"""Column values sent as they are (the rest go through ``plain``)."""


def _columns(cls: type[Base]) -> _Columns:
    if cls not in _COLUMNS:
        _COLUMNS[cls] = _Columns(cls)
    return _COLUMNS[cls]


async def _customer_graph(session: AsyncSession, page: Page, customer_ids: set[uuid.UUID]) -> None:
    if not customer_ids:
        return
    ids = list(customer_ids)
    await page.add_rows(session, Customer, Customer.id.in_(ids))
    await page.add_rows(session, Contact, Contact.customer_id.in_(ids))
    await page.add_rows(session, Site, Site.customer_id.in_(ids))
    assets = await page.add_rows(session, Asset, Asset.customer_id.in_(ids))
    await _visits(session, page, [uuid.UUID(a["id"]) for a in assets])


async def _visits(session: AsyncSession, page: Page, asset_ids: list[uuid.UUID]) -> None:
    """Earlier jobs on these assets, as read-only summaries (entity ``visits``)."""
    if not asset_ids:
        return
    rows = await session.execute(_newest_visits(Job.asset_id.in_(asset_ids)))
    for row in rows.mappings():
        _add_visit(page, row)


async def _visit_items(session: AsyncSession, page: Page, job_ids: list[uuid.UUID]) -> None:
    """Visit summaries of these changed jobs (those on an asset), kept to the
    :data:`VISITS_PER_ASSET` newest of each asset as priming sends them.

    An old job that changes (settled late, say) is no visit the device shows; a new job on an
    asset pushes the oldest of its visits out, and the device is told to drop it. The device
    held the newest visits before these changes, so those pushed out rank just below the
    newest: as many as the asset has changed jobs, at most.
    """
    if not job_ids:
        return
    changed = set(job_ids)
    counted = await session.execute(
        select(Job.asset_id, func.count())
        .where(Job.id.in_(job_ids), Job.asset_id.is_not(None))
        .group_by(Job.asset_id)
    )
    per_asset: dict[uuid.UUID | None, int] = {asset: count for asset, count in counted}
    if not per_asset:
        return
    reach = VISITS_PER_ASSET + max(per_asset.values())
    rows = await session.execute(_newest_visits(Job.asset_id.in_(list(per_asset)), reach))
    for row in rows.mappings():
        if row["n"] <= VISITS_PER_ASSET:
            if row["id"] in changed:
                _add_visit(page, row)
        elif row["n"] <= VISITS_PER_ASSET + per_asset[row["asset_id"]]:
            page.delete("visits", str(row["id"]), 0)


def _newest_visits(on: ColumnElement[bool], reach: int = VISITS_PER_ASSET) -> Select[Any]:
    """The ``reach`` newest jobs of each asset that ``on`` picks, newest first, with their
    rank ``n`` (1 for the newest)."""
    ranked = (
        select(
            Job,
            func.row_number()
            .over(partition_by=Job.asset_id, order_by=(Job.reported_at.desc(), Job.id.desc()))
            .label("n"),
        )
        .where(on)
        .subquery()
    )
    return select(ranked).where(ranked.c.n <= reach)


def _add_visit(page: Page, row: Any) -> None:
    key = ("visits", str(row["id"]))
    if key in page._seen:
        return
    page._seen.add(key)
    page.items.append(
        wire.Item(
            entity="visits",
            id=str(row["id"]),
            op="upsert",
            data={
                "id": str(row["id"]),
                "asset_id": str(row["asset_id"]),
                "number": row["number"],
                "status": str(row["status"]),
                "reported_at": _iso(row["reported_at"]),
                "completed_at": _iso(row["completed_at"]),
                "fault_description": row["fault_description"],
                "diagnosis": row["diagnosis"],
                "work_done": row["work_done"],
            },
        )
    )


def _iso(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if value is not None else None


async def _bundles(
    session: AsyncSession, page: Page, job_ids: Sequence[uuid.UUID], *, files: bool = True
) -> None:
    """Everything a phone needs for these jobs: the jobs, what hangs off them, and (with
    ``files``) their customers' files."""
    if not job_ids:
        return
    ids = list(job_ids)
    jobs = await page.add_rows(session, Job, Job.id.in_(ids))
    for cls in JOB_CHILDREN:
        await page.add_rows(session, cls, cls.job_id.in_(ids))  # type: ignore[attr-defined]
    # Resolved conflicts too: a device that followed the feed holds them with their outcome.
    await page.add_rows(session, SyncConflict, SyncConflict.job_id.in_(ids))
    if files:
        await _customer_graph(session, page, {uuid.UUID(j["customer_id"]) for j in jobs})


async def _van_levels(session: AsyncSession, page: Page, engineer_id: uuid.UUID) -> None:
    vans = select(StockLocation.id).where(StockLocation.engineer_id == engineer_id)
    await page.add_rows(session, StockLevel, StockLevel.location_id.in_(vans))


async def feed_head(session: AsyncSession) -> int:
    """The highest committed feed sequence."""
    return int(await session.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)


async def _counter(session: AsyncSession, name: str) -> int:
    return int(await session.scalar(select(Counter.value).where(Counter.name == name)) or 0)


async def pull(
    session: AsyncSession,
    *,
    engineer_id: uuid.UUID,
    cursor_text: str | None,
    limit: int,
    now: datetime,
) -> wire.PullResponse:
    """One page of the caller's feed."""
    floor = await _counter(session, FEED_FLOOR)
    if cursor_text:
        cursor = decode_cursor(cursor_text)
    else:
        # A pruned, quiet feed has no entries left: the snapshot starts at the floor then.
        cursor = Cursor(phase="prime", seq=max(await feed_head(session), floor), step="jobs")
    if cursor.phase == "feed" and cursor.seq < floor:
        return wire.PullResponse(server_time=now, cursor="", has_more=True, resync=True)
    # The head first, then the scope: an assignment committed between the two statements
    # (PostgreSQL reads each in its own snapshot) then lies above the head, for the next page.
    head = await feed_head(session) if cursor.phase == "feed" else 0
    scope = await Scope.load(session, engineer_id)
    page = Page()
    if cursor.phase == "prime":
        next_cursor = await _prime(session, page, scope, cursor, limit)
        has_more = True
    else:
        next_cursor, has_more = await _follow(session, page, scope, cursor, limit, head)
    return wire.PullResponse(
        server_time=now,
        cursor=encode_cursor(next_cursor),
        has_more=has_more,
        items=page.items,
        evictions=page.evictions,
    )


async def _prime(
    session: AsyncSession, page: Page, scope: Scope, cursor: Cursor, limit: int
) -> Cursor:
    """The next slice of a new device's snapshot."""
    if cursor.step == "jobs":
        ids = sorted(j for j in scope.jobs if cursor.after is None or j > cursor.after)
        # A job comes with all that hangs off it, so pages count jobs.
        taken = ids[:JOBS_PER_PAGE]
        await _bundles(session, page, taken, files=False)
        if len(taken) < len(ids):
            return Cursor(phase="prime", seq=cursor.seq, step="jobs", after=taken[-1])
        return Cursor(phase="prime", seq=cursor.seq, step="customers")
    if cursor.step == "customers":
        # Each customer's file once, however many of the caller's jobs are theirs.
        ids = sorted(c for c in scope.customers if cursor.after is None or c > cursor.after)
        taken = ids[:CUSTOMERS_PER_PAGE]
        await _customer_graph(session, page, set(taken))
        if len(taken) < len(ids):
            return Cursor(phase="prime", seq=cursor.seq, step="customers", after=taken[-1])
        return Cursor(phase="prime", seq=cursor.seq, step="parts")
    if cursor.step == "parts":
        query = select(Part.id).order_by(Part.id).limit(limit)
        if cursor.after is not None:
            query = query.where(Part.id > cursor.after)
        part_ids = list(await session.scalars(query))
        if part_ids:
            await page.add_rows(session, Part, Part.id.in_(part_ids))
        if len(part_ids) == limit:
            return Cursor(phase="prime", seq=cursor.seq, step="parts", after=part_ids[-1])
        return Cursor(phase="prime", seq=cursor.seq, step="stock")
    await _van_levels(session, page, scope.engineer_id)
    return Cursor(phase="feed", seq=cursor.seq)


async def _follow(
    session: AsyncSession, page: Page, scope: Scope, cursor: Cursor, limit: int, head: int
) -> tuple[Cursor, bool]:
    """Feed entries after the cursor that concern the caller, and whether more follow.

    The database picks the caller's entries, so a pull reads what concerns the caller, not what
    everyone else changed meanwhile. Writers commit one after the other in feed order (see
    ``api.feed``), so no entry at or below the head read first can commit later: the cursor
    moves to the head even when none of the entries up to it were the caller's.
    """
    if head <= cursor.seq:
        return cursor, False
    changes = list(
        await session.scalars(
            select(Change)
            .where(Change.seq > cursor.seq, Change.seq <= head, _concerns(scope))
            .order_by(Change.seq)
            .limit(limit + 1)
        )
    )
    has_more = len(changes) > limit
    changes = changes[:limit]
    if not changes:
        return Cursor(phase="feed", seq=head), False
    # The newest entry of each record decides; earlier ones in the page add nothing.
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        latest[(change.entity, change.entity_id)] = change
    entering: list[uuid.UUID] = []
    wanted: dict[str, dict[str, int]] = {}
    for (entity, ident), change in latest.items():
        if entity == Assignment.__tablename__:
            if change.owner_id != scope.engineer_id or change.job_id is None:
                continue
            if change.job_id in scope.jobs:
                entering.append(change.job_id)
            else:
                page.evictions.append(change.job_id)
            continue
        if _in_scope(change, scope):
            wanted.setdefault(entity, {})[ident] = change.seq
    await _bundles(session, page, entering)
    for entity, ids in wanted.items():
        await _current_rows(session, page, entity, ids)
    # A changed job on an asset the device holds is an earlier visit it shows: refresh it.
    visited = [
        uuid.UUID(ident)
        for (entity, ident), change in latest.items()
        if entity == Job.__tablename__ and change.customer_id in scope.customers
    ]
    await _visit_items(session, page, visited)
    return Cursor(phase="feed", seq=changes[-1].seq if has_more else head), has_more


def _concerns(scope: Scope) -> ColumnElement[bool]:
    """The feed entries that may concern the caller; :func:`_in_scope` decides exactly."""
    mine = (Part.__tablename__, StockLevel.__tablename__, Assignment.__tablename__)
    return or_(
        Change.entity == Part.__tablename__,
        and_(Change.entity.in_(mine), Change.owner_id == scope.engineer_id),
        Change.job_id.in_(list(scope.jobs)),
        Change.customer_id.in_(list(scope.customers)),
    )


def _in_scope(change: Change, scope: Scope) -> bool:
    if change.entity == Part.__tablename__:
        return True
    if change.entity == StockLevel.__tablename__:
        return change.owner_id == scope.engineer_id
    if change.job_id is not None:
        return change.job_id in scope.jobs
    return change.customer_id is not None and change.customer_id in scope.customers


async def _current_rows(
    session: AsyncSession, page: Page, entity: str, ids: dict[str, int]
) -> None:
    """The current state of changed records; the ones gone become tombstones."""
    cls = ENTITY_CLASSES[entity]
    if cls is StockLevel:
        keys = [tuple(uuid.UUID(p) for p in ident.split(":")) for ident in ids]
        rows = list(
            await session.scalars(
                select(StockLevel).where(
                    tuple_(StockLevel.location_id, StockLevel.part_id).in_(keys)
                )
            )
        )
    else:
        pk = cls.__mapper__.primary_key[0]
        rows = list(await session.scalars(select(cls).where(pk.in_([uuid.UUID(i) for i in ids]))))
    found = set()
    for row in rows:
        ident = entity_id(row)
        found.add(ident)
        page.add([row], ids[ident])
    for ident, seq in ids.items():
        if ident not in found:
            page.delete(entity, ident, seq)
