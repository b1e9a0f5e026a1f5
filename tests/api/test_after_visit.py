"""The office after the visit: review (主管审核), settlement, call-back (回访), complaints (投诉)
and the month's figures, on both databases."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import event, update

from api.db import Database
from api.domain.jobs.services import start_callback_clock
from api.domain.office.services import month_bounds, period_bounds
from api.http import DomainError
from api.models import Complaint, ComplaintSeverity, Job
from api.settings import Settings
from sync.rules.lifecycle import JobStatus
from tests.api.visits import dispatched_job, phone_of, visit
from tests.helpers import World, login

Headers = dict[str, str]


@pytest.fixture
async def desk(client: httpx.AsyncClient, world: World) -> Headers:
    return await login(client, "desk")


@pytest.fixture
async def boss(client: httpx.AsyncClient, world: World) -> Headers:
    return await login(client, "boss")


async def test_the_review_queue_flags_what_a_supervisor_checks(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    unsigned, bare, complete = [await dispatched_job(client, world, desk) for _ in range(3)]
    phone = phone_of(client)
    await visit(phone, unsigned, sign=False, after_photo=True)
    await visit(phone, bare)
    await visit(phone, complete, after_photo=True)
    answer = await client.get("/api/queues/review", headers=boss)
    assert answer.status_code == 200, answer.text
    flags = {item["id"]: item["flags"] for item in answer.json()}
    ids = list(flags)
    assert len(ids) == 3
    by_id = {item["id"]: item for item in answer.json()}
    statuses = {by_id[i]["status"] for i in ids}
    assert statuses == {"work_done", "signed"}
    first = next(i for i in ids if by_id[i]["status"] == "work_done")
    assert flags[first]["unsigned"] is True
    assert flags[first]["no_after_photo"] is False
    signed = [i for i in ids if by_id[i]["status"] == "signed"]
    assert sorted(flags[i]["no_after_photo"] for i in signed) == [False, True]
    assert all(flags[i]["unsigned"] is False for i in signed)
    assert all(flags[i]["open_conflicts"] == 0 for i in ids)
    assert all(flags[i]["clock_skew"] is False for i in ids)
    # The "after" photos' bytes never came from the phone: the office sees that they are
    # still on their way (the report waits for them).
    assert flags[first]["photos_on_the_way"] == 1
    assert sorted(flags[i]["photos_on_the_way"] for i in signed) == [0, 1]
    assert all(
        flags[i]["photos_on_the_way"] == (0 if flags[i]["no_after_photo"] else 1) for i in ids
    )
    for who in ("desk", "wang"):
        refused = await client.get("/api/queues/review", headers=await login(client, who))
        assert refused.status_code == 403, who


async def test_a_record_sent_back_reaches_the_engineers_phone_with_the_reason(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    job_id = await dispatched_job(client, world, desk)
    phone = phone_of(client)
    await visit(phone, job_id, after_photo=True)
    empty = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "send_back"}, headers=boss
    )
    assert empty.status_code == 400
    assert "say why" in empty.json()["detail"]
    not_boss = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=desk
    )
    assert not_boss.status_code == 403
    back = await client.post(
        f"/api/jobs/{job_id}/review",
        json={"decision": "send_back", "note": "缺少完工照片说明"},
        headers=boss,
    )
    assert back.status_code == 200, back.text
    assert back.json()["job"]["status"] == "work_done"
    await phone.pull()
    mine = phone.get("jobs", job_id)
    assert mine is not None
    assert (mine["status"], mine["review_note"]) == ("work_done", "缺少完工照片说明")
    again = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss
    )
    assert again.status_code == 409
    assert "only a signed job" in again.json()["detail"]


async def test_approve_settle_call_back_and_close(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    job_id = await dispatched_job(client, world, desk)
    phone = phone_of(client)
    await visit(phone, job_id, after_photo=True)
    early = await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    assert early.status_code == 409
    assert (early.json()["code"], early.json()["params"]) == ("job_status", {"status": "signed"})
    # The signature froze what the report shows; the refusal names the fields for the desk.
    job = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["job"]
    frozen = await client.patch(
        f"/api/jobs/{job_id}",
        json={"fault_description": "改过的故障描述", "version": job["version"]},
        headers=desk,
    )
    assert frozen.status_code == 409, frozen.text
    assert frozen.json()["code"] == "job_signed"
    assert frozen.json()["params"] == {"fields": "fault_description"}
    # A move the state machine has no way for (signed -> cancelled) says the status too.
    cancelled = await client.post(
        f"/api/jobs/{job_id}/cancel", json={"reason": "客户撤销"}, headers=desk
    )
    assert cancelled.status_code == 409, cancelled.text
    assert "cannot move a job from signed to cancelled" in cancelled.json()["detail"]
    assert cancelled.json()["code"] == "job_status"
    assert cancelled.json()["params"] == {"status": "signed"}
    approved = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["reviewed_at"] is not None
    settled = await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    assert settled.status_code == 200, settled.text
    calls = (await client.get("/api/queues/calls", headers=desk)).json()
    assert [(c["id"], c["contact_phone"], c["overdue"]) for c in calls] == [(job_id, "139", False)]
    assert calls[0]["callback_due_at"] is not None
    bad = await client.post(
        f"/api/jobs/{job_id}/follow-up", json={"score": 9, "satisfied": True}, headers=desk
    )
    assert bad.status_code == 400
    done = await client.post(
        f"/api/jobs/{job_id}/follow-up",
        json={"score": 5, "satisfied": True, "remarks": "很满意"},
        headers=desk,
    )
    assert done.status_code == 200, done.text
    detail = done.json()
    assert detail["job"]["status"] == "followed_up"
    assert [(s["source"], s["score"]) for s in detail["satisfaction"]] == [("callback", 5)]
    assert (await client.get("/api/queues/calls", headers=desk)).json() == []
    # The customer is satisfied: the engineer's part is over, and the job leaves the phone
    # with its records (whether or when the desk closes it), and stays on the server.
    await phone.pull()
    assert phone.get("jobs", job_id) is None
    assert not [key for key, row in phone.replica.items() if row.get("job_id") == str(job_id)]
    closed = await client.post(f"/api/jobs/{job_id}/close", headers=desk)
    assert closed.status_code == 200
    assert closed.json()["job"]["status"] == "closed"
    await phone.pull()
    assert phone.get("jobs", job_id) is None
    kept = await client.get(f"/api/jobs/{job_id}", headers=desk)
    assert kept.json()["job"]["assigned_engineer_id"] == str(world.engineer.id)
    assert kept.json()["photos"], "the engineer's work stays on the server"
    # A change the phone queued before it heard is still taken (the work is never lost).
    late = phone.mutate("note.add", id=str(uuid.uuid4()), job_id=str(job_id), body="补充说明")
    await phone.push()
    notes = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["notes"]
    assert [n["body"] for n in notes] == ["补充说明"], late
    fresh = phone_of(client)
    await fresh.sync()
    assert fresh.get("jobs", job_id) is None  # nor does a phone priming afresh get it


async def test_an_unsatisfied_customer_reopens_the_job_for_a_new_visit(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id, after_photo=True)
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    unhappy = await client.post(
        f"/api/jobs/{job_id}/follow-up",
        json={"score": 2, "satisfied": False, "remarks": "仍然异响"},
        headers=desk,
    )
    assert unhappy.status_code == 200, unhappy.text
    assert unhappy.json()["job"]["status"] == "reopened"
    again = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    assert again.status_code == 200, again.text
    assert again.json()["job"]["status"] == "assigned"


async def test_a_job_reopened_after_a_satisfied_call_back_reaches_the_same_engineer_again(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    # Found by the stateful sync test: the satisfied call-back ends the engineer's assignment;
    # a later complaint reopens the job, and dispatching it to the same engineer opened none,
    # so the new visit never reached their phone.
    job_id = await dispatched_job(client, world, desk)
    phone = phone_of(client)
    await visit(phone, job_id, after_photo=True)
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    call = {"score": 5, "satisfied": True, "remarks": "很满意"}
    assert (await client.post(f"/api/jobs/{job_id}/follow-up", json=call, headers=desk)).json()[
        "job"
    ]["status"] == "followed_up"
    await phone.pull()
    assert phone.get("jobs", job_id) is None, "the job left the phone with the call-back"
    complaint = {"score": 1, "satisfied": False, "remarks": "又坏了"}
    reopened = await client.post(f"/api/jobs/{job_id}/follow-up", json=complaint, headers=desk)
    assert reopened.json()["job"]["status"] == "reopened"
    again = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert again.status_code == 200, again.text
    await phone.pull()
    held = phone.get("jobs", job_id)
    assert held is not None, "the new visit is on the engineer's phone"
    assert held["status"] == "assigned"
    fresh = phone_of(client)
    await fresh.pull()
    assert fresh.get("jobs", job_id) is not None


async def test_an_unsatisfied_call_back_stops_the_call_back_clock(
    client: httpx.AsyncClient,
    world: World,
    desk: Headers,
    boss: Headers,
    db: Database,
    settings: Settings,
) -> None:
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id, after_photo=True)
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    # Settled ten days ago: the call-back comes late, but it comes.
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        job.settled_at = datetime.now(UTC) - timedelta(days=10)
        start_callback_clock(job, settings.calendar.calendar)
    unhappy = await client.post(
        f"/api/jobs/{job_id}/follow-up", json={"score": 2, "satisfied": False}, headers=desk
    )
    assert unhappy.json()["job"]["status"] == "reopened"
    assert unhappy.json()["job"]["sla"]["callback"] == "missed", "called back, late"
    breached = await client.get("/api/jobs", params={"sla": "breached"}, headers=desk)
    assert breached.json()["items"] == [], "no call-back is overdue: it was made"
    board = (await client.get("/api/board", headers=desk)).json()
    assert board["at_risk"] == []
    # Settled again after the new visit: a new call-back is owed, and its clock runs.
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        job.status = JobStatus.REVIEWED
    again = await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    assert again.status_code == 200, again.text
    assert again.json()["job"]["sla"]["callback"] == "ok"
    assert [c["id"] for c in (await client.get("/api/queues/calls", headers=desk)).json()] == [
        job_id
    ]


async def test_complaints_are_owned_escalated_and_resolved_with_a_resolution(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    job_id = await dispatched_job(client, world, desk)
    base = {"customer_id": str(world.customer.id), "job_id": job_id}
    minor = await client.post(
        "/api/complaints",
        json={
            **base,
            "severity": "minor",
            "description": "工程师迟到",
            "owner_id": str(world.supervisor.id),
        },
        headers=desk,
    )
    assert minor.status_code == 201, minor.text
    assert minor.json()["escalated_at"] is None
    serious = await client.post(
        "/api/complaints",
        json={**base, "severity": "serious", "description": "设备再次停机，影响生产"},
        headers=desk,
    )
    assert serious.json()["escalated_at"] is not None, "serious ones go to the director at once"
    for wrong, reason in (
        ({**base, "customer_id": str(uuid.uuid4())}, "unknown customer"),
        ({**base, "owner_id": str(world.engineer.id)}, "active office user"),
        ({**base, "job_id": str(uuid.uuid4())}, "unknown job"),
    ):
        refused = await client.post(
            "/api/complaints", json={**wrong, "severity": "minor", "description": "x"}, headers=desk
        )
        assert refused.status_code == 400, refused.text
        assert reason in refused.json()["detail"]
    complaint = minor.json()["id"]
    unexplained = await client.patch(
        f"/api/complaints/{complaint}", json={"status": "resolved"}, headers=desk
    )
    assert unexplained.status_code == 400
    assert "how the complaint was resolved" in unexplained.json()["detail"]
    resolved = await client.patch(
        f"/api/complaints/{complaint}",
        json={"status": "resolved", "resolution": "致歉并调整排班"},
        headers=desk,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_at"] is not None
    escalated = await client.post(f"/api/complaints/{complaint}/escalate", headers=desk)
    assert escalated.json()["escalated_at"] is not None
    listed = await client.get("/api/complaints?escalated=true&severity=serious", headers=boss)
    assert [c["id"] for c in listed.json()["items"]] == [serious.json()["id"]]
    qa = await login(client, "qa")
    assert (await client.get("/api/complaints", headers=qa)).status_code == 200
    assert (
        await client.post(
            "/api/complaints", json={**base, "severity": "minor", "description": "x"}, headers=qa
        )
    ).status_code == 403
    assert (await client.get(f"/api/complaints/{uuid.uuid4()}", headers=desk)).status_code == 404


async def many_complaints(db: Database, world: World, count: int) -> list[Complaint]:
    """``count`` complaints, one a day back from today (the first the newest); every third is
    serious and escalated, and the last three share one instant, as a bulk import may."""
    today = datetime.now(UTC).replace(microsecond=0)
    async with db.write() as session:
        rows = [
            Complaint(
                customer_id=world.customer.id,
                severity=ComplaintSeverity.SERIOUS if i % 3 == 0 else ComplaintSeverity.MINOR,
                description=f"投诉 {i}",
                escalated_at=today if i % 3 == 0 else None,
                created_at=today - timedelta(days=min(i, count - 3)),
            )
            for i in range(count)
        ]
        session.add_all(rows)
    return rows


async def every_page(
    client: httpx.AsyncClient, headers: Headers, query: str, limit: int
) -> tuple[list[str], set[int]]:
    """The ids of every complaint ``query`` matches, page after page, and the totals seen."""
    ids: list[str] = []
    totals: set[int] = set()
    while True:
        answer = await client.get(
            f"/api/complaints?{query}&limit={limit}&offset={len(ids)}", headers=headers
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert (page["offset"], page["limit"]) == (len(ids), limit)
        totals.add(page["total"])
        ids += [c["id"] for c in page["items"]]
        if len(page["items"]) < limit:
            return ids, totals


async def test_complaints_page_newest_first_with_the_total_down_to_the_oldest(
    client: httpx.AsyncClient, db: Database, world: World, desk: Headers
) -> None:
    rows = await many_complaints(db, world, 205)
    first = (await client.get("/api/complaints", headers=desk)).json()
    assert (first["total"], first["offset"], first["limit"]) == (205, 0, 50)
    assert [c["id"] for c in first["items"][:3]] == [str(r.id) for r in rows[:3]]
    # 68 a page: the boundary at 204 falls among the three that share one instant.
    ids, totals = await every_page(client, desk, "", 68)
    assert totals == {205}
    assert len(ids) == len(set(ids)) == 205, "no complaint repeated or skipped"
    assert set(ids[-3:]) == {str(r.id) for r in rows[-3:]}, "the oldest are reached"
    past = (await client.get("/api/complaints?offset=205", headers=desk)).json()
    assert (past["items"], past["total"]) == ([], 205)


async def test_complaint_filters_combine_with_paging(
    client: httpx.AsyncClient, db: Database, world: World, desk: Headers
) -> None:
    rows = await many_complaints(db, world, 30)
    serious = [str(r.id) for r in rows if r.severity == ComplaintSeverity.SERIOUS]
    ids, totals = await every_page(client, desk, "severity=serious&escalated=true", 3)
    assert totals == {len(serious)} == {10}
    assert ids == serious, "newest first, every serious one, none else"
    minor, totals = await every_page(client, desk, "escalated=false&status=open", 7)
    assert totals == {20}
    assert set(minor) == {str(r.id) for r in rows} - set(serious)
    none = (await client.get("/api/complaints?status=resolved", headers=desk)).json()
    assert (none["items"], none["total"]) == ([], 0)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=lots", "limit"),
        ("offset=-1", "offset"),
        ("offset=many", "offset"),
    ],
)
async def test_a_bad_complaint_page_is_refused_with_the_reason(
    client: httpx.AsyncClient, world: World, desk: Headers, query: str, reason: str
) -> None:
    answer = await client.get(f"/api/complaints?{query}", headers=desk)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["detail"] + str(answer.json()["extra"])


async def test_a_complaint_deadline_without_a_zone_is_refused_not_a_server_error(
    client: httpx.AsyncClient, world: World, desk: Headers
) -> None:
    base = {"customer_id": str(world.customer.id), "severity": "minor", "description": "慢"}
    naive = await client.post(
        "/api/complaints", json={**base, "deadline": "2026-12-01T10:00:00"}, headers=desk
    )
    assert naive.status_code == 400, naive.text
    assert "deadline" in naive.text
    created = await client.post(
        "/api/complaints", json={**base, "deadline": "2026-12-01T10:00:00+08:00"}, headers=desk
    )
    assert created.status_code == 201, created.text
    complaint = created.json()["id"]
    changed = await client.patch(
        f"/api/complaints/{complaint}", json={"deadline": "2026-12-02T10:00:00"}, headers=desk
    )
    assert changed.status_code == 400, changed.text
    assert "deadline" in changed.text
    kept = await client.get(f"/api/complaints/{complaint}", headers=desk)
    assert kept.json()["deadline"] == "2026-12-01T02:00:00Z"


async def this_months_figures(
    client: httpx.AsyncClient, boss: Headers, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """This month's figures: the month in the department's time zone, which near midnight is
    not UTC's (asking UTC's month failed these tests on the evening of a month's last day)."""
    month = datetime.now(settings.calendar.calendar.tz).strftime("%Y-%m")
    answer = await client.get(f"/api/figures/{month}", headers=boss)
    assert answer.status_code == 200, answer.text
    figures: dict[str, Any] = answer.json()
    return month, figures


