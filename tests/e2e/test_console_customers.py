"""The console's customers and equipment screen (客户与设备): a customer, its site and equipment
made and corrected at the desk, equipment found by its serial, and quality reading only.

The demo server is shared with other test files: every record here is made by the test, under
a name of its own, and no demo customer is changed."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.conftest import Office, Server
from tests.e2e.office import DEPARTMENT_ZONE, console_login, go, open_console


def _accepted_a_year_ago() -> tuple[date, date]:
    """An acceptance date about a year back and the warranty's last day the server must work
    out from it: two years on, less a day (the 15th, so no month end clamps it)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(DEPARTMENT_ZONE)).date()
    accepted = (today - timedelta(days=400)).replace(day=15)
    return accepted, date(accepted.year + 2, accepted.month, 15) - timedelta(days=1)


def _only(office: Office, path: str) -> Any:
    items = office.get(path)["items"]
    assert len(items) == 1, items
    return items[0]


def _fill_date(page: Any, field: str, value: date) -> None:
    box = page.locator(f"[data-testid={field}] input")
    box.click()
    box.fill(value.isoformat())
    box.press("Enter")


def test_the_desk_makes_a_customer_with_a_site_and_equipment_corrects_them_and_finds_them(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    tag = uuid.uuid4().hex[:8]
    name, serial, fixed_serial = f"客户屏测试 {tag}", f"SN-{tag}", f"SN-{tag}-X"
    accepted, last_day = _accepted_a_year_ago()
    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "customers")

    # A new customer with a contact.
    page.click("[data-testid=new-customer]")
    page.locator("[data-testid=customer-name]").fill(name)
    page.locator("[data-testid=customer-phone-input]").fill("021-5550-0001")
    page.click("[data-testid=add-contact]")
    page.locator("[data-testid=contact-name]").fill("刘工")
    page.locator("[data-testid=contact-phone]").fill("13800000001")
    page.click("[data-testid=customer-save]")
    page.locator("[data-testid=customer-title]", has_text=name).wait_for()
    customer = _only(office, f"/api/customers?q={tag}")
    # The customer's page is its address: a reload (or a bookmark) shows it again.
    page.reload()
    page.locator("[data-testid=customer-title]", has_text=name).wait_for()
    assert page.page_errors == []
    assert (customer["name"], customer["phone"]) == (name, "021-5550-0001")
    assert [(c["name"], c["phone"]) for c in customer["contacts"]] == [("刘工", "13800000001")]
    assert customer["code"]

    # Its site, then equipment there with an acceptance date: the server works out the end.
    page.click("[data-testid=new-site]")
    page.locator("[data-testid=site-name]").fill("一号泵房")
    page.locator("[data-testid=site-address]").fill("上海市闵行区测试路 1 号")
    page.click("[data-testid=site-save]")
    page.locator("[data-testid=sites] .el-table__row", has_text="一号泵房").wait_for()
    site = _only(office, f"/api/sites?customer_id={customer['id']}")
    assert (site["name"], site["address"]) == ("一号泵房", "上海市闵行区测试路 1 号")

    page.click("[data-testid=new-asset]")
    page.locator("[data-testid=asset-model]").fill("CH-500")
    page.locator("[data-testid=asset-serial]").fill(serial)
    page.locator("[data-testid=asset-name]").fill("冷水机组")
    _fill_date(page, "asset-accepted", accepted)
    assert "works out the last day" in page.locator("[data-testid=warranty-rule]").inner_text()
    page.click("[data-testid=asset-save]")
    row = page.locator("[data-testid=assets] .el-table__row", has_text=serial)
    row.wait_for()
    asset = _only(office, f"/api/assets?customer_id={customer['id']}")
    assert (asset["serial"], asset["site_id"], asset["acceptance_date"]) == (
        serial,
        site["id"],
        accepted.isoformat(),
    )
    assert (asset["warranty_end"], asset["warranty_status"]) == (
        last_day.isoformat(),
        "in_warranty",
    )
    assert asset["warranty_end_given"] is False
    warranty = row.locator("[data-testid=asset-warranty]").inner_text()
    assert warranty == f"In warranty until {last_day.isoformat()}", warranty
    source = row.locator("[data-testid=asset-warranty-source]").inner_text()
    assert "worked out by the server from the acceptance date (24 months)" in source

    # The customer's phone corrected: only the phone is sent, and the API has it.
    page.click("[data-testid=customer-edit]")
    page.locator("[data-testid=customer-phone-input]").fill("021-5550-0002")
    with page.expect_request(
        lambda r: r.method == "PATCH" and r.url.endswith(f"/api/customers/{customer['id']}")
    ) as sent:
        page.click("[data-testid=customer-save]")
    assert sent.value.post_data_json == {"phone": "021-5550-0002", "version": customer["version"]}
    page.locator("[data-testid=customer-phone]", has_text="021-5550-0002").wait_for()
    changed = office.get(f"/api/customers/{customer['id']}")
    assert changed["phone"] == "021-5550-0002"
    assert changed["version"] == customer["version"] + 1
    assert [(c["name"], c["phone"]) for c in changed["contacts"]] == [("刘工", "13800000001")]

    # A colleague renames the equipment while this desk corrects its serial: the save is
    # refused with a message and the list shows their change, which is not undone.
    row.locator("[data-testid=asset-edit]").click()
    office.patch(f"/api/assets/{asset['id']}", {"name": "一号冷水机组"})
    page.locator("[data-testid=asset-serial]").fill(fixed_serial)
    page.click("[data-testid=asset-save]")
    page.locator(".el-message--error", has_text="A colleague changed this record").wait_for()
    page.locator("[data-testid=assets] .el-table__row", has_text="一号冷水机组").wait_for()
    kept = office.get(f"/api/assets/{asset['id']}")
    assert (kept["serial"], kept["name"]) == (serial, "一号冷水机组")
    row.locator("[data-testid=asset-edit]").click()
    page.locator("[data-testid=asset-serial]").fill(fixed_serial)
    page.click("[data-testid=asset-save]")
    page.locator("[data-testid=assets] .el-table__row", has_text=fixed_serial).wait_for()
    fixed = office.get(f"/api/assets/{asset['id']}")
    assert (fixed["serial"], fixed["name"]) == (fixed_serial, "一号冷水机组")
    assert fixed["warranty_end"] == last_day.isoformat()

    # A job on it shows in its service history, linked to the job's page.
    job = office.post(
        "/api/jobs",
        {
            "customer_id": customer["id"],
            "site_id": site["id"],
            "asset_id": asset["id"],
            "channel": "phone",
            "fault_description": f"不制冷 {tag}",
        },
        expect=201,
    )["job"]
    page.locator("[data-testid=assets] .el-table__row", has_text=fixed_serial).locator(
        "[data-testid=asset-history]"
    ).click()
    history = page.locator("[data-testid=asset-jobs] .el-table__row", has_text=job["number"])
    history.wait_for()
    assert f"不制冷 {tag}" in history.inner_text()
    assert history.locator("a").get_attribute("href") == f"/office/review/{job['id']}"
    page.keyboard.press("Escape")

    # Another page of a search is a page of the term searched, not of one typed since.
    page.click("[data-testid=customers-back]")
    page.get_by_role("tab", name="Find equipment").click()
    assert office.get("/api/assets?q=CH&limit=1")["total"] > 20  # the demo's chillers: pages
    box = page.locator("[data-testid=asset-q]")
    box.fill("CH")
    box.press("Enter")
    page.locator("[data-testid=asset-results] .el-table__row").first.wait_for()
    box.fill(fixed_serial)  # typed, not searched yet
    pager = page.locator("[data-testid=asset-pages]")
    with page.expect_request(lambda r: "/api/assets?q=" in r.url) as turned:
        # A DOM click on the page number: the table above may still be laying out its rows, and
        # a mouse click at the number's place would land on a row that moved there (seen in CI).
        pager.locator(".el-pager li").filter(has_text=re.compile(r"^\s*2\s*$")).dispatch_event(
            "click"
        )
    assert "/api/assets?q=CH&offset=20&" in turned.value.url, turned.value.url
    pager.locator(".el-pager li.is-active").filter(has_text=re.compile(r"^\s*2\s*$")).wait_for()

    # The desk has only the nameplate's serial: the search finds the equipment and its customer
    # (a new term from its first page).
    with page.expect_request(lambda r: "/api/assets?q=" in r.url) as searched:
        box.press("Enter")
    assert f"/api/assets?q={fixed_serial}&offset=0&" in searched.value.url, searched.value.url
    pager.locator(".el-pagination__total", has_text=re.compile(r"^\s*Total 1\s*$")).wait_for()
    found = page.locator("[data-testid=asset-results] .el-table__row", has_text=fixed_serial)
    found.wait_for()
    assert page.locator("[data-testid=asset-results] .el-table__row").count() == 1
    found.locator(f"text={name}").wait_for()
    found.locator("[data-testid=asset-customer]").click()
    page.locator("[data-testid=customer-title]", has_text=name).wait_for()
    assert f"customer={customer['id']}" in page.url
    page.locator("[data-testid=assets] .current-row", has_text=fixed_serial).wait_for()

    # The dispatcher reads the job's page, with its number and status.
    page.goto(f"{server.base}/office/review/{job['id']}")
    page.locator("[data-testid=review-job]", has_text=job["number"]).wait_for()
    assert page.locator("[data-testid=review-status]").inner_text() == "Reported"
    # On a signed job, waiting for review, the approve button is the supervisor's alone.
    signed = office.get("/api/jobs?status=signed&limit=1")["items"]
    assert signed, "the demo has signed jobs waiting for review"
    page.goto(f"{server.base}/office/review/{signed[0]['id']}")
    page.locator("[data-testid=review-job]", has_text=signed[0]["number"]).wait_for()
    assert page.locator("[data-testid=review-status]").inner_text() == "Signed"
    assert page.locator("[data-testid=approve]").count() == 0
    boss_context, boss = open_console(browser, server.base)
    console_login(boss, "supervisor1")
    boss.goto(f"{server.base}/office/review/{signed[0]['id']}")
    boss.locator("[data-testid=approve]").wait_for()
    boss_context.close()
    assert page.page_errors == []
    context.close()


