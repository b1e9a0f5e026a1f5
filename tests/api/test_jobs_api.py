"""The office's job API: intake, dispatch, visibility, filters, cancellation and history."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.helpers import World, login

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

    assert await ids(status="reported") == {late["job"]["id"]}
    assert await ids(status=["reported", "assigned"]) == {late["job"]["id"], fresh["job"]["id"]}
    assert await ids(engineer_id=str(world.engineer.id)) == {fresh["job"]["id"]}
    assert await ids(unassigned=True) == {late["job"]["id"]}
    assert await ids(q="elevator") == {fresh["job"]["id"]}
    assert await ids(sla="breached") == {late["job"]["id"]}
    assert await ids(sla="ok") == {fresh["job"]["id"]}
    today = datetime.now(UTC).date()
    assert await ids(reported_from=str(today - timedelta(days=1))) == {fresh["job"]["id"]}
    assert late["job"]["sla"]["worst"] == "breached"


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


async def test_unknown_job_is_404(client: Client, world: World) -> None:
    desk = await login(client, "desk")
    response = await client.get(f"/api/jobs/{uuid.uuid4()}", headers=desk)
    assert response.status_code == 404
    assert response.json()["detail"] == "job not found"
