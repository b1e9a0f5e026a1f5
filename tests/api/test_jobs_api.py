"""The office's job API: intake, dispatch, visibility, filters, cancellation and history."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.app import create_app
from api.db import Database
from api.domain.jobs.services import EARLIER_VISITS, start_callback_clock
from api.models import Job
from api.settings import CalendarSettings, Settings
from sync.client import SyncClient
from sync.rules.lifecycle import JobStatus
from tests.helpers import PASSWORD, World, login, set_aside_signature

Client = httpx.AsyncClient


async def register(client: Client, headers: dict[str, str], world: World, **extra: object) -> dict:
    body = {
        "customer_id": str(world.customer.id),
        "asset_id": str(world.asset.id),
        "channel": "phone",
        "fault_description": "冷水机组不制冷 / chiller not cooling",
        "urgency": "high",
        "contact_name": "赵经理",
        "contact_phone": "13900000000",
        **extra,
    }
    response = await client.post("/api/jobs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_dispatcher_registers_assigns_and_only_the_assigned_engineer_sees_it(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job = await register(client, desk, world)
    assert re.fullmatch(r"FS-\d{4}-\d{6}", job["job"]["number"])
    assert job["job"]["status"] == "reported"
    assert job["job"]["site_id"] == str(world.site.id), "the asset's site is filled in"
    assert job["asset"]["warranty_status"] == "in_warranty"
    job_id = job["job"]["id"]

    response = await client.post(
        f"/api/jobs/{job_id}/assign",
        json={"engineer_id": str(world.engineer.id), "handling_plan": "上门检修"},
        headers=desk,
    )
    assert response.status_code == 200, response.text
    assigned = response.json()
    assert assigned["job"]["status"] == "assigned"
    assert assigned["plan_given_at"] is not None, "dispatch gives the handling plan"

    mine = await login(client, "wang")
    listed = (await client.get("/api/jobs", headers=mine)).json()
    assert [j["id"] for j in listed["items"]] == [job_id]
    detail = await client.get(f"/api/jobs/{job_id}", headers=mine)
    assert detail.status_code == 200
    assert detail.json()["handling_plan"] == "上门检修"

    other = await login(client, "li")
    assert (await client.get(f"/api/jobs/{job_id}", headers=other)).status_code == 404
    assert (await client.get("/api/jobs", headers=other)).json()["total"] == 0


async def test_job_numbers_count_up_within_the_year(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    first = (await register(client, desk, world))["job"]["number"]
    second = (await register(client, desk, world))["job"]["number"]
    assert int(second[-6:]) == int(first[-6:]) + 1
    assert first[:8] == second[:8]


async def test_detail_carries_the_full_history_with_who_and_what(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job = await register(client, desk, world)
    job_id = job["job"]["id"]
    await client.post(
        f"/api/jobs/{job_id}/accept", json={"handling_plan": "先电话指导"}, headers=desk
    )
    response = await client.patch(f"/api/jobs/{job_id}", json={"urgency": "critical"}, headers=desk)
    assert response.status_code == 200, response.text
    history = response.json()["history"]
    assert history[0]["action"] == "insert"
    changes = [h for h in history if h["action"] == "update"]
    assert {"status": "accepted"}.items() <= changes[0]["after"].items()
    assert changes[-1]["before"] == {"urgency": "high"}
    assert changes[-1]["after"] == {"urgency": "critical"}
    assert all(h["actor_name"] == "Desk" for h in history)


async def test_cancel_then_cancel_again_is_a_conflict_with_a_reason(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    ok = await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户撤销"}, headers=desk)
    assert ok.status_code == 200
    assert ok.json()["job"]["status"] == "cancelled"
    again = await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "x"}, headers=desk)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    assign = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert assign.status_code == 409
    assert "cancelled" in assign.json()["detail"]


async def test_assign_refuses_a_user_who_is_not_an_engineer(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    response = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.quality.id)}, headers=desk
    )
    assert response.status_code == 400
    assert "engineer" in response.json()["detail"]


async def test_reassign_moves_the_job_to_the_new_engineer(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    for engineer in (world.engineer, world.engineer2):
        response = await client.post(
            f"/api/jobs/{job_id}/assign", json={"engineer_id": str(engineer.id)}, headers=desk
        )
        assert response.status_code == 200
    assert response.json()["job"]["assigned_engineer_id"] == str(world.engineer2.id)
    first = await login(client, "wang")
    assert (await client.get(f"/api/jobs/{job_id}", headers=first)).status_code == 404


async def test_list_filters_by_status_engineer_text_and_sla(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    old = datetime.now(UTC) - timedelta(days=10)
    late = await register(client, desk, world, reported_at=old.isoformat())
    # Plan due 24 h after the report, at risk max(2 h, 25% of 24 h) = 6 h before: at 20 h.
    yesterday = datetime.now(UTC) - timedelta(hours=20)
    risky = await register(client, desk, world, reported_at=yesterday.isoformat())
    fresh = await register(client, desk, world, fault_description="电梯异响 elevator noise")
    await client.post(
        f"/api/jobs/{fresh['job']['id']}/assign",
        json={"engineer_id": str(world.engineer.id)},
        headers=desk,
    )

    async def ids(**params: object) -> set[str]:
        response = await client.get("/api/jobs", params=params, headers=desk)
        assert response.status_code == 200, response.text
        return {j["id"] for j in response.json()["items"]}

    late_id, risky_id, fresh_id = late["job"]["id"], risky["job"]["id"], fresh["job"]["id"]
    assert await ids(status="reported") == {late_id, risky_id}
    assert await ids(status=["reported", "assigned"]) == {late_id, risky_id, fresh_id}
    assert await ids(engineer_id=str(world.engineer.id)) == {fresh_id}
    assert await ids(unassigned=True) == {late_id, risky_id}
    assert await ids(q="elevator") == {fresh_id}
    # A whole job number, as read out on the phone or pasted with spaces: that one job.
    number = fresh["job"]["number"]
    assert await ids(q=f" {number.lower()} ") == {fresh_id}
    assert fresh_id in await ids(q=number[-6:]), "part of a number still searches"
    assert await ids(sla="breached") == {late_id}
    assert await ids(sla="at_risk") == {risky_id}
    assert await ids(sla="ok") == {fresh_id}
    # Dates count in the department's time zone (Asia/Shanghai by default).
    shanghai = ZoneInfo("Asia/Shanghai")
    today = datetime.now(shanghai).date()
    old_day = old.astimezone(shanghai).date()
    assert await ids(reported_from=str(today - timedelta(days=2))) >= {fresh_id}
    assert late_id not in await ids(reported_from=str(today - timedelta(days=2)))
    assert await ids(reported_to=str(old_day)) == {late_id}
    assert await ids(reported_to=str(old_day - timedelta(days=1))) == set()
    assert await ids(reported_from=str(old_day), reported_to=str(old_day)) == {late_id}
    # The state shown agrees with the filter.
    assert late["job"]["sla"]["worst"] == "breached"
    assert risky["job"]["sla"]["plan"] == risky["job"]["sla"]["worst"] == "at_risk"
    assert fresh["job"]["sla"]["worst"] == "ok"


async def test_paging_returns_total_and_a_slice(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    for _ in range(5):
        await register(client, desk, world)
    page = (await client.get("/api/jobs", params={"limit": 2, "offset": 2}, headers=desk)).json()
    assert page["total"] == 5
    assert len(page["items"]) == 2


async def test_register_refuses_an_asset_of_another_customer(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    other = await client.post("/api/customers", json={"name": "Other Ltd"}, headers=desk)
    assert other.status_code == 201
    response = await client.post(
        "/api/jobs",
        json={
            "customer_id": other.json()["id"],
            "asset_id": str(world.asset.id),
            "channel": "web",
            "fault_description": "x",
        },
        headers=desk,
    )
    assert response.status_code == 400
    assert "does not belong" in response.json()["detail"]
    assert response.json()["code"] == "wrong_customer"


async def test_unknown_job_is_404(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    response = await client.get(f"/api/jobs/{uuid.uuid4()}", headers=desk)
    assert response.status_code == 404
    assert response.json()["detail"] == "job not found"
    assert response.json()["code"] == "not_found"
    assert response.json()["params"] == {"what": "job"}


async def set_status(db: Database, job_id: str, status: JobStatus) -> None:
    """Move a job straight to ``status``, as the engineer's sync would have."""
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        job.status = status