def test_quality_reads_customers_and_equipment_but_changes_nothing(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    tag = uuid.uuid4().hex[:8]
    name, serial = f"质量只读 {tag}", f"QR-{tag}"
    customer = office.post("/api/customers", {"name": name, "phone": "021-5551-0000"}, expect=201)
    site = office.post(
        "/api/sites", {"customer_id": customer["id"], "name": "二号机房"}, expect=201
    )
    accepted, last_day = _accepted_a_year_ago()
    asset = office.post(
        "/api/assets",
        {
            "site_id": site["id"],
            "model": "AH-20",
            "serial": serial,
            "acceptance_date": accepted.isoformat(),
        },
        expect=201,
    )
    job = office.post(
        "/api/jobs",
        {
            "customer_id": customer["id"],
            "asset_id": asset["id"],
            "channel": "phone",
            "fault_description": f"异响 {tag}",
        },
        expect=201,
    )["job"]

    context, page = open_console(browser, server.base)
    console_login(page, "quality1")
    go(page, "customers")
    read_only = page.locator("[data-testid=customers-read-only]")
    assert "Dispatchers and supervisors make the changes." in read_only.inner_text()
    page.locator("[data-testid=customer-q]").fill(tag)
    page.locator("[data-testid=customers] .el-table__row", has_text=name).locator(
        "[data-testid=customer-open]"
    ).click()
    page.locator("[data-testid=customer-title]", has_text=name).wait_for()
    row = page.locator("[data-testid=assets] .el-table__row", has_text=serial)
    row.wait_for()
    assert row.locator("[data-testid=asset-warranty]").inner_text() == (
        f"In warranty until {last_day.isoformat()}"
    )
    page.locator("[data-testid=sites] .el-table__row", has_text="二号机房").wait_for()
    for button in (
        "customer-edit",
        "new-site",
        "site-edit",
        "new-asset",
        "asset-edit",
    ):
        assert page.locator(f"[data-testid={button}]").count() == 0, button
    page.click("[data-testid=customers-back]")
    page.locator("[data-testid=customers] .el-table__row", has_text=name).wait_for()
    assert page.locator("[data-testid=new-customer]").count() == 0
    assert page.locator("[data-testid=customers] .el-table__row", has_text=name).count() == 1

    # The equipment's service history opens the job's review page.
    page.locator("[data-testid=customers] .el-table__row", has_text=name).locator(
        "[data-testid=customer-open]"
    ).click()
    page.locator("[data-testid=assets] .el-table__row", has_text=serial).locator(
        "[data-testid=asset-history]"
    ).click()
    page.locator("[data-testid=asset-jobs] a", has_text=job["number"]).click()
    page.wait_for_url(f"**/office/review/{job['id']}")
    page.locator("[data-testid=review-job]", has_text=job["number"]).wait_for()
    assert page.page_errors == []
    context.close()
