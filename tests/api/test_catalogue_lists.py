"""Stock levels and movements read without a lookup per row: each names its part (code, names,
units in both languages) and a movement the job it was used on (the console's parts screen)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.visits import dispatched_job, phone_of, visit
from tests.helpers import World, login

Client = httpx.AsyncClient
Headers = dict[str, str]


@pytest.fixture
async def desk(client: Client, world: World) -> Headers:
    return await login(client, "desk")


async def _vans(client: Client, desk: Headers, world: World) -> tuple[str, str]:
    """The vans of li and wang (the world's engineer)."""
    locations = (await client.get("/api/stock/locations", headers=desk)).json()
    wang = next(x["id"] for x in locations if x["engineer_id"] == str(world.engineer.id))
    li = next(x["id"] for x in locations if x["kind"] == "van" and x["id"] != wang)
    return li, wang


async def _part(client: Client, desk: Headers) -> dict[str, Any]:
    made = await client.post(
        "/api/parts",
        json={
            "code": "CMP-3",
            "name": "压缩机 3匹",
            "name_en": "Compressor 3 HP",
            "unit": "台",
            "unit_en": "set",
            "price": "800",
        },
        headers=desk,
    )
    assert made.status_code == 201, made.text
    part: dict[str, Any] = made.json()
    return part


PART_TEXT = {
    "code": "CMP-3",
    "name": "压缩机 3匹",
    "name_en": "Compressor 3 HP",
    "unit": "台",
    "unit_en": "set",
}


async def test_levels_and_movements_name_the_part_in_both_languages(
    client: Client, world: World, desk: Headers
) -> None:
    part = await _part(client, desk)
    li, wang = await _vans(client, desk, world)
    body = {"part_id": part["id"], "quantity": "5", "reason": "入库", "to_location_id": li}
    received = await client.post("/api/stock/movements", json=body, headers=desk)
    assert received.status_code == 201, received.text
    assert {k: received.json()[k] for k in PART_TEXT} == PART_TEXT
    assert received.json()["job_number"] is None
    moved = await client.post(
        "/api/stock/movements",
        json={
            **body,
            "quantity": "2",
            "reason": "补车",
            "from_location_id": li,
            "to_location_id": wang,
        },
        headers=desk,
    )
    assert moved.status_code == 201, moved.text

    levels = (await client.get(f"/api/stock/locations/{wang}/levels", headers=desk)).json()
    assert [({k: x[k] for k in PART_TEXT}, x["quantity"]) for x in levels] == [(PART_TEXT, "2.000")]
    listed = await client.get("/api/stock/movements", params={"part_id": part["id"]}, headers=desk)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 2
    assert [m["reason"] for m in page["items"]] == ["补车", "入库"], "newest first"
    for m in page["items"]:
        assert {k: m[k] for k in PART_TEXT} == PART_TEXT
        assert (m["job_id"], m["job_number"]) == (None, None)


async def test_a_move_to_the_place_it_leaves_is_refused_with_its_code(
    client: Client, world: World, desk: Headers
) -> None:
    part = await _part(client, desk)
    li, _ = await _vans(client, desk, world)
    body = {"part_id": part["id"], "quantity": "1", "reason": "调拨"}
    same = await client.post(
        "/api/stock/movements",
        json={**body, "from_location_id": li, "to_location_id": li},
        headers=desk,
    )
    assert same.status_code == 400, same.text
    assert (same.json()["detail"], same.json()["code"]) == (
        "from and to are the same location",
        "same_location",
    )
    levels = await client.get(f"/api/stock/locations/{li}/levels", headers=desk)
    assert levels.status_code == 200, levels.text
    assert levels.json() == []


async def test_a_movement_of_van_stock_used_on_a_job_names_the_job_by_number(
    client: Client, world: World, desk: Headers
) -> None:
    part = await _part(client, desk)
    _, wang = await _vans(client, desk, world)
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id, parts=[(part["id"], "1", "warranty")])
    number = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["job"]["number"]

    listed = await client.get("/api/stock/movements", params={"location_id": wang}, headers=desk)
    assert listed.status_code == 200, listed.text
    (used,) = listed.json()["items"]
    assert (used["reason"], used["from_location_id"], used["to_location_id"]) == (
        "used on job",
        wang,
        None,
    )
    assert (used["job_id"], used["job_number"]) == (job_id, number)
    assert {k: used[k] for k in PART_TEXT} == PART_TEXT


