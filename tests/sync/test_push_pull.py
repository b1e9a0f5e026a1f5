"""Push and pull through the HTTP endpoints with the reference client, on both databases."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.db import Database
from api.domain.jobs.services import CANCELLED_STAYS, retire_cancelled
from api.domain.sync.pull import VISITS_PER_ASSET
from api.housekeeping import Housekeeping
from api.models import Assignment, Change, Job, utcnow
from sync.client import SyncClient
from tests.helpers import World
from tests.sync.conftest import Register


async def test_priming_pull_brings_the_job_its_customer_file_and_the_catalogue(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    await client.post(
        "/api/parts", json={"code": "P-1", "name": "阀门", "price": "12.50"}, headers=desk
    )
    job_id = await new_job()
    other = await new_job("engineer2")
    phone = device("wang")
    await phone.pull()
    assert [j["id"] for j in phone.jobs()] == [job_id]
    assert phone.get("customers", world.customer.id)["name"] == world.customer.name
    assert phone.get("assets", world.asset.id)["serial"] == "SN-0001"
    assert phone.get("sites", world.site.id) is not None
    assert any(e == "parts" for e, _ in phone.server)
    assert phone.get("jobs", other) is None


async def test_a_days_offline_work_arrives_once_and_the_office_sees_it(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-9", "name": "压缩机", "price": "800"}, headers=desk
        )
    ).json()
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.accept", job_id=job_id)
    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.mutate("job.status", job_id=job_id, to="on_site", latitude=31.2, longitude=121.5)
    phone.mutate("job.record", job_id=job_id, fields={"diagnosis": "压缩机烧毁", "cause": "缺相"})
    line = uuid.uuid4()
    phone.mutate(
        "part_line.add",
        id=line,
        job_id=job_id,
        part_id=part["id"],
        quantity="1",
        billing="warranty",
    )
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="客户要求下周回访")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    assert phone.get("jobs", job_id)["diagnosis"] == "压缩机烧毁", "applied on the device at once"

    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["applied"] * 7
    assert answer.last_seq == 7
    assert phone.outbox == []

    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"
    assert detail["diagnosis"] == "压缩机烧毁"
    assert detail["acknowledged_at"] is not None
    assert [t["kind"] for t in detail["trip"]] == ["departed", "arrived"]
    assert detail["trip"][1]["latitude"] == 31.2
    assert [p["id"] for p in detail["part_lines"]] == [str(line)]
    assert detail["notes"][0]["body"] == "客户要求下周回访"


async def test_a_retried_push_returns_the_same_results_and_changes_nothing(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.record", job_id=job_id, fields={"diagnosis": "first"})
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="once")
    outbox = list(phone.outbox)
    first = await phone.push()
    before = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    phone.outbox = outbox  # the answer was lost: the device sends the same batch again
    again = await phone.push()
    assert first is not None
    assert again is not None
    assert [(r.id, r.status) for r in again.results] == [(r.id, r.status) for r in first.results]
    assert all(r.replayed for r in again.results)
    after = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert after["notes"] == before["notes"]
    assert after["history"] == before["history"]


async def test_one_bad_mutation_is_rejected_and_the_rest_go_on(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    theirs = await new_job("engineer2")
    phone = device("wang")
    await phone.pull()
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="before")
    phone.mutate("note.add", id=uuid.uuid4(), job_id=theirs, body="not mine")
    phone.mutate("job.record", job_id=job_id, fields={"office_notes": "sneaky"})
    phone.mutate(
        "part_line.add",
        id=uuid.uuid4(),
        job_id=job_id,
        part_id=uuid.uuid4(),
        quantity="1",
        billing="warranty",
    )
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="after")
    answer = await phone.push()
    assert answer is not None
    statuses = [r.status for r in answer.results]
    assert statuses == ["applied", "rejected", "rejected", "rejected", "applied"]
    reasons = [f.reason for f in phone.failed]
    assert "unknown job, or not assigned to you" in reasons[0]
    assert "not fields of the engineer's record" in reasons[1]
    assert reasons[2] == "unknown part"
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [n["body"] for n in detail["notes"]] == ["before", "after"]
    mine = (await client.get(f"/api/jobs/{theirs}", headers=desk)).json()
    assert mine["notes"] == []
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    refused = [h for h in history if h["outcome"] == "rejected"]
    assert [h["field"] for h in refused] == ["job.record", "part_line.add"]
    assert refused[0]["value"]["fields"] == {"office_notes": "sneaky"}
    assert "not fields of the engineer's record" in refused[0]["reason"]


async def test_office_changes_reach_the_device_in_the_next_pull(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    await client.patch(f"/api/jobs/{job_id}", json={"office_notes": "带梯子"}, headers=desk)
    await phone.pull()
    assert phone.get("jobs", job_id)["office_notes"] == "带梯子"


async def test_a_job_taken_away_is_evicted_and_a_new_one_arrives_whole(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    assert phone.get("jobs", job_id) is not None
    await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    fresh = await new_job()
    await phone.pull()
    assert phone.get("jobs", job_id) is None
    assert phone.get("jobs", fresh)["status"] == "assigned"
    other = device("li")
    await other.pull()
    assert other.get("jobs", job_id) is not None


async def test_a_cancelled_job_stays_on_the_phone_for_a_while_then_leaves(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    kept = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="已到现场")  # not yet pushed
    cancelled = await client.post(
        f"/api/jobs/{job_id}/cancel", json={"reason": "客户撤销"}, headers=desk
    )
    assert cancelled.status_code == 200, cancelled.text
    await phone.pull()
    assert phone.get("jobs", job_id)["status"] == "cancelled", "the engineer sees it called off"

    async def retire(days: float) -> int:
        async with db.write() as session:
            return await retire_cancelled(session, now=utcnow() + timedelta(days=days))

    assert await retire(CANCELLED_STAYS.days - 1) == 0
    await phone.pull()
    assert phone.get("jobs", job_id) is not None
    assert await retire(CANCELLED_STAYS.days + 1) == 1
    assert await retire(CANCELLED_STAYS.days + 1) == 0, "once"
    await phone.pull()
    assert phone.get("jobs", job_id) is None, "evicted"
    assert phone.get("jobs", kept)["status"] == "assigned"
    # The note written before the phone heard still arrives, kept on the job.
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status.value in {"applied", "conflict"}, answer.results[0]
    notes = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["notes"]
    assert [n["body"] for n in notes] == ["已到现场"]
    # Taken up again, it waits for a new dispatch.
    again = await client.post(f"/api/jobs/{job_id}/uncancel", headers=desk)
    assert again.status_code == 200, again.text
    assert again.json()["job"]["status"] == "accepted"
    assert again.json()["job"]["assigned_engineer_id"] is None


async def test_every_app_process_retires_long_cancelled_jobs_while_it_serves(
    app: object,
    db: Database,
    client: httpx.AsyncClient,
    new_job: Register,
    desk: dict[str, str],
) -> None:
    from litestar import Litestar

    assert isinstance(app, Litestar)

    async def backdate(job_id: str) -> None:
        async with db.write() as session:
            job = await session.get(Job, uuid.UUID(job_id))
            assert job is not None
            assert job.cancelled_at is not None
            job.cancelled_at -= CANCELLED_STAYS + timedelta(minutes=1)

    async def open_assignments(job_id: str) -> int:
        async with db.read() as session:
            found = await session.scalars(
                select(Assignment).where(
                    Assignment.job_id == uuid.UUID(job_id), Assignment.ended_at.is_(None)
                )
            )
            return len(found.all())

    async def until_none_open(job_id: str) -> None:
        for _ in range(200):
            if await open_assignments(job_id) == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"job {job_id} still assigned after 10 s")

    job_id = await new_job()
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "重复报修"}, headers=desk)
    await backdate(job_id)
    assert await open_assignments(job_id) == 1
    async with app.lifespan():  # start-up runs the chores at once
        await until_none_open(job_id)
    # And again and again while serving: a job whose time comes later leaves then.
    later = await new_job()
    await client.post(f"/api/jobs/{later}/cancel", json={"reason": "重复报修"}, headers=desk)
    chores = Housekeeping(db, every=timedelta(milliseconds=20))
    chores.start()
    try:
        await asyncio.sleep(0.1)
        assert await open_assignments(later) == 1, "not yet: cancelled just now"
        await backdate(later)
        await until_none_open(later)
    finally:
        await chores.stop()


async def test_empty_pull_after_priming_is_empty(
    new_job: Register,
    device: Callable[[str], SyncClient],
) -> None:
    await new_job()
    phone = device("wang")
    await phone.pull()
    assert await phone.pull() == 0


async def test_a_refused_part_line_change_is_kept_in_the_history_of_its_job(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-7", "name": "密封圈", "price": "3"}, headers=desk
        )
    ).json()
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    line = uuid.uuid4()
    phone.mutate(
        "part_line.add",
        id=line,
        job_id=job_id,
        part_id=part["id"],
        quantity="2",
        billing="warranty",
    )
    phone.mutate("part_line.change", id=line, fields={"quantity": "-4"})
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["applied", "rejected"]
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    (refused,) = [h for h in history if h["outcome"] == "rejected"]
    assert refused["field"] == "part_line.change"
    assert refused["value"]["fields"] == {"quantity": "-4"}


async def test_a_device_lets_go_of_a_customer_file_when_its_last_job_leaves(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    assert phone.get("assets", world.asset.id) is not None
    assert phone.get("visits", job_id) is not None
    await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    await phone.pull()
    assert phone.get("customers", world.customer.id) is None
    assert phone.get("assets", world.asset.id) is None
    assert phone.get("sites", world.site.id) is None
    assert phone.get("visits", job_id) is None
    fresh = device("wang")
    await fresh.pull()
    assert phone.server == fresh.server


async def test_a_job_filed_under_another_customer_brings_its_file_and_lets_the_old_go(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    # A report taken under the wrong customer: the desk moves the job before the visit. The
    # right customer's file is older than the phone's cursor: the move must bring it.
    job_id = await new_job()
    right = await client.post("/api/customers", json={"name": "华东制药有限公司"}, headers=desk)
    assert right.status_code == 201, right.text
    customer = right.json()
    site = await client.post(
        "/api/sites",
        json={"customer_id": customer["id"], "name": "二号厂区", "address": "松江"},
        headers=desk,
    )
    assert site.status_code == 201, site.text
    site_id = site.json()["id"]
    phone = device("wang")
    await phone.pull()
    assert phone.get("customers", customer["id"]) is None
    moved = await client.patch(
        f"/api/jobs/{job_id}",
        json={"customer_id": customer["id"], "site_id": site_id},
        headers=desk,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["job"]["asset_id"] is None, "the old customer's equipment went"
    await phone.pull()
    assert phone.get("jobs", job_id)["customer_id"] == customer["id"]
    assert phone.get("customers", customer["id"])["name"] == "华东制药有限公司"
    assert phone.get("sites", site_id) is not None
    assert phone.get("customers", world.customer.id) is None, "no job of theirs is left"
    assert phone.get("assets", world.asset.id) is None
    fresh = device("wang")
    await fresh.pull()
    assert phone.server == fresh.server


async def test_a_new_device_receives_resolved_conflicts_as_a_synced_one_holds_them(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    tablet.mutate("job.record", job_id=job_id, fields={"cause": "缺少润滑"})
    await phone.sync()
    await tablet.sync()
    listed = (await client.get(f"/api/conflicts?job_id={job_id}", headers=desk)).json()["items"]
    (clash,) = listed
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "server"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    await phone.pull()
    assert phone.get("sync_conflicts", clash["id"])["status"] == "resolved"
    fresh = device("wang")
    await fresh.pull()
    assert fresh.server == phone.server


async def test_a_repair_receipt_reaches_the_office_whole(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate(
        "receipt.add",
        id=uuid.uuid4(),
        job_id=job_id,
        item_description="控制主板",
        serial="CB-1",
        fault="无显示",
        accessories="电源线一根",
        promised_at="2026-12-03T10:00:00+08:00",
    )
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied"
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    (receipt,) = detail["receipts"]
    assert (receipt["fault"], receipt["accessories"]) == ("无显示", "电源线一根")
    assert receipt["promised_at"].startswith("2026-12-03T02:00:00")
    assert receipt["number"]


async def test_a_row_of_its_own_with_a_used_id_is_refused_and_the_rest_are_written(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
    db: Database,
) -> None:
    # Rows of their own are written together without reading their ids first; a used id
    # makes the database refuse the lot, and the push then applies them one by one.
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    used = uuid.uuid4()
    phone.mutate("note.add", id=used, job_id=job_id, body="first")
    await phone.push()
    twice = uuid.uuid4()
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="before")
    phone.mutate("note.add", id=used, job_id=job_id, body="same id, another mutation")
    trip = uuid.uuid4()
    phone.mutate("trip.log", id=trip, job_id=job_id, kind="departed")
    phone.mutate("note.add", id=twice, job_id=job_id, body="twice in one push")
    phone.mutate("note.add", id=twice, job_id=job_id, body="the second of them")
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="after")
    answer = await phone.push()
    assert answer is not None
    statuses = [r.status for r in answer.results]
    assert statuses == ["applied", "rejected", "applied", "applied", "rejected", "applied"]
    assert [f.reason for f in phone.failed] == ["a note with this id exists already"] * 2
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    bodies = sorted(n["body"] for n in detail["notes"])
    assert bodies == sorted(["first", "before", "twice in one push", "after"])
    assert [t["id"] for t in detail["trip"]] == [str(trip)]
    again = device("wang")
    await again.pull()
    notes = [v for (entity, _), v in again.server.items() if entity == "notes"]
    assert sorted(n["body"] for n in notes) == bodies, "a new device gets exactly these notes"
    async with db.read() as session:
        fed = list(await session.scalars(select(Change.entity_id).where(Change.entity == "notes")))
    assert sorted(fed) == sorted(n["id"] for n in detail["notes"]), "one feed entry per note"


async def test_a_job_id_of_the_wrong_type_rejects_only_its_mutation(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("note.add", id=uuid.uuid4(), job_id=[job_id], body="a list for a job")
    phone.mutate("note.add", id=uuid.uuid4(), job_id={"id": job_id}, body="an object for one")
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="fine")
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["rejected", "rejected", "applied"]
    assert all("invalid arguments" in f.reason for f in phone.failed)
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [n["body"] for n in detail["notes"]] == ["fine"]


async def test_a_device_holds_the_newest_ten_visits_of_an_asset_as_jobs_come_and_change(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    older = [await new_job("engineer2") for _ in range(VISITS_PER_ASSET + 1)]
    mine = await new_job()
    phone = device("wang")
    await phone.pull()
    # Priming sends the ten newest jobs of the asset: the caller's and nine of the others.
    assert phone.get("visits", mine) is not None
    assert phone.get("visits", older[0]) is None
    assert phone.get("visits", older[1]) is None
    assert phone.get("visits", older[-1]) is not None
    for job_id in (older[0], older[-1]):
        edited = await client.patch(
            f"/api/jobs/{job_id}", json={"office_notes": "回访"}, headers=desk
        )
        assert edited.status_code == 200, edited.text
    await phone.pull()
    assert phone.get("visits", older[0]) is None
    assert phone.get("visits", older[-1]) is not None
    # Two new jobs on the asset push the two oldest visits the phone holds out.
    newer = [await new_job("engineer2") for _ in range(2)]
    await phone.pull()
    assert phone.get("visits", older[2]) is None
    assert phone.get("visits", older[3]) is None
    assert phone.get("visits", older[4]) is not None
    assert all(phone.get("visits", job_id) is not None for job_id in newer)
    fresh = device("wang")
    await fresh.pull()
    assert phone.server == fresh.server


async def test_housekeeping_warns_once_a_year_of_a_calendar_without_holidays(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from sync.rules.sla import WorkCalendar

    this_year = utcnow().astimezone(WorkCalendar().tz).year
    caplog.set_level(logging.WARNING, logger="fieldsync.housekeeping")
    chores = Housekeeping(db, calendar=WorkCalendar())
    assert this_year in chores.check_calendar()
    assert this_year in chores.check_calendar()
    warned = [r.getMessage() for r in caplog.records if "no public holidays" in r.getMessage()]
    assert len(warned) == len(set(warned)) >= 1, "each year once"
    assert str(this_year) in warned[0]
    caplog.clear()
    holidays = frozenset({date(this_year, 10, 1), date(this_year + 1, 1, 1)})
    assert Housekeeping(db, calendar=WorkCalendar(holidays=holidays)).check_calendar() == []
    assert not [r for r in caplog.records if "no public holidays" in r.getMessage()]