async def test_shown_sla_uses_the_stored_due_times_not_todays_calendar(
    client: Client, world: World, settings: Settings, db: Database
) -> None:
    desk = await login(client, "desk")
    job = await register(client, desk, world)
    due = job["job"]["sla"]["on_site_due"]
    # The holiday list changes after intake (the State Council publishes a new week off).
    today = datetime.now(ZoneInfo(settings.calendar.timezone)).date()
    holidays = f"{today}..{today + timedelta(days=20)}"
    later = create_app(replace(settings, calendar=CalendarSettings(holidays=holidays)), db=db)
    transport = httpx.ASGITransport(app=later)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as other:
        shown = await other.get(f"/api/jobs/{job['job']['id']}", headers=desk)
        listed = await other.get("/api/jobs", params={"sla": "ok"}, headers=desk)
    assert shown.json()["job"]["sla"]["on_site_due"] == due
    assert [j["sla"]["on_site_due"] for j in listed.json()["items"]] == [due]


async def test_a_settled_job_shows_its_stored_call_back_clock(
    client: Client, world: World, settings: Settings, db: Database
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    settled = datetime.now(UTC) - timedelta(days=10)
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        job.status, job.settled_at = JobStatus.SETTLED, settled
        start_callback_clock(job, settings.calendar.calendar)
        stored = job.callback_due_at
    body = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert datetime.fromisoformat(body["job"]["sla"]["callback_due"]) == stored
    assert body["job"]["sla"]["callback"] == "breached"
    breached = await client.get("/api/jobs", params={"sla": "breached"}, headers=desk)
    assert [j["id"] for j in breached.json()["items"]] == [job_id]


async def test_accept_takes_only_a_reported_job(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    plan = {"handling_plan": "上门检修"}
    assert (await client.post(f"/api/jobs/{job_id}/accept", json=plan, headers=desk)).is_success
    again = await client.post(f"/api/jobs/{job_id}/accept", json=plan, headers=desk)
    assert again.status_code == 409
    assert "only a reported job can be accepted" in again.json()["detail"]
    assert again.json()["code"] == "job_status"
    assert again.json()["params"] == {"status": "accepted"}


async def test_accept_does_not_undo_a_cancellation_but_uncancel_does(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户撤销"}, headers=desk)
    refused = await client.post(
        f"/api/jobs/{job_id}/accept", json={"handling_plan": "x"}, headers=desk
    )
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["detail"]
    assert refused.json()["code"] == "job_cancelled", "the desk is told to undo it first"
    undone = await client.post(f"/api/jobs/{job_id}/uncancel", headers=desk)
    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert body["job"]["status"] == "accepted"
    assert (body["cancelled_at"], body["cancel_reason"]) == (None, "")
    twice = await client.post(f"/api/jobs/{job_id}/uncancel", headers=desk)
    assert twice.status_code == 409


async def test_a_job_taken_up_again_waits_on_the_board_and_leaves_the_phone_until_dispatched(
    client: Client, world: World
) -> None:
    # It went back to "accepted" still naming its engineer: in no board list (they list jobs
    # without one), on the engineer's phone, and never dispatched again.
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    engineer = {"engineer_id": str(world.engineer.id)}
    await client.post(f"/api/jobs/{job_id}/assign", json=engineer, headers=desk)
    phone = SyncClient(http=client, username="wang", password=PASSWORD)
    await phone.sync()
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "误取消"}, headers=desk)
    await phone.pull()
    assert phone.get("jobs", job_id)["status"] == "cancelled"  # type: ignore[index]
    undone = (await client.post(f"/api/jobs/{job_id}/uncancel", headers=desk)).json()
    assert (undone["job"]["status"], undone["job"]["assigned_engineer_id"]) == ("accepted", None)
    board = (await client.get("/api/board", headers=desk)).json()
    assert job_id in [j["id"] for j in board["unassigned"]]
    await phone.pull()
    assert phone.get("jobs", job_id) is None
    again = await client.post(f"/api/jobs/{job_id}/assign", json=engineer, headers=desk)
    assert again.json()["job"]["status"] == "assigned"
    await phone.pull()
    assert phone.get("jobs", job_id)["status"] == "assigned"  # type: ignore[index]


async def test_the_engineer_on_the_way_or_on_site_is_not_assigned_the_job_again(
    client: Client, world: World
) -> None:
    # It moved the job back to "assigned" under their feet; their "work done" then clashed.
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    wang, li = {"engineer_id": str(world.engineer.id)}, {"engineer_id": str(world.engineer2.id)}
    await client.post(f"/api/jobs/{job_id}/assign", json=wang, headers=desk)
    assert (await client.post(f"/api/jobs/{job_id}/assign", json=wang, headers=desk)).is_success
    phone = SyncClient(http=client, username="wang", password=PASSWORD)
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    await phone.sync()
    same = await client.post(f"/api/jobs/{job_id}/assign", json=wang, headers=desk)
    assert same.status_code == 409
    assert "on_site with this engineer already" in same.json()["detail"]
    assert (same.json()["code"], same.json()["params"]) == (
        "already_with_engineer",
        {"status": "on_site"},
    )
    other = await client.post(f"/api/jobs/{job_id}/assign", json=li, headers=desk)
    assert other.json()["job"]["status"] == "assigned"


async def test_the_unassigned_filter_works_both_ways(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    free = (await register(client, desk, world))["job"]["id"]
    held = (await register(client, desk, world))["job"]["id"]
    engineer = {"engineer_id": str(world.engineer.id)}
    await client.post(f"/api/jobs/{held}/assign", json=engineer, headers=desk)

    async def listed(flag: str) -> list[str]:
        page = await client.get("/api/jobs", params={"unassigned": flag}, headers=desk)
        return [j["id"] for j in page.json()["items"]]

    assert await listed("true") == [free]
    assert await listed("false") == [held]


async def test_a_signed_job_keeps_the_fault_site_and_asset_the_customer_signed_for(
    client: Client, world: World, db: Database
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    await set_status(db, job_id, JobStatus.SIGNED)
    for change in (
        {"fault_description": "something else"},
        {"asset_id": None},
        {"site_id": None},
    ):
        response = await client.patch(f"/api/jobs/{job_id}", json=change, headers=desk)
        assert response.status_code == 409, change
        assert "the customer signed the report" in response.json()["detail"]
    allowed = {"office_notes": "客户来电补充", "contact_name": "钱工", "urgency": "low"}
    response = await client.patch(f"/api/jobs/{job_id}", json=allowed, headers=desk)
    assert response.status_code == 200, response.text
    assert response.json()["office_notes"] == "客户来电补充"


async def test_a_job_moves_to_another_customer_with_its_complaints_until_the_visit(
    client: Client, world: World, db: Database
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    complaint = await client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer.id),
            "job_id": job_id,
            "severity": "minor",
            "description": "无人回电",
        },
        headers=desk,
    )
    assert complaint.status_code == 201, complaint.text
    other = (await client.post("/api/customers", json={"name": "东方医院"}, headers=desk)).json()
    refusals = [
        ({"customer_id": str(uuid.uuid4())}, 400, "missing_reference"),
        # The old customer's site does not come along.
        ({"customer_id": other["id"], "site_id": str(world.site.id)}, 400, "wrong_customer"),
    ]
    for body, status, code in refusals:
        refused = await client.patch(f"/api/jobs/{job_id}", json=body, headers=desk)
        assert (refused.status_code, refused.json()["code"]) == (status, code), body
    moved = await client.patch(
        f"/api/jobs/{job_id}", json={"customer_id": other["id"]}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    detail = moved.json()
    assert detail["customer"]["name"] == "东方医院"
    assert (detail["job"]["site_id"], detail["job"]["asset_id"]) == (None, None)
    assert detail["contact_name"] == "赵经理", "the caller stays the job's contact"
    listed = await client.get("/api/complaints", params={"job_id": job_id}, headers=desk)
    assert [c["customer_id"] for c in listed.json()["items"]] == [other["id"]]
    # Signed for, even on a visit a reopening set aside: the report and its links name the
    # customer it was signed for.
    await set_aside_signature(db, job_id, "钱工")
    back = await client.patch(
        f"/api/jobs/{job_id}", json={"customer_id": str(world.customer.id)}, headers=desk
    )
    assert back.status_code == 409, back.text
    assert back.json()["code"] == "job_signed"
    # On site: the phone may hold a signature not sent yet, over content naming the customer.
    visited = (await register(client, desk, world))["job"]["id"]
    async with db.write() as session:
        job = await session.get(Job, uuid.UUID(visited))
        assert job is not None
        job.arrived_at = datetime.now(UTC)
    there = await client.patch(
        f"/api/jobs/{visited}", json={"customer_id": other["id"]}, headers=desk
    )
    assert (there.status_code, there.json()["code"]) == (409, "job_signed")


async def test_before_signing_the_fault_may_still_be_corrected(
    client: Client, world: World, db: Database
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    await set_status(db, job_id, JobStatus.WORK_DONE)
    response = await client.patch(
        f"/api/jobs/{job_id}", json={"fault_description": "压缩机过热"}, headers=desk
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("reported_at", "detail", "code"),
    [
        (None, "reported_at is in the future", "reported_in_future"),  # an hour from now
        (
            "1999-12-31T23:59:00+08:00",
            "reported_at is before 2000-01-01; check the year",
            "reported_too_early",
        ),
    ],
)
async def test_a_report_time_from_the_future_or_before_2000_is_refused(
    client: Client, world: World, reported_at: str | None, detail: str, code: str
) -> None:
    desk = await login(client, "desk")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "channel": "phone",
            "fault_description": "x",
            "reported_at": reported_at or later,
        },
        headers=desk,
    )
    assert response.status_code == 400, response.text
    assert (response.json()["detail"], response.json()["code"]) == (detail, code)


async def test_naive_visit_times_are_refused_not_a_server_error(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    naive = "2030-01-01T09:00:00"
    for path, body in (
        ("assign", {"engineer_id": str(world.engineer.id), "scheduled_at": naive}),
        ("schedule", {"scheduled_at": naive}),
    ):
        response = await client.post(f"/api/jobs/{job_id}/{path}", json=body, headers=desk)
        assert response.status_code == 400, (path, response.text)
        assert "timezone" in response.text
    aware = await client.post(
        f"/api/jobs/{job_id}/schedule", json={"scheduled_at": naive + "+08:00"}, headers=desk
    )
    assert aware.status_code == 200


async def test_times_at_the_ends_of_the_calendar_are_refused_not_a_server_error(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    job_id = (await register(client, desk, world))["job"]["id"]
    # Both are valid where written, but fall outside years 1 to 9999 in UTC.
    for edge in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"):
        for path, body in (
            ("schedule", {"scheduled_at": edge}),
            ("assign", {"engineer_id": str(world.engineer.id), "scheduled_at": edge}),
        ):
            response = await client.post(f"/api/jobs/{job_id}/{path}", json=body, headers=desk)
            assert response.status_code == 400, (path, edge, response.text)
            assert "scheduled_at" in response.text
        complaint = await client.post(
            "/api/complaints",
            json={
                "customer_id": str(world.customer.id),
                "severity": "minor",
                "description": "x",
                "deadline": edge,
            },
            headers=desk,
        )
        assert complaint.status_code == 400, (edge, complaint.text)
        assert "deadline" in complaint.text
    assert (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["job"][
        "scheduled_at"
    ] is None


async def test_search_text_is_taken_literally_not_as_a_pattern(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    percent = await register(client, desk, world, fault_description="湿度100%时报警 E7")
    await register(client, desk, world, fault_description="运行1000小时后异响")
    await register(client, desk, world, fault_description="A1B 风机不转")
    for q, found in (("100%", percent), ("%", percent), ("_", None)):
        listed = await client.get("/api/jobs", params={"q": q}, headers=desk)
        assert listed.status_code == 200
        ids = [j["id"] for j in listed.json()["items"]]
        assert ids == ([found["job"]["id"]] if found else []), q
    customers = await client.get("/api/customers", params={"q": "_"}, headers=desk)
    assert customers.json()["total"] == 0
    sites = await client.get("/api/sites", params={"q": "%"}, headers=desk)
    assert sites.json()["total"] == 0
    assets = await client.get("/api/assets", params={"q": "_"}, headers=desk)
    assert assets.json()["total"] == 0


async def test_a_job_lists_the_newest_earlier_visits_of_its_asset_and_counts_them_all(
    client: Client, world: World
) -> None:
    desk = await login(client, "desk")
    jobs = [(await register(client, desk, world))["job"] for _ in range(EARLIER_VISITS + 2)]
    other = await client.post(
        "/api/assets",
        json={"site_id": str(world.site.id), "name": "冷却塔", "model": "CT-1", "serial": "X1"},
        headers=desk,
    )
    assert other.status_code == 201, other.text
    await register(client, desk, world, asset_id=other.json()["id"])
    detail = (await client.get(f"/api/jobs/{jobs[-1]['id']}", headers=desk)).json()
    assert detail["earlier_visits_total"] == EARLIER_VISITS + 1
    listed = [v["number"] for v in detail["earlier_visits"]]
    assert listed == [j["number"] for j in reversed(jobs[1:-1])], "the newest, newest first"
    first = (await client.get(f"/api/jobs/{jobs[0]['id']}", headers=desk)).json()
    assert first["earlier_visits_total"] == EARLIER_VISITS + 1
    everything = await client.get(
        "/api/jobs", params={"asset_id": str(world.asset.id), "limit": 200}, headers=desk
    )
    assert everything.status_code == 200, everything.text
    assert everything.json()["total"] == EARLIER_VISITS + 2
    assert {j["id"] for j in everything.json()["items"]} == {j["id"] for j in jobs}
    bad = await client.get("/api/jobs", params={"asset_id": "chiller"}, headers=desk)
    assert bad.status_code == 400
    assert "asset_id" in bad.text