async def test_the_parts_list_gives_the_active_the_inactive_or_all(
    client: Client, desk: Headers
) -> None:
    # The console lists all parts, the inactive marked: `active=null` is "either".
    part = await _part(client, desk)
    made = await client.post("/api/parts", json={"code": "CMP-4", "name": "压缩机"}, headers=desk)
    off = await client.patch(f"/api/parts/{part['id']}", json={"active": False}, headers=desk)
    assert off.status_code == 200, off.text

    async def codes(**params: str) -> list[str]:
        listed = await client.get("/api/parts", params={"q": "CMP", **params}, headers=desk)
        assert listed.status_code == 200, listed.text
        return [p["code"] for p in listed.json()["items"]]

    assert await codes() == [made.json()["code"]], "active ones by default"
    assert await codes(active="false") == ["CMP-3"]
    assert await codes(active="null") == ["CMP-3", "CMP-4"]


async def test_an_engineer_gets_a_van_with_the_account_or_on_becoming_one(
    client: Client, world: World
) -> None:
    admin = await login(client, "admin")

    async def van_list() -> list[tuple[str, str]]:
        locations = (await client.get("/api/stock/locations", headers=admin)).json()
        return [(x["engineer_id"], x["name"]) for x in locations if x["kind"] == "van"]

    async def vans() -> dict[str, str]:
        return dict(await van_list())

    def account(username: str, role: str) -> dict[str, str]:
        return {
            "username": username,
            "display_name": "赵敏",
            "role": role,
            "password": "a-long-password",
        }

    made = await client.post("/api/users", json=account("zhaomin", "engineer"), headers=admin)
    assert made.status_code == 201, made.text
    assert (await vans())[made.json()["id"]] == "赵敏的车 Van zhaomin"

    desk = await client.post("/api/users", json=account("zhou", "dispatcher"), headers=admin)
    assert desk.status_code == 201, desk.text
    assert desk.json()["id"] not in await vans()
    became = await client.patch(
        f"/api/users/{desk.json()['id']}", json={"role": "engineer"}, headers=admin
    )
    assert became.status_code == 200, became.text
    assert desk.json()["id"] in await vans()

    # Back to the desk and out again: the same van, not a second one.
    for role in ("dispatcher", "engineer"):
        moved = await client.patch(
            f"/api/users/{desk.json()['id']}", json={"role": role}, headers=admin
        )
        assert moved.status_code == 200, moved.text
    assert [e for e, _ in await van_list()].count(desk.json()["id"]) == 1


async def test_the_office_adds_and_renames_a_warehouse_with_a_unique_name(
    client: Client, world: World, desk: Headers
) -> None:
    made = await client.post("/api/stock/locations", json={"name": " 浦东仓库 "}, headers=desk)
    assert made.status_code == 201, made.text
    warehouse = made.json()
    assert (warehouse["kind"], warehouse["name"], warehouse["engineer_id"]) == (
        "warehouse",
        "浦东仓库",
        None,
    )
    again = await client.post("/api/stock/locations", json={"name": "浦东仓库"}, headers=desk)
    assert again.status_code == 409
    assert "already named '浦东仓库'" in again.json()["detail"]
    assert (again.json()["code"], again.json()["params"]) == ("name_taken", {"name": "浦东仓库"})
    blank = await client.post("/api/stock/locations", json={"name": "   "}, headers=desk)
    assert blank.status_code == 400

    renamed = await client.patch(
        f"/api/stock/locations/{warehouse['id']}", json={"name": "浦东一号仓库"}, headers=desk
    )
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get("/api/stock/locations", headers=desk)).json()
    assert {x["name"] for x in listed if x["id"] == warehouse["id"]} == {"浦东一号仓库"}
    same = await client.patch(
        f"/api/stock/locations/{warehouse['id']}", json={"name": "浦东一号仓库"}, headers=desk
    )
    assert same.status_code == 200, "its own name is not taken"
    missing = await client.patch(
        f"/api/stock/locations/{world.engineer.id}", json={"name": "x"}, headers=desk
    )
    assert missing.status_code == 404

    engineer = await login(client, "wang")
    refused = await client.post("/api/stock/locations", json={"name": "我的仓库"}, headers=engineer)
    assert refused.status_code == 403
