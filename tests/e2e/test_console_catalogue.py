"""The console's parts catalogue and stock screen (/office/catalogue): the desk adds and edits a
part, stocks the warehouse and a van, is told why a write-off is refused, adds and renames a
warehouse; searches and pages keep to what was asked; quality only reads.

The demo server is shared with other test files: the parts and warehouses here are this test's
own (a unique code or name), and the demo's parts and locations are not changed."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

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
    """Type ``code`` (one part's) into the remote part select ``select`` and take the part.

    The list opens with every part (the E2E parts sort first, so ours may be among them) and
    is replaced by the search's answer: clicking before that lands where the part *was*, on
    another row or on none. So the click waits for the answer, the one part, and the choice
    is checked."""
    page.locator(f"[data-testid={select}] input").fill(code)
    options = page.locator(".el-select-dropdown__item:visible")
    expect(options).to_have_count(1)
    options.filter(has_text=code).click()
    expect(page.locator(f"[data-testid={select}]")).to_contain_text(code)


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

    # A colleague saves the part while the form is open: the edit is refused, not laid over
    # theirs; the list shows their version, and the edit made again on it is saved.
    row.locator("[data-testid=part-edit]").click()
    office.patch(f"/api/parts/{made['id']}", {"name_en": "Scroll compressor 5 HP"})
    page.fill("[data-testid=part-unit-en]", "unit")
    page.click("[data-testid=part-save]")
    page.locator(".el-message--error", has_text="A colleague changed this part").wait_for()
    page.locator("[data-testid=part-dialog]").wait_for(state="hidden")
    row.locator("text=Scroll compressor 5 HP").wait_for()
    refused_edit = _part(office, code)
    assert (refused_edit["unit_en"], refused_edit["version"]) == ("set", made["version"] + 1)
    row.locator("[data-testid=part-edit]").click()
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
    # Parts received go into a place: the form says so, not "to" as for a move.
    labels = page.locator("[data-testid=move-dialog] .el-form-item__label")
    expect(labels.filter(has_text="Into")).to_have_count(1)
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

    # The van's movements of the part: the one move, who made it, from where. The tab still holds
    # every movement until the filtered list arrives: wait for that answer, then for its one row.
    moves = page.locator("[data-testid=movements] .el-table__row")
    with page.expect_response(
        lambda r: "/api/stock/movements?" in r.url and f"part_id={made['id']}" in r.url
    ):
        van_level.locator("[data-testid=level-history]").click()
    expect(moves).to_have_count(1)
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
    assert page.locator("[data-testid=new-warehouse]").count() == 0
    assert page.locator("[data-testid=location-rename]").count() == 0
    assert page.page_errors == []
    context.close()


def _warehouses(office: Office) -> dict[str, str]:
    """Each warehouse's name by id, as the API has it."""
    return {
        x["id"]: x["name"] for x in office.get("/api/stock/locations") if x["kind"] == "warehouse"
    }


def test_the_desk_adds_a_warehouse_where_there_is_none_and_renames_it(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    suffix = uuid.uuid4().hex[:8]
    # Listed after the demo's 中心仓库 (by the API, which sorts by name): "the warehouse" other
    # tests take from the list stays the demo's.
    name, renamed = f"测试仓库 E2E {suffix}", f"测试东区仓库 E2E {suffix}"
    demo_warehouse = next(iter(_warehouses(office).values()))

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")

    # A fresh installation, as the screen sees it: no location at all (the demo has some, so the
    # list is answered empty). The tab says so and points to the button, rather than an empty
    # select.
    def no_locations(route: Any) -> None:
        if route.request.method == "GET":
            route.fulfill(json=[])
        else:
            route.continue_()

    page.route("**/api/stock/locations", no_locations)
    go(page, "catalogue")
    page.click("#tab-stock")
    empty = page.locator("[data-testid=no-locations]")
    empty.wait_for()
    assert "There is no warehouse or van yet" in empty.inner_text()
    assert "New warehouse" in empty.inner_text()
    assert page.locator("[data-testid=stock-location]").count() == 0
    page.unroute("**/api/stock/locations")

    # A name is needed; then the new warehouse is made, listed and chosen, to receive into.
    page.click("[data-testid=new-warehouse]")
    page.click("[data-testid=location-save]")
    dialog = page.locator("[data-testid=location-dialog]")
    dialog.locator(".el-form-item__error", has_text="Required").wait_for()
    page.fill("[data-testid=location-name]", f"  {name} ")
    page.click("[data-testid=location-save]")
    page.locator("[data-testid=location-dialog]").wait_for(state="hidden")
    expect(page.locator("[data-testid=stock-location]")).to_contain_text(name)
    made = [i for i, n in _warehouses(office).items() if n == name]
    assert len(made) == 1, _warehouses(office)
    assert page.locator("[data-testid=no-locations]").count() == 0

    # Renamed to a name another location has: refused, with the server's reason; nothing changes.
    page.click("[data-testid=location-rename]")
    assert page.locator("[data-testid=location-name]").input_value() == name
    page.fill("[data-testid=location-name]", demo_warehouse)
    page.click("[data-testid=location-save]")
    refused = page.locator("[data-testid=location-refused]")
    refused.wait_for()
    assert f"Another location is already named “{demo_warehouse}”." in refused.inner_text()
    assert f"a stock location is already named '{demo_warehouse}'" in refused.inner_text()
    assert _warehouses(office)[made[0]] == name

    # Renamed to a free name: saved, and the select shows it.
    page.fill("[data-testid=location-name]", renamed)
    page.keyboard.press("Enter")
    page.locator("[data-testid=location-dialog]").wait_for(state="hidden")
    expect(page.locator("[data-testid=stock-location]")).to_contain_text(renamed)
    assert _warehouses(office)[made[0]] == renamed
    assert demo_warehouse in _warehouses(office).values()  # the demo's, untouched
    assert page.page_errors == []
    context.close()


def test_part_searches_and_pages_keep_to_what_was_asked(browser: Any, server: Server) -> None:
    office = Office(server.base)
    code = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    office.post(
        "/api/parts",
        {"code": code, "name": "测试滤芯", "name_en": "Test filter", "unit": "个", "price": "5"},
        expect=201,
    )
    taken = office.get("/api/parts?q=P-&limit=1")["items"][0]["code"]  # a demo part's code
    assert taken.startswith("P-")
    total = office.get("/api/parts?limit=1&active=null")["total"]
    assert total > 100  # three pages of 50 at least

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "catalogue")
    page.wait_for_selector("[data-testid=parts] .el-table__row")

    # Text typed but not searched for: page 3 is page 3 of the list shown, not of that text.
    page.fill("[data-testid=part-search]", code)
    pager = page.locator("[data-testid=parts-pages]")
    with page.expect_response(lambda r: "/api/parts?" in r.url and "offset=100" in r.url) as third:
        # A DOM click: a mouse click at the number could land on a table row still laying out.
        pager.locator(".el-pager li", has_text="3").dispatch_event("click")
    assert "q=" not in third.value.url
    expect(pager.locator(".el-pager li.is-active")).to_have_text("3")
    expect(pager.locator(".el-pagination__total")).to_contain_text(str(total))
    # Searched for (Enter): from page 1, the part alone.
    with page.expect_response(lambda r: "/api/parts?" in r.url and f"q={code}" in r.url) as asked:
        page.press("[data-testid=part-search]", "Enter")
    assert "offset=0" in asked.value.url
    expect(page.locator("[data-testid=parts] .el-table__row")).to_have_count(1)
    expect(page.locator("[data-testid=parts] .el-table__row")).to_contain_text(code)

    # The part select of a movement: a search answered late (the demo part) does not replace
    # the later one's answer (this test's part).
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if f"q={taken}" in route.request.url and not held:
            held.append(route)  # answered below, after the later search
        else:
            route.continue_()

    page.route("**/api/parts?*", hold_the_first)
    page.click("#tab-stock")
    expect(page.locator("[data-testid=stock-receive]")).to_be_enabled()  # a location is chosen
    page.click("[data-testid=stock-receive]")
    part_input = page.locator("[data-testid=move-part] input")
    with page.expect_request(lambda r: f"q={taken}" in r.url):
        part_input.fill(taken)
    for _ in range(50):  # the request seen, its route handler may still be on its way
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first search was not held"
    with page.expect_response(lambda r: f"q={code}" in r.url):
        part_input.fill(code)
    mine = page.locator(".el-select-dropdown__item:visible", has_text=code)
    mine.wait_for()
    with page.expect_response(lambda r: f"q={taken}" in r.url) as late:
        held[0].continue_()
    late.value.finished()
    page.wait_for_timeout(500)  # time for the late answer to land, were it taken
    assert mine.count() == 1
    assert page.locator(".el-select-dropdown__item:visible", has_text=taken).count() == 0
    page.unroute("**/api/parts?*")

    # A failed search says why, rather than "no data".
    page.route(
        "**/api/parts?*q=NOPE*",
        lambda route: route.fulfill(status=503, json={"detail": "the database is busy"}),
    )
    part_input.fill("NOPE")
    page.locator(".el-message--error", has_text="the database is busy").wait_for()
    assert page.page_errors == []
    context.close()