def test_a_period_of_figures_is_a_month_a_quarter_or_a_year_of_the_departments_calendar() -> None:
    shanghai = "Asia/Shanghai"

    def utc(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    assert period_bounds("2026-11", shanghai) == (utc("2026-10-31T16:00"), utc("2026-11-30T16:00"))
    assert period_bounds("2026-12", shanghai) == (utc("2026-11-30T16:00"), utc("2026-12-31T16:00"))
    assert period_bounds("2026-Q1", shanghai) == (utc("2025-12-31T16:00"), utc("2026-03-31T16:00"))
    assert period_bounds("2026-Q4", shanghai) == (utc("2026-09-30T16:00"), utc("2026-12-31T16:00"))
    assert period_bounds("2026", shanghai) == (utc("2025-12-31T16:00"), utc("2026-12-31T16:00"))
    assert period_bounds("2026-Q2", "UTC") == (utc("2026-04-01T00:00"), utc("2026-07-01T00:00"))
    for bad in ("2026-Q0", "2026-Q5", "2026-q1", "2026-1", "2026-00", "2026-13", "26", "1999", ""):
        with pytest.raises(DomainError):
            period_bounds(bad, shanghai)
    with pytest.raises(DomainError, match="month must be YYYY-MM"):
        month_bounds("2026-Q4", shanghai)


async def test_a_quarters_and_a_years_figures_count_every_month_in_them(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    # Reported by phone on these days (Shanghai time), long ago: never in the current period.
    days = ["2025-01-31T23:30:00+08:00", "2025-03-01T00:10:00+08:00", "2025-04-01T09:00:00+08:00"]
    for reported_at in days:
        made = await client.post(
            "/api/jobs",
            json={
                "customer_id": str(world.customer.id),
                "channel": "phone",
                "fault_description": "不制冷",
                "reported_at": reported_at,
            },
            headers=desk,
        )
        assert made.status_code == 201, made.text
    counts = {}
    for period in ("2025-01", "2025-02", "2025-03", "2025-Q1", "2025-Q2", "2025", "2024"):
        answer = await client.get(f"/api/figures/{period}", headers=boss)
        assert answer.status_code == 200, answer.text
        assert answer.json()["month"] == period
        counts[period] = answer.json()["total"]["jobs_reported"]
    assert counts == {
        "2025-01": 1,
        "2025-02": 0,
        "2025-03": 1,
        "2025-Q1": 2,
        "2025-Q2": 1,
        "2025": 3,
        "2024": 0,
    }
    # Nobody was dispatched to these jobs: a row of their own, so the rows add up to the total.
    q1 = (await client.get("/api/figures/2025-Q1", headers=boss)).json()
    (nobody,) = q1["engineers"]
    assert (nobody["engineer_id"], nobody["engineer_name"], nobody["jobs_reported"]) == (
        None,
        "",
        2,
    )
    sheet = await client.get("/api/figures/2025-Q1/xlsx", headers=boss)
    assert sheet.status_code == 200, sheet.text
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.active.title == "2025-Q1"
    rows = list(book.active.iter_rows(values_only=True))
    assert [(r[0], r[1]) for r in rows[1:]] == [("No engineer 无工程师", 2), ("Total 合计", 2)]
    assert 'filename="figures-2025-Q1.xlsx"' in sheet.headers["content-disposition"]
    for bad in ("2025-Q5", "2025-Q", "25", "2025-1"):
        refused = await client.get(f"/api/figures/{bad}", headers=boss)
        assert refused.status_code == 400, bad


async def test_a_years_figures_send_the_database_no_list_of_its_jobs(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, db: Database
) -> None:
    # A busy year's list of completed jobs passed PostgreSQL's 32,767 parameters (a 500 for
    # the year's figures): the jobs are chosen again in SQL, so no statement's parameters
    # grow with the jobs of the period.
    made = []
    for n in range(40):
        job = await client.post(
            "/api/jobs",
            json={
                "customer_id": str(world.customer.id),
                "asset_id": str(world.asset.id),
                "channel": "phone",
                "fault_description": f"故障 {n}",
                "reported_at": f"2024-03-{n % 28 + 1:02d}T09:00:00+08:00",
            },
            headers=desk,
        )
        assert job.status_code == 201, job.text
        made.append(uuid.UUID(job.json()["job"]["id"]))
    async with db.write() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(made))
            .values(completed_at=datetime(2024, 4, 2, 6, tzinfo=UTC))
        )
    counts: list[int] = []

    def count(_c: Any, _cur: Any, _sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        counts.append(len(params) if isinstance(params, (list, tuple, dict)) else 0)

    engines = {db.read_engine.sync_engine, db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        answer = await client.get("/api/figures/2024", headers=boss)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"]["jobs_completed"] == 40
    assert counts
    assert max(counts) < 20, counts


async def test_a_cancelled_report_on_a_fixed_asset_is_no_repeat_visit(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, settings: Settings
) -> None:
    fixed = await dispatched_job(client, world, desk)
    await visit(phone_of(client), fixed, after_photo=True)
    duplicate = await dispatched_job(client, world, desk)  # the same fault, called in twice
    cancel = {"reason": "重复报修"}
    assert (
        await client.post(f"/api/jobs/{duplicate}/cancel", json=cancel, headers=desk)
    ).is_success
    _, figures = await this_months_figures(client, boss, settings)
    assert (figures["total"]["jobs_completed"], figures["total"]["first_time_fix_rate"]) == (1, 1.0)


async def test_the_months_figures_count_the_work_and_export_to_excel(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, settings: Settings
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-1", "name": "压缩机", "price": "800"}, headers=desk
        )
    ).json()
    jobs: list[str] = []
    phone = phone_of(client)
    # The second fault on the asset is reported after the first fix: a repeat visit.
    for billing in ("warranty", "chargeable"):
        job_id = await dispatched_job(client, world, desk)
        jobs.append(job_id)
        await phone.pull()
        phone.mutate(
            "part_line.add",
            id=uuid.uuid4(),
            job_id=job_id,
            part_id=part["id"],
            quantity="2",
            billing=billing,
        )
        await visit(phone, job_id, after_photo=True)
    phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=jobs[0], score=4, remarks="好")
    await phone.sync()
    await client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer.id),
            "job_id": jobs[1],
            "severity": "minor",
            "description": "慢",
        },
        headers=desk,
    )
    month, figures = await this_months_figures(client, boss, settings)
    total = figures["total"]
    assert (total["jobs_reported"], total["jobs_completed"]) == (2, 2)
    assert total["parts_cost_warranty"] == "1600.00"
    assert total["parts_cost_chargeable"] == "1600.00"
    assert total["satisfaction_on_site"] == 4.0
    assert total["complaints"] == 1
    assert total["first_time_fix_rate"] == 0.5, "the second job on the asset repeats the first"
    assert total["plan_sla_rate"] == 1.0
    assert total["response_hours"] is not None
    (wang,) = figures["engineers"]
    assert wang["engineer_id"] == str(world.engineer.id)
    assert wang["jobs_completed"] == 2
    sheet = await client.get(f"/api/figures/{month}/xlsx", headers=boss)
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Engineer 工程师"
    # 备件, as the company regulations and both apps say (never 配件).
    assert rows[0][-2:] == ("Parts in warranty 保内备件", "Parts chargeable 保外备件")
    assert rows[1][0] == "Wang"
    assert rows[-1][0] == "Total 合计"
    assert rows[-1][2] == 2
    for bad_month in ("2026-13", "9999-12", "0001-01"):
        bad = await client.get(f"/api/figures/{bad_month}", headers=boss)
        assert bad.status_code == 400, bad_month
    assert (
        await client.get(f"/api/figures/{month}", headers=await login(client, "wang"))
    ).status_code == 403


