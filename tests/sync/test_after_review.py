"""Work from a phone on a job the office has reviewed, settled or closed: edits of its record,
part lines and photos are refused (``job_reviewed``) and kept in the job's history; new parts,
photos and receipts are kept with a conflict for the office; notes and trip-log lines go in as
always. And one rating on site per visit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from api.db import Database
from api.models import Assignment, Job
from sync.client import SyncClient
from sync.rules.lifecycle import JobStatus
from tests.helpers import World, login, set_aside_signature
from tests.sync.conftest import Register

SHA = "ab" * 32


async def _set_status(db: Database, job_id: str, status: JobStatus, *, end: bool) -> None:
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        job.status = status
        if end:  # closing ends the assignment; the job still names its engineer
            await session.execute(
                update(Assignment)
                .where(Assignment.job_id == job.id)
                .values(ended_at=datetime.now(UTC))
            )


@pytest.mark.parametrize(
    ("status", "end"),
    [(JobStatus.REVIEWED, False), (JobStatus.SETTLED, False), (JobStatus.CLOSED, True)],
)
async def test_a_reviewed_job_keeps_new_work_for_the_office_and_refuses_edits(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
    status: JobStatus,
    end: bool,
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-7", "name": "轴承", "price": "40"}, headers=desk
        )
    ).json()
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    line_id = str(uuid.uuid4())
    phone.mutate(
        "part_line.add",
        id=line_id,
        job_id=job_id,
        part_id=part["id"],
        quantity="1",
        billing="warranty",
    )
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["applied"]
    await _set_status(db, job_id, status, end=end)
    before = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    refused = [
        phone.mutate("job.record", job_id=job_id, fields={"work_done": "换了轴承"}),
        phone.mutate("part_line.change", id=line_id, fields={"quantity": "3"}),
        phone.mutate("part_line.remove", id=line_id),
    ]
    kept = [
        phone.mutate(
            "part_line.add",
            id=uuid.uuid4(),
            job_id=job_id,
            part_id=part["id"],
            quantity="2",
            billing="chargeable",
        ),
        phone.mutate(
            "photo.add", id=uuid.uuid4(), job_id=job_id, blob_sha256=SHA, category="after"
        ),
        phone.mutate("receipt.add", id=uuid.uuid4(), job_id=job_id, item_description="电机"),
    ]
    taken = [
        phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="已回公司"),
        phone.mutate("trip.log", id=uuid.uuid4(), job_id=job_id, kind="left"),
        phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=4),
    ]
    answer = await phone.push()
    assert answer is not None
    by_id = {r.id: r for r in answer.results}
    assert [(by_id[m].status, by_id[m].code) for m in refused] == [("rejected", "job_reviewed")] * 3
    assert "the office has" in by_id[refused[0]].reason
    assert [by_id[m].status for m in kept] == ["conflict"] * 3
    assert [by_id[m].status for m in taken] == ["applied"] * 3

    after = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert after["work_done"] == before["work_done"]
    assert [p["quantity"] for p in after["part_lines"] if p["id"] == line_id] == ["1.000"]
    assert len(after["part_lines"]) == 2, "the part used late is kept (and left the van)"
    assert len(after["photos"]) == len(before["photos"]) + 1
    assert len(after["receipts"]) == len(before["receipts"]) + 1
    assert [n["body"] for n in after["notes"]] == ["已回公司"]
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    assert {e["field"] for e in history if e["entity"] == "mutations"} == {
        "job.record",
        "part_line.change",
        "part_line.remove",
    }
    conflicts = (await client.get(f"/api/conflicts?job_id={job_id}", headers=desk)).json()
    late = [c for c in conflicts["items"] if c["field"] == "reviewed_work"]
    assert sorted(c["client_value"] for c in late) == ["part P-7 × 2", "photo", "repair receipt"]
    assert {c["server_value"] for c in late} == {str(status)}
    # The office acknowledges: the server's side; the device's side is no decision here.
    first = late[0]["id"]
    device_side = await client.post(
        f"/api/conflicts/{first}/resolve", json={"choice": "client"}, headers=desk
    )
    assert device_side.status_code == 400, device_side.text
    done = await client.post(
        f"/api/conflicts/{first}/resolve", json={"choice": "server"}, headers=desk
    )
    assert done.status_code == 200, done.text


async def test_the_customer_rates_each_visit_once_on_site(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    first = phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=5)
    again = phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=5)
    answer = await phone.push()
    assert answer is not None
    assert [(r.id, r.status, r.code) for r in answer.results] == [
        (first, "applied", None),
        (again, "rejected", "already_rated"),
    ]
    # Reopened for a new visit (the earlier visit's signature set aside): rated again.
    await set_aside_signature(db, job_id, "赵经理")
    revisit = phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=4)
    answer = await phone.push()
    assert answer is not None
    assert [(r.id, r.status) for r in answer.results] == [(revisit, "applied")]
    ratings = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["satisfaction"]
    assert sorted(r["score"] for r in ratings) == [4, 5]


async def test_a_visit_s_rating_is_told_in_server_order_not_by_a_slow_clock(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    # Found by the stateful sync test: a phone whose clock ran two hours slow rated the new
    # visit of a reopened job "before" the reopening, so a second phone could rate it again.
    job_id = await new_job()
    slow, other = device("wang"), device("wang")
    slow.clock_skew = -timedelta(hours=2)
    for phone in (slow, other):
        await phone.pull()
    slow.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=5)
    assert [r.status for r in (await slow.push()).results] == ["applied"]  # type: ignore[union-attr]
    await set_aside_signature(db, job_id, "赵经理")  # reopened: a new visit
    slow.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=3)
    assert [r.status for r in (await slow.push()).results] == ["applied"]  # type: ignore[union-attr]
    twice = other.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=4)
    answer = await other.push()
    assert answer is not None
    assert [(r.id, r.status, r.code) for r in answer.results] == [
        (twice, "rejected", "already_rated")
    ]
    ratings = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["satisfaction"]
    assert sorted(r["score"] for r in ratings) == [3, 5]


async def test_a_late_status_of_the_visit_before_a_reopening_is_not_decided_for_the_device(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    # Found by reading the stateful test's rules: a phone's "on site" of the visit before the
    # reopening, decided for the device, took the reopened job to on_site with no dispatch and
    # no open assignment: on no phone at all.
    from tests.api.visits import visit

    job_id = await new_job()
    phone, late = device("wang"), device("wang")
    await late.pull()
    late.mutate("job.status", job_id=job_id, to="en_route")
    await visit(phone, job_id, after_photo=True)
    boss = await login(client, "boss")
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    for satisfied, score in ((True, 5), (False, 1)):  # a satisfied call-back, then a complaint
        call = {"score": score, "satisfied": satisfied, "remarks": "-"}
        await client.post(f"/api/jobs/{job_id}/follow-up", json=call, headers=desk)
    await late.push()
    conflicts = (await client.get(f"/api/conflicts?job_id={job_id}", headers=desk)).json()
    (clash,) = [c for c in conflicts["items"] if c["field"] == "status"]
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert decided.status_code == 409, decided.text
    assert decided.json()["code"] == "stale_decision"
    assert decided.json()["params"] == {"status": "reopened"}
    job = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["job"]
    assert job["status"] == "reopened"
