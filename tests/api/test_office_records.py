"""Customers, sites, assets, users, parts and stock: concurrent edits, codes and numbers."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from api.db import Database
from api.models import Asset, Audited, Customer, Part, Site, User
from tests.helpers import World, login

Client = httpx.AsyncClient


@pytest.fixture
async def desk(client: Client, world: World) -> dict[str, str]:
    return await login(client, "desk")


@pytest.fixture
async def admin(client: Client, world: World) -> dict[str, str]:
    return await login(client, "admin")


async def version_of(db: Database, model: type[Audited], row_id: uuid.UUID) -> int:
    async with db.read() as session:
        row = await session.get(model, row_id)
    assert row is not None
    return row.version


async def test_concurrent_patches_each_count_in_the_version(
    client: Client, world: World, db: Database, desk: dict[str, str], admin: dict[str, str]
) -> None:
    part = await client.post("/api/parts", json={"code": "P-9", "name": "阀门"}, headers=desk)
    assert part.status_code == 201
    part_id = uuid.UUID(part.json()["id"])
    cases: list[tuple[type[Audited], uuid.UUID, str, dict[str, str], dict[str, Any]]] = [
        (Customer, world.customer.id, "customers", desk, {"notes": "a", "phone": "021-6666"}),
        (Site, world.site.id, "sites", desk, {"address": "a", "remote": True}),
        (Asset, world.asset.id, "assets", desk, {"name": "a", "contract_ref": "HT-1"}),
        (User, world.engineer.id, "users", admin, {"phone": "139", "email": "w@x.cn"}),
        (Part, part_id, "parts", desk, {"name": "球阀", "unit": "个"}),
    ]
    for model, row_id, path, headers, fields in cases:
        before = await version_of(db, model, row_id)
        answers = await asyncio.gather(
            *(
                client.patch(f"/api/{path}/{row_id}", json={name: value}, headers=headers)
                for name, value in fields.items()
            )
        )
        assert [a.status_code for a in answers] == [200, 200], path
        assert await version_of(db, model, row_id) == before + 2, path


async def test_auto_customer_codes_skip_codes_typed_by_hand(
    client: Client, desk: dict[str, str]
) -> None:
    for code in ("C-000001", "C-000002"):
        typed = await client.post("/api/customers", json={"name": code, "code": code}, headers=desk)
        assert typed.status_code == 201
    made = [
        (await client.post("/api/customers", json={"name": f"auto {n}"}, headers=desk)).json()
        for n in range(2)
    ]
    assert [m["code"] for m in made] == ["C-000003", "C-000004"]


async def _van(client: Client, headers: dict[str, str], world: World) -> str:
    locations = (await client.get("/api/stock/locations", headers=headers)).json()
    return str(next(x["id"] for x in locations if x["engineer_id"] == str(world.engineer.id)))


async def test_two_first_receipts_of_a_part_at_once_both_count(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    part = await client.post("/api/parts", json={"code": "P-7", "name": "轴承"}, headers=desk)
    van = await _van(client, desk, world)

    def receipt(quantity: str) -> Any:
        body = {
            "part_id": part.json()["id"],
            "quantity": quantity,
            "reason": "入库",
            "to_location_id": van,
        }
        return client.post("/api/stock/movements", json=body, headers=desk)

    answers = await asyncio.gather(receipt("2"), receipt("3.5"))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    levels = (await client.get(f"/api/stock/locations/{van}/levels", headers=desk)).json()
    assert [(x["code"], Decimal(x["quantity"])) for x in levels] == [("P-7", Decimal("5.5"))]


async def test_a_first_write_off_from_an_empty_location_is_a_conflict(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    part = await client.post("/api/parts", json={"code": "P-8", "name": "密封"}, headers=desk)
    van = await _van(client, desk, world)
    body = {
        "part_id": part.json()["id"],
        "quantity": "1",
        "reason": "报废",
        "from_location_id": van,
    }
    response = await client.post("/api/stock/movements", json=body, headers=desk)
    assert response.status_code == 409
    assert "not enough stock" in response.json()["detail"]
    assert response.json()["code"] == "not_enough_stock"
    assert response.json()["params"] == {"quantity": "0"}


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("12.345", "at most 2 decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
    ],
)
async def test_prices_have_fen_at_most_and_are_finite(
    client: Client, desk: dict[str, str], price: str, reason: str
) -> None:
    created = await client.post(
        "/api/parts", json={"code": "P-X", "name": "x", "price": price}, headers=desk
    )
    assert created.status_code == 400, created.text
    assert reason in created.text
    part = await client.post("/api/parts", json={"code": "P-Y", "name": "y"}, headers=desk)
    patched = await client.patch(
        f"/api/parts/{part.json()['id']}", json={"price": price}, headers=desk
    )
    assert patched.status_code == 400, patched.text
    assert reason in patched.text


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        ("1.2345", "at most 3 decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
    ],
)
async def test_quantities_have_thousandths_at_most_and_are_finite(
    client: Client, world: World, desk: dict[str, str], quantity: str, reason: str
) -> None:
    part = await client.post("/api/parts", json={"code": "P-Q", "name": "线缆"}, headers=desk)
    van = await _van(client, desk, world)
    body = {"part_id": part.json()["id"], "quantity": quantity, "reason": "入库"}
    response = await client.post(
        "/api/stock/movements", json={**body, "to_location_id": van}, headers=desk
    )
    assert response.status_code == 400, response.text
    assert reason in response.text
    fine = await client.post(
        "/api/stock/movements",
        json={**body, "quantity": "1.25", "to_location_id": van},
        headers=desk,
    )
    assert fine.status_code == 201


async def test_a_warranty_running_past_the_calendar_is_a_400(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    body = {"site_id": str(world.site.id), "model": "M", "serial": "S-9999"}
    created = await client.post(
        "/api/assets", json={**body, "acceptance_date": "9999-06-01"}, headers=desk
    )
    assert created.status_code == 400, created.text
    assert "outside the calendar" in created.json()["detail"]
    assert (created.json()["code"], created.json()["params"]) == (
        "date_out_of_range",
        {"date": "9999-06-01"},
    )
    patched = await client.patch(
        f"/api/assets/{world.asset.id}",
        json={"acceptance_date": "9999-12-31", "warranty_months": 24},
        headers=desk,
    )
    assert patched.status_code == 400, patched.text
    assert "outside the calendar" in patched.json()["detail"]
    assert patched.json()["params"] == {"date": "9999-12-31"}
    with_end = await client.post(
        "/api/assets",
        json={**body, "acceptance_date": "9999-06-01", "warranty_end": "9999-12-31"},
        headers=desk,
    )
    assert with_end.status_code == 201, "an explicit contract end date needs no sum"


async def test_paging_customers_and_sites_of_one_name_shows_each_once(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    # Names repeat (every customer has its 1号楼): the pages need an order without ties, or
    # PostgreSQL's top-N sort hands out some rows twice and others never.
    made: dict[str, set[str]] = {"customers": set(), "sites": set()}
    for i in range(40):
        customer = await client.post("/api/customers", json={"name": "中建三局"}, headers=desk)
        made["customers"].add(customer.json()["id"])
        site = await client.post(
            "/api/sites",
            json={"customer_id": str(world.customer.id), "name": "1号楼", "address": str(i)},
            headers=desk,
        )
        made["sites"].add(site.json()["id"])
    for path, q in (("customers", "中建三局"), ("sites", "1号楼")):
        seen: list[str] = []
        for offset in range(0, 40, 7):
            page = await client.get(
                f"/api/{path}", params={"q": q, "limit": 7, "offset": offset}, headers=desk
            )
            assert page.json()["total"] == 40
            seen += [row["id"] for row in page.json()["items"]]
        assert len(seen) == 40, path
        assert set(seen) == made[path], path


async def test_a_part_edit_based_on_an_old_version_is_refused(
    client: Client, desk: dict[str, str]
) -> None:
    boss = await login(client, "boss")
    made = await client.post("/api/parts", json={"code": "V-1", "name": "阀门"}, headers=desk)
    assert made.status_code == 201, made.text
    opened = made.json()
    url = f"/api/parts/{opened['id']}"
    # Two desks open the part; the first changes the price, the second the name.
    first = await client.patch(
        url, json={"price": "80", "version": opened["version"]}, headers=desk
    )
    assert first.status_code == 200, first.text
    stale = await client.patch(
        url, json={"name": "球阀", "price": "60", "version": opened["version"]}, headers=boss
    )
    assert stale.status_code == 409, stale.text
    assert "reload" in stale.json()["detail"]
    assert (stale.json()["code"], stale.json()["params"]) == ("changed_meanwhile", None)
    listed = (await client.get("/api/parts", params={"q": "V-1"}, headers=desk)).json()["items"]
    assert [(p["name"], p["price"]) for p in listed] == [("阀门", "80.00")], "the first edit stays"
    fresh = await client.patch(
        url, json={"name": "球阀", "version": first.json()["version"]}, headers=boss
    )
    assert fresh.status_code == 200, fresh.text
    assert (fresh.json()["name"], fresh.json()["price"]) == ("球阀", "80.00")
    zero = await client.patch(url, json={"name": "x", "version": 0}, headers=desk)
    assert zero.status_code == 400, zero.text


async def test_an_edit_based_on_an_old_version_is_refused_not_lost(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    boss = await login(client, "boss")
    url = f"/api/customers/{world.customer.id}"
    opened = (await client.get(url, headers=desk)).json()
    contacts = [{"name": c["name"], "phone": c["phone"]} for c in opened["contacts"]]
    # Two desks open the customer; the first adds a contact, the second corrects a phone.
    added = await client.patch(
        url,
        json={
            "contacts": [*contacts, {"name": "王工", "phone": "137"}],
            "version": opened["version"],
        },
        headers=desk,
    )
    assert added.status_code == 200, added.text
    assert added.json()["version"] > opened["version"], "a new contact list is a new version"
    stale = await client.patch(
        url,
        json={"contacts": [{**contacts[0], "phone": "138"}], "version": opened["version"]},
        headers=boss,
    )
    assert stale.status_code == 409, stale.text
    assert "reload" in stale.json()["detail"]
    kept = (await client.get(url, headers=desk)).json()
    assert sorted(c["name"] for c in kept["contacts"]) == ["王工", "赵经理"]
    fresh = await client.patch(
        url,
        json={"contacts": [{**contacts[0], "phone": "138"}], "version": kept["version"]},
        headers=boss,
    )
    assert fresh.status_code == 200, fresh.text
    assert (
        await client.patch(url, json={"notes": "no version: as before"}, headers=desk)
    ).is_success

    job = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "channel": "phone",
            "fault_description": "漏水",
        },
        headers=desk,
    )
    job_url = f"/api/jobs/{job.json()['job']['id']}"
    version = job.json()["job"]["version"]
    first = await client.patch(
        job_url, json={"office_notes": "客户下午在", "version": version}, headers=desk
    )
    assert first.status_code == 200, first.text
    second = await client.patch(
        job_url, json={"office_notes": "客户上午在", "version": version}, headers=boss
    )
    assert second.status_code == 409, second.text
    assert (await client.get(job_url, headers=desk)).json()["office_notes"] == "客户下午在"
    for path, row_id in (("sites", world.site.id), ("assets", world.asset.id)):
        current = (await client.get(f"/api/{path}/{row_id}", headers=desk)).json()["version"]
        ok = await client.patch(
            f"/api/{path}/{row_id}", json={"name": "A", "version": current}, headers=desk
        )
        assert ok.status_code == 200, ok.text
        late = await client.patch(
            f"/api/{path}/{row_id}", json={"name": "B", "version": current}, headers=boss
        )
        assert late.status_code == 409, (path, late.text)
    complaint = await client.post(
        "/api/complaints",
        json={"customer_id": str(world.customer.id), "severity": "minor", "description": "慢"},
        headers=desk,
    )
    c_url = f"/api/complaints/{complaint.json()['id']}"
    c_version = complaint.json()["version"]
    assert (
        await client.patch(c_url, json={"severity": "major", "version": c_version}, headers=desk)
    ).status_code == 200
    late = await client.patch(c_url, json={"severity": "minor", "version": c_version}, headers=boss)
    assert late.status_code == 409, late.text


async def test_a_contracts_warranty_end_survives_a_corrected_acceptance_date(
    client: Client, world: World, desk: dict[str, str]
) -> None:
    body = {"site_id": str(world.site.id), "model": "CH-500", "acceptance_date": "2025-01-10"}
    contract = await client.post(
        "/api/assets",
        json={**body, "serial": "SN-C", "warranty_end": "2030-12-31", "contract_ref": "HT-9"},
        headers=desk,
    )
    usual = await client.post("/api/assets", json={**body, "serial": "SN-U"}, headers=desk)
    assert (contract.json()["warranty_end"], usual.json()["warranty_end"]) == (
        "2030-12-31",
        "2027-01-09",
    )
    # The desk is told which end stays put (a contract's) and which follows the acceptance date.
    assert (contract.json()["warranty_end_given"], usual.json()["warranty_end_given"]) == (
        True,
        False,
    )
    for changes in ({"acceptance_date": "2025-01-12"}, {"warranty_months": 36}):
        kept = await client.patch(
            f"/api/assets/{contract.json()['id']}", json=changes, headers=desk
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["warranty_end"] == "2030-12-31", changes
        assert kept.json()["warranty_end_given"] is True, changes
    # A worked-out end is worked out again, as before.
    moved = await client.patch(
        f"/api/assets/{usual.json()['id']}", json={"acceptance_date": "2025-01-12"}, headers=desk
    )
    assert moved.json()["warranty_end"] == "2027-01-11"
    longer = await client.patch(
        f"/api/assets/{usual.json()['id']}", json={"warranty_months": 36}, headers=desk
    )
    assert longer.json()["warranty_end"] == "2028-01-11"
    assert longer.json()["warranty_end_given"] is False
    listed = await client.get(f"/api/assets?q={usual.json()['serial']}", headers=desk)
    assert [a["warranty_end_given"] for a in listed.json()["items"]] == [False]
    # The contract date removed: the end is worked out again, as for a new asset without one.
    removed = await client.patch(
        f"/api/assets/{contract.json()['id']}",
        json={"acceptance_date": "2025-02-01", "warranty_end": None},
        headers=desk,
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["warranty_end"] == "2028-01-31", "36 months, set above"
    assert removed.json()["warranty_end_given"] is False
    later = await client.patch(
        f"/api/assets/{contract.json()['id']}", json={"warranty_months": 12}, headers=desk
    )
    assert later.json()["warranty_end"] == "2026-01-31", "and follows the months from then on"
    unknown = await client.patch(
        f"/api/assets/{contract.json()['id']}",
        json={"acceptance_date": None, "warranty_end": None},
        headers=desk,
    )
    assert unknown.json()["warranty_end"] is None, "no acceptance date, no end"
    assert unknown.json()["warranty_end_given"] is False, "no end at all is not a contract's"


async def test_part_and_user_searches_take_percent_and_underscore_as_written(
    client: Client, desk: dict[str, str], admin: dict[str, str]
) -> None:
    for code, name in (("V_1", "阀门 100%"), ("V21", "阀门 1000"), ("VX1", "阀门")):
        made = await client.post(
            "/api/parts", json={"code": code, "name": name, "price": "1"}, headers=desk
        )
        assert made.status_code == 201, made.text

    async def codes(q: str) -> set[str]:
        found = await client.get("/api/parts", params={"q": q, "limit": 200}, headers=desk)
        assert found.status_code == 200, found.text
        return {p["code"] for p in found.json()["items"]}

    assert await codes("V_") == {"V_1"}, "_ is an underscore, not any one character"
    assert await codes("100%") == {"V_1"}, "% is a percent sign, not anything"
    for username in ("li_ming", "liaming"):
        made = await client.post(
            "/api/users",
            json={
                "username": username,
                "display_name": username,
                "role": "engineer",
                "password": "long-enough-1",
            },
            headers=admin,
        )
        assert made.status_code == 201, made.text
    found = await client.get("/api/users", params={"q": "li_m"}, headers=admin)
    assert [u["username"] for u in found.json()["items"]] == ["li_ming"]


async def test_a_part_keeps_an_english_unit_of_at_most_20_characters(
    client: Client, desk: dict[str, str]
) -> None:
    made = await client.post(
        "/api/parts",
        json={"code": "CMP-3", "name": "压缩机 3匹", "unit": "台", "unit_en": "set"},
        headers=desk,
    )
    assert made.status_code == 201, made.text
    assert (made.json()["unit"], made.json()["unit_en"]) == ("台", "set")
    plain = await client.post("/api/parts", json={"code": "P-0", "name": "垫片"}, headers=desk)
    assert plain.json()["unit_en"] == "", "no English unit unless one is given"
    part_id = made.json()["id"]
    changed = await client.patch(f"/api/parts/{part_id}", json={"unit_en": "unit"}, headers=desk)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["unit"], changed.json()["unit_en"]) == ("台", "unit")
    listed = await client.get("/api/parts", params={"q": "CMP-3"}, headers=desk)
    assert [(p["code"], p["unit_en"]) for p in listed.json()["items"]] == [("CMP-3", "unit")]
    long = "x" * 21
    refused = [
        await client.post(
            "/api/parts", json={"code": "P-L", "name": "x", "unit_en": long}, headers=desk
        ),
        await client.patch(f"/api/parts/{part_id}", json={"unit_en": long}, headers=desk),
    ]
    for answer in refused:
        assert answer.status_code == 400, answer.text
        assert "unit_en" in answer.text
        assert "length <= 20" in answer.text
    again = await client.get("/api/parts", params={"q": "CMP-3"}, headers=desk)
    assert again.json()["items"][0]["unit_en"] == "unit"
