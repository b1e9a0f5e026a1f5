"""Races between writers, and between a writer and a pull, forced into their worst order.

On PostgreSQL transactions overlap: two pushes (two phones of one engineer), a push and the
office, or a pull and an assignment. Each test holds one side at the point where the other
must get in, through a hook on the code it runs, so the interleaving happens every time and
not only by chance. A deadlock answers 503 (the client raises); a lost job stays missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.domain.sync import handlers
from api.domain.sync import pull as pull_module
from api.domain.sync import push as push_module
from sync.client import SyncClient
from tests.helpers import World
from tests.sync.conftest import Register

Device = Callable[[str], SyncClient]
WAIT = 3.0
"""How long a held side waits for the other (the other cannot come when locks serialise
them: then the wait times out and both go on, in turn)."""


async def _until(event: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), WAIT)


async def _part(client: httpx.AsyncClient, desk: dict[str, str], code: str) -> str:
    answer = await client.post(
        "/api/parts", json={"code": code, "name": "件", "price": "1"}, headers=desk
    )
    assert answer.status_code == 201, answer.text
    part_id: str = answer.json()["id"]
    return part_id


async def test_a_job_assigned_while_a_pull_runs_arrives_whole(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On PostgreSQL each statement of a pull sees the database as it is then. Were the scope
    # read before the feed's head, an assignment committed between the two would be read as
    # an eviction below the head, and the job would never reach the phone.
    await new_job()
    phone = device("wang")
    await phone.sync()
    created = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "asset_id": str(world.asset.id),
            "channel": "phone",
            "fault_description": "reported late",
        },
        headers=desk,
    )
    late: str = created.json()["job"]["id"]
    await phone.pull()  # past the new job's entries, not the phone's yet
    real_load = pull_module.Scope.load.__func__  # type: ignore[attr-defined]
    assigned = False

    async def load_then_assign(cls: Any, session: Any, engineer_id: uuid.UUID) -> Any:
        nonlocal assigned
        scope = await real_load(cls, session, engineer_id)
        if not assigned:  # the dispatcher commits right after the pull read the scope
            assigned = True
            answer = await client.post(
                f"/api/jobs/{late}/assign",
                json={"engineer_id": str(world.engineer.id)},
                headers=desk,
            )
            assert answer.status_code == 200, answer.text
        return scope

    monkeypatch.setattr(pull_module.Scope, "load", classmethod(load_then_assign))
    await phone.pull()
    monkeypatch.undo()
    await phone.pull()
    assert assigned
    assert late in {job["id"] for job in phone.jobs()}


async def test_a_part_line_change_and_a_push_naming_its_job_take_turns(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # part_line.change names no job. Phone A changes a line while phone B (same engineer)
    # records on the line's job and then changes the line: were A to lock the line before
    # the job, the two would wait for each other.
    part = await _part(client, desk, "P-RACE-1")
    job_id = await new_job()
    a, b = device("wang"), device("wang")
    line = uuid.uuid4()
    a.mutate(
        "part_line.add", id=line, job_id=job_id, part_id=part, quantity="1", billing="chargeable"
    )
    await a.sync()
    await b.sync()
    a_started, b_holds_job = asyncio.Event(), asyncio.Event()
    real_job_for, real_prefetch = handlers.job_for, push_module.prefetch

    async def job_for(ctx: handlers.Context, ident: uuid.UUID) -> Any:
        if ctx.device_id == a.device_id:
            a_started.set()
            await _until(b_holds_job)
        return await real_job_for(ctx, ident)

    async def prefetch(session: Any, batch: handlers.Batch, envelopes: Any, **kw: Any) -> None:
        if any(e.name == "job.record" for e in envelopes):
            await _until(a_started)
            await real_prefetch(session, batch, envelopes, **kw)
            b_holds_job.set()
            return
        await real_prefetch(session, batch, envelopes, **kw)

    monkeypatch.setattr(handlers, "job_for", job_for)
    monkeypatch.setattr(push_module, "prefetch", prefetch)
    a.mutate("part_line.change", id=line, fields={"quantity": "2"})
    b.mutate("job.record", job_id=job_id, fields={"diagnosis": "x"})
    b.mutate("part_line.change", id=line, fields={"note": "n"})
    await a.login()
    await b.login()
    answers = await asyncio.gather(a.push(), b.push(), return_exceptions=True)
    assert not [x for x in answers if isinstance(x, BaseException)], answers
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    (kept,) = detail["part_lines"]
    assert (kept["quantity"], kept["note"]) == ("2.000", "n"), "both changes were applied"
    assert detail["diagnosis"] == "x"


async def test_receipts_and_van_parts_from_two_phones_take_turns(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A receipt takes the receipt-number counter, a van part line the van. Two phones of one
    # engineer doing both in opposite orders would each hold one and wait for the other.
    part = await _part(client, desk, "P-RACE-2")
    jobs = [await new_job(), await new_job()]
    first, second = device("wang"), device("wang")
    await first.login()
    await second.login()
    first_has_number, second_has_van = asyncio.Event(), asyncio.Event()
    real_number, real_van = handlers.next_number, handlers.move_van_stock

    async def next_number(session: Any, *args: Any) -> Any:
        number = await real_number(session, *args)
        if not first_has_number.is_set():
            first_has_number.set()
            await _until(second_has_van)
        return number

    async def move_van_stock(session: Any, line: Any, delta: Any, **kw: Any) -> None:
        if line.job_id == uuid.UUID(jobs[1]):
            await _until(first_has_number)
            await real_van(session, line, delta, **kw)
            second_has_van.set()
            return
        await real_van(session, line, delta, **kw)

    monkeypatch.setattr(handlers, "next_number", next_number)
    monkeypatch.setattr(handlers, "move_van_stock", move_van_stock)

    def line(phone: SyncClient, job: str) -> None:
        phone.mutate(
            "part_line.add",
            id=uuid.uuid4(),
            job_id=job,
            part_id=part,
            quantity="1",
            billing="chargeable",
        )

    def receipt(phone: SyncClient, job: str) -> None:
        phone.mutate("receipt.add", id=uuid.uuid4(), job_id=job, item_description="主板")

    receipt(first, jobs[0])
    line(first, jobs[0])
    line(second, jobs[1])
    receipt(second, jobs[1])
    answers = await asyncio.gather(first.push(), second.push(), return_exceptions=True)
    assert not [x for x in answers if isinstance(x, BaseException)], answers
    for answer in answers:
        assert not isinstance(answer, BaseException)
        assert answer is not None
        assert [r.status.value for r in answer.results] == ["applied", "applied"]


async def test_deciding_many_conflicts_and_a_push_on_their_second_job_take_turns(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The office decides quantity clashes on two jobs at once; each decision moves the van's
    # stock. Were the second job locked only after the first decision held the van, a push on
    # the second job (which locks its job, then the van) would close the cycle.
    from api.domain.sync import conflicts as reconciliation
    from tests.sync.test_conflicts import _quantity_clash, conflicts

    jobs = [
        await _quantity_clash(client, new_job, device, desk, code="P-RACE-3"),
        await _quantity_clash(client, new_job, device, desk, code="P-RACE-4"),
    ]
    first, second = sorted(jobs, key=uuid.UUID)
    ids = [c["id"] for job in jobs for c in await conflicts(client, desk, job_id=job)]
    part = await _part(client, desk, "P-RACE-5")
    phone = device("wang")
    await phone.login()
    phone.mutate(
        "part_line.add",
        id=uuid.uuid4(),
        job_id=second,
        part_id=part,
        quantity="1",
        billing="chargeable",
    )
    office_has_van, phone_has_job = asyncio.Event(), asyncio.Event()
    real_van, real_prefetch = reconciliation.move_van_stock, push_module.prefetch

    async def move_van_stock(session: Any, line: Any, delta: Any, **kw: Any) -> None:
        await real_van(session, line, delta, **kw)
        if line.job_id == uuid.UUID(first) and not office_has_van.is_set():
            office_has_van.set()
            await _until(phone_has_job)

    async def prefetch(session: Any, batch: handlers.Batch, envelopes: Any, **kw: Any) -> None:
        await _until(office_has_van)
        await real_prefetch(session, batch, envelopes, **kw)
        phone_has_job.set()

    monkeypatch.setattr(reconciliation, "move_van_stock", move_van_stock)
    monkeypatch.setattr(push_module, "prefetch", prefetch)
    decided, pushed = await asyncio.gather(
        client.post(
            "/api/conflicts/resolve",
            json={"ids": ids, "choice": "value", "value": "4"},
            headers=desk,
        ),
        phone.push(),
        return_exceptions=True,
    )
    assert not isinstance(pushed, BaseException), pushed
    assert pushed is not None
    assert [r.status.value for r in pushed.results] == ["applied"]
    assert not isinstance(decided, BaseException)
    assert decided.status_code == 200, decided.text
    assert [c["status"] for c in decided.json()] == ["resolved", "resolved"]