async def test_parts_cost_adds_the_settlements_amounts_rounded_half_up_to_the_fen(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, settings: Settings
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-W", "name": "垫片", "price": "0.05"}, headers=desk
        )
    ).json()
    job_id = await dispatched_job(client, world, desk)
    half = (part["id"], "0.5", "chargeable")
    await visit(phone_of(client), job_id, parts=[half, half])
    settlement = (await client.get(f"/api/jobs/{job_id}/settlement", headers=desk)).json()
    billed = [line["amount"] for line in settlement["lines"] if line["kind"] == "part"]
    assert billed == ["0.03", "0.03"], "0.025 is rounded half up on the statement"
    _, figures = await this_months_figures(client, boss, settings)
    cost = figures["total"]["parts_cost_chargeable"]
    assert cost == "0.06", "the month's figure is what the statements charged"


async def test_an_engineers_call_back_ratings_and_complaints_count_in_a_month_without_jobs(
    client: httpx.AsyncClient,
    world: World,
    desk: Headers,
    boss: Headers,
    db: Database,
    settings: Settings,
) -> None:
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id, after_photo=True)
    # The work was done last month; the call-back and the complaint come this month.
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        for name in ("reported_at", "plan_given_at", "assigned_at", "arrived_at", "completed_at"):
            setattr(job, name, getattr(job, name) - timedelta(days=45))
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    called = await client.post(
        f"/api/jobs/{job_id}/follow-up", json={"score": 2, "satisfied": True}, headers=desk
    )
    assert called.status_code == 200, called.text
    complaint = await client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer.id),
            "job_id": job_id,
            "severity": "minor",
            "description": "修完又坏",
        },
        headers=desk,
    )
    assert complaint.status_code == 201, complaint.text
    _, figures = await this_months_figures(client, boss, settings)
    assert (figures["total"]["satisfaction_callback"], figures["total"]["complaints"]) == (2.0, 1)
    # The department's figure is the sum of its engineers': Wang's rating and complaint are his.
    rows = [
        (e["engineer_name"], e["satisfaction_callback"], e["complaints"])
        for e in figures["engineers"]
    ]
    assert rows == [("Wang", 2.0, 1)]


