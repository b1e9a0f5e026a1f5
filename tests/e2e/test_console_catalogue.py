"""The console's parts catalogue and stock screen (/office/catalogue): the desk adds and edits a
part, stocks the warehouse and a van, is told why a write-off is refused; quality only reads.

The demo server is shared with other test files: the parts here are this test's own (a unique
code), and the demo's parts are not changed."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import Office, Server
from tests.e2e.office import choose, console_login, go, open_console


def _part(office: Office, code: str) -> dict[str, Any]:
    found = office.get(f"/api/parts?q={code}&active=null")["items"]
    assert [p["code"] for p in found] == [code], found
    return dict(found[0])


def _held(office: Office, location_id: str, code: str) -> Decimal | None:
    levels = office.get(f"/api/stock/locations/{location_id}/levels")
    return next((Decimal(x["quantity"]) for x in levels if x["code"] == code), None)


def _pick_part(page: Any, select: str, code: str) -> None:
    """Type ``code`` into the remote part select ``select`` and take the part it finds."""
    page.locator(f"[data-testid={select}] input").fill(code)
    page.locator(".el-select-dropdown__item:visible", has_text=code).first.click()


def test_the_desk_adds_edits_and_stocks_a_part_and_quality_only_reads(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    code = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    taken = office.get("/api/parts?limit=1")["items"][0]["code"]  # a demo part's code
    locations = office.get("/api/stock/locations")
    warehouse = next(x for x in locations if x["kind"] == "warehouse")
    users = {u["username"]: u for u in office.get("/api/users?limit=200")["items"]}
    engineer = users["engineer2"]
    van = next(x for x in locations if x["engineer_id"] == engineer["id"])
    van_label = f"{engineer['display_name']}'s van"

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "catalogue")
    page.wait_for_selector("[data-testid=parts] .el-table__row")

    # A new part; first with a code another part has: the server's refusal is shown.
    page.click("[data-testid=new-part]")
    page.fill("[data-testid=part-code]", taken)
    page.fill("[data-testid=part-name]", "测试压缩机 5匹")
    page.fill("[data-testid=part-name-en]", "Test compressor 5 HP")
    page.fill("[data-testid=part-unit]", "台")
    page.fill("[data-testid=part-unit-en]", "set")
    page.fill("[data-testid=part-price]", "12.345")
    page.click("[data-testid=part-save]")
    # A third decimal is caught at the desk, before anything is sent.
    page.locator("[data-testid=part-dialog] .el-form-item__error", has_text="At most 2").wait_for()
    page.fill("[data-testid=part-price]", "1234.5")
    page.click("[data-testid=part-save]")
    refused = page.locator("[data-testid=part-refused]")
    refused.wait_for()
    assert "Another part already has this code" in refused.inner_text()
    assert "a record with the same unique value already exists" in refused.inner_text()
    page.fill("[data-testid=part-code]", code)
    page.click("[data-testid=part-save]")
    row = page.locator("[data-testid=parts] .el-table__row", has_text=code)
    row.wait_for()
    assert "Test compressor 5 HP" in row.inner_text()
    made = _part(office, code)
    assert {k: made[k] for k in ("name", "name_en", "unit", "unit_en", "price", "active")} == {
        "name": "测试压缩机 5匹",
        "name_en": "Test compressor 5 HP",
        "unit": "台",
        "unit_en": "set",
        "price": "1234.50",
        "active": True,
    }

    # An edit sends only what it changed: a colleague's English name saved meanwhile stays.
    row.locator("[data-testid=part-edit]").click()
    office.patch(f"/api/parts/{made['id']}", {"name_en": "Scroll compressor 5 HP"})
    page.fill("[data-testid=part-unit-en]", "unit")
    page.click("[data-testid=part-save]")
    page.locator("[data-testid=part-dialog]").wait_for(state="hidden")
    edited = _part(office, code)
    assert (edited["unit_en"], edited["name_en"]) == ("unit", "Scroll compressor 5 HP")
    assert edited["version"] == made["version"] + 2

    # Stock: receive 10 into the warehouse, move 4 of them to engineer2's van.
    page.click("#tab-stock")
    choose(page, "stock-location", warehouse["name"])
    page.click("[data-testid=stock-receive]")
    _pick_part(page, "move-part", code)
    page.fill("[data-testid=move-quantity]", "10")
    page.fill("[data-testid=move-reason]", "送货单 SD-0001")
    page.click("[data-testid=move-save]")
    level = page.locator("[data-testid=stock-levels] .el-table__row", has_text=code)
    level.locator("text=10 unit").wait_for()
    level.locator("[data-testid=level-move]").click()
    assert "holds 10 unit" in page.locator("[data-testid=move-held]").inner_text()
    choose(page, "move-to", van_label)
    page.fill("[data-testid=move-quantity]", "4")
    page.fill("[data-testid=move-reason]", "车辆补货")
    page.click("[data-testid=move-save]")
    level.locator("text=6 unit").wait_for()  # the levels shown follow the move
    assert _held(office, warehouse["id"], code) == Decimal(6)
    assert _held(office, van["id"], code) == Decimal(4)

    # Writing off more than the van holds: refused, with the server's reason; nothing moves.
    choose(page, "stock-location", van_label)
    van_level = page.locator("[data-testid=stock-levels] .el-table__row", has_text=code)
    van_level.locator("text=4 unit").wait_for()
    van_level.locator("[data-testid=level-write-off]").click()
    page.fill("[data-testid=move-quantity]", "7")
    page.fill("[data-testid=move-reason]", "运输途中损坏")
    page.click("[data-testid=move-save]")
    refused = page.locator("[data-testid=move-refused]")
    refused.wait_for()
    assert "Not enough stock: the location holds 4." in refused.inner_text()
    assert "not enough stock: the location holds 4" in refused.inner_text()
    page.click("[data-testid=move-dialog] button:has-text('Cancel')")
    assert _held(office, van["id"], code) == Decimal(4)

    # The van's movements of the part: the one move, who made it, from where.
    van_level.locator("[data-testid=level-history]").click()
    moves = page.locator("[data-testid=movements] .el-table__row")
    moves.first.locator("text=车辆补货").wait_for()
    assert moves.count() == 1
    text = moves.first.inner_text()
    for shown in (
        "Moved",
        code,
        "4 unit",
        warehouse["name"],
        van_label,
        users["dispatcher1"]["display_name"],
    ):
        assert shown in text, (shown, text)

    # Deactivated: marked in the list, and so in the API.
    page.click("#tab-parts")
    row.locator("[data-testid=part-edit]").click()
    page.click("[data-testid=part-active]")
    page.click("[data-testid=part-save]")
    row.locator("[data-testid=part-inactive]").wait_for()
    assert _part(office, code)["active"] is False
    assert page.page_errors == []
    context.close()

    # Quality reads the catalogue, the stock and the movements, and changes nothing.
    context, page = open_console(browser, server.base)
    console_login(page, "quality1")
    go(page, "catalogue")
    page.fill("[data-testid=part-search]", code)
    page.press("[data-testid=part-search]", "Enter")
    row = page.locator("[data-testid=parts] .el-table__row", has_text=code)
    row.locator("[data-testid=part-inactive]").wait_for()
    assert page.locator("[data-testid=new-part]").count() == 0
    assert page.locator("[data-testid=part-edit]").count() == 0
    page.click("#tab-stock")
    choose(page, "stock-location", warehouse["name"])
    page.locator("[data-testid=stock-levels] .el-table__row", has_text=code).wait_for()
    assert page.locator("[data-testid=stock-receive]").count() == 0
    assert page.locator("[data-testid=level-move]").count() == 0
    assert page.locator("[data-testid=level-write-off]").count() == 0
    assert page.locator("[data-testid=level-history]").count() > 0
    assert page.page_errors == []
    context.close()
