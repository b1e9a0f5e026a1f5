"""The feed follows commit order, and a writer holds the feed's lock only while it commits."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db import Database
from api.models import Asset, Change, Customer, Note
from tests.helpers import World
from tests.sync.conftest import Register


async def _entries(db: Database, world: World) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.execute(
            select(Change.entity, Change.seq).where(
                Change.entity_id.in_([str(world.customer.id), str(world.asset.id)])
            )
        )
        counts: dict[str, int] = {"customers": 0, "assets": 0}
        for entity, _ in rows:
            counts[entity] += 1
        return counts


# PostgreSQL only: there, writers overlap; SQLite lets one write transaction run at a time.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_writer_that_began_first_and_commits_last_gets_the_later_feed_position(
    db: Database, world: World
) -> None:
    second_done = asyncio.Event()
    first_flushed = asyncio.Event()

    async def first() -> None:
        async with db.write() as session:
            customer = await session.get(Customer, world.customer.id)
            assert customer is not None
            customer.name = "began first"
            await session.flush()
            first_flushed.set()
            # Still open: a writer that took the feed's lock at its start would now hold up
            # every other writer, this test's second one included, until it gave up.
            await asyncio.wait_for(second_done.wait(), timeout=20)

    async def second() -> None:
        await first_flushed.wait()
        async with db.write() as session:
            asset = await session.get(Asset, world.asset.id)
            assert asset is not None
            asset.name = "committed first"
        second_done.set()

    await asyncio.gather(first(), second())
    async with db.read() as session:
        seqs = {
            entity: seq
            for entity, seq in await session.execute(
                select(Change.entity, Change.seq).where(
                    Change.entity_id.in_([str(world.customer.id), str(world.asset.id)]),
                    Change.seq > 0,
                )
            )
        }
        last = await session.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1))
    assert seqs["assets"] < seqs["customers"], "the feed is in commit order"
    assert last == seqs["customers"]


@pytest.mark.parametrize(
    ("how", "error"),
    [("an error raised in it", RuntimeError), ("its own flush refused", IntegrityError)],
)
async def test_a_rolled_back_savepoint_takes_its_feed_entries_with_it(
    db: Database, world: World, how: str, error: type[Exception]
) -> None:
    # A refused flush rolls the savepoint back itself (no rollback of the savepoint is ever
    # asked for); its rows' entries must go all the same.
    async with db.write() as session:
        session.add(Customer(code="FEED-A", name="written before"))
    before = await _entries(db, world)
    async with db.write() as session:

        async def undone() -> None:
            async with session.begin_nested():
                customer = await session.get(Customer, world.customer.id)
                assert customer is not None
                customer.name = "undone"
                if error is IntegrityError:
                    session.add(Customer(code="FEED-A", name="a second FEED-A"))
                await session.flush()
                raise RuntimeError(how)

        with pytest.raises(error):
            await undone()
        asset = await session.get(Asset, world.asset.id)
        assert asset is not None
        asset.name = "kept"
    after = await _entries(db, world)
    async with db.read() as session:
        name = await session.scalar(select(Customer.name).where(Customer.id == world.customer.id))
        query = select(Change.entity_id).where(Change.entity == "customers")
        named = {uuid.UUID(ident) for ident in await session.scalars(query)}
        stored = set(await session.scalars(select(Customer.id)))
    assert name != "undone"
    assert after["customers"] == before["customers"], "no entry for the undone change"
    assert after["assets"] == before["assets"] + 1, "the kept change has its entry"
    assert named <= stored, "every customer entry names a stored row"


async def test_a_savepoint_left_open_at_commit_keeps_the_feed_entries(
    db: Database, world: World
) -> None:
    # The unit of work commits with a savepoint still open (released on the way): every
    # change it made, inside the savepoint and before it, must reach the feed.
    before = await _entries(db, world)
    async with db.write() as session:
        customer = await session.get(Customer, world.customer.id)
        assert customer is not None
        customer.name = "before the savepoint"
        await session.flush()
        await session.begin_nested()
        asset = await session.get(Asset, world.asset.id)
        assert asset is not None
        asset.name = "inside the savepoint"
    after = await _entries(db, world)
    async with db.read() as session:
        name = await session.scalar(select(Asset.name).where(Asset.id == world.asset.id))
    assert name == "inside the savepoint"
    assert after == {"customers": before["customers"] + 1, "assets": before["assets"] + 1}


async def test_only_the_jobs_of_written_feed_entries_are_announced(
    db: Database, world: World, new_job: Register
) -> None:
    # The office's live board is told which jobs a write changed once it has committed; a
    # job changed only in a rolled-back savepoint did not change.
    kept, undone = uuid.UUID(await new_job()), uuid.UUID(await new_job())
    announced: list[set[uuid.UUID]] = []
    db.on_jobs_changed = announced.append
    async with db.write() as session:

        async def undo() -> None:
            async with session.begin_nested():
                session.add(Note(job_id=undone, author_id=world.dispatcher.id, body="undone"))
                await session.flush()
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await undo()
        session.add(Note(job_id=kept, author_id=world.dispatcher.id, body="kept"))
    assert announced == [{kept}]