async def test_parts_cost_follows_the_supervisors_reclassification_and_the_frozen_settlement(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, settings: Settings
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-R", "name": "阀门", "price": "100"}, headers=desk
        )
    ).json()
    job_id = await dispatched_job(client, world, desk)
    (line,) = await visit(phone_of(client), job_id, parts=[(part["id"], "1", "warranty")])
    approved = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss
    )
    assert approved.status_code == 200, approved.text
    changed = await client.post(
        f"/api/jobs/{job_id}/settlement/lines/{line}/reclassify",
        json={"billing": "chargeable", "reason": "人为损坏"},
        headers=boss,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["totals"]["chargeable"] != "0.00"
    costs = ("parts_cost_warranty", "parts_cost_chargeable")
    _, figures = await this_months_figures(client, boss, settings)
    assert tuple(figures["total"][c] for c in costs) == ("0.00", "100.00"), "as the statement"
    assert (await client.post(f"/api/jobs/{job_id}/settle", headers=desk)).status_code == 200
    _, figures = await this_months_figures(client, boss, settings)
    assert tuple(figures["total"][c] for c in costs) == ("0.00", "100.00"), "as frozen"


async def test_a_job_reopened_after_an_unsatisfied_call_back_is_no_first_time_fix(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers, settings: Settings
) -> None:
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id, after_photo=True)
    await client.post(f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss)
    assert (await client.post(f"/api/jobs/{job_id}/settle", headers=desk)).status_code == 200
    called = await client.post(
        f"/api/jobs/{job_id}/follow-up", json={"score": 2, "satisfied": False}, headers=desk
    )
    assert called.status_code == 200, called.text
    assert called.json()["job"]["status"] == "reopened"
    _, figures = await this_months_figures(client, boss, settings)
    assert (figures["total"]["jobs_completed"], figures["total"]["first_time_fix_rate"]) == (1, 0.0)


async def test_the_sla_rates_count_a_clock_left_open_past_due_and_skip_cancelled_jobs(
    client: httpx.AsyncClient,
    world: World,
    desk: Headers,
    boss: Headers,
    db: Database,
    settings: Settings,
) -> None:
    on_time = await dispatched_job(client, world, desk)
    await visit(phone_of(client), on_time)
    body = {
        "customer_id": str(world.customer.id),
        "channel": "phone",
        "fault_description": "漏水",
        "contact_name": "赵经理",
        "contact_phone": "139",
    }
    forgotten, duplicate = [
        (await client.post("/api/jobs", json=body, headers=desk)).json()["job"]["id"]
        for _ in range(2)
    ]
    cancel = {"reason": "重复报修"}
    assert (
        await client.post(f"/api/jobs/{duplicate}/cancel", json=cancel, headers=desk)
    ).is_success
    # Nobody answered the forgotten report: both its deadlines have passed.
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(forgotten))
        assert job is not None
        job.plan_due_at = job.on_site_due_at = datetime.now(UTC) - timedelta(minutes=1)
    _, figures = await this_months_figures(client, boss, settings)
    total = figures["total"]
    assert total["jobs_reported"] == 2, "the cancelled duplicate is no job of the month"
    assert (total["plan_sla_rate"], total["site_sla_rate"]) == (0.5, 0.5)
