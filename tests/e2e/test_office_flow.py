"""The office console (/office/) with the engineer app: a fault from intake to figures, and a
conflict from two phones resolved at the desk and shown on the phones."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from sync.client import SyncClient
from tests.e2e.app import (
    draw_signature,
    log_in,
    mark_work_done,
    offline_phones,
    open_app,
    open_job,
    record,
    sync_now,
)
from tests.e2e.conftest import DEMO_PASSWORD, Office, Server
from tests.e2e.office import choose, console_login, go, open_console


def _user(office: Office, username: str) -> dict[str, Any]:
    users = office.get("/api/users?limit=200")["items"]
    return next(u for u in users if u["username"] == username)


def _live_jobs(page: Any) -> list[str]:
    """Ids named by the `jobs` events that made the board refetch."""
    return str(page.get_attribute("[data-testid=board-updated]", "data-live-jobs") or "").split()


def _month_completed(office: Office, engineer_id: str) -> int:
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))  # Asia/Shanghai
    figures = office.get(f"/api/figures/{month}")
    row = next((e for e in figures["engineers"] if e["engineer_id"] == engineer_id), None)
    return int(row["jobs_completed"]) if row else 0


def test_a_fault_goes_from_intake_through_a_live_board_review_settlement_and_call_to_figures(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    engineer = _user(office, "engineer3")
    completed_before = _month_completed(office, engineer["id"])
    asset = office.get("/api/assets?limit=1")["items"][0]
    customer = office.get(f"/api/customers/{asset['customer_id']}")
    fault = f"控制柜跳闸 console-{time.monotonic_ns()}"

    desk_ctx, desk = open_console(browser, server.base)
    console_login(desk, "dispatcher1")
    # Intake: search the customer, its site and asset (warranty shown), channel, urgency.
    desk.wait_for_url("**/office/intake")
    desk.locator("[data-testid=customer-search]").fill(customer["name"][:6])
    desk.locator(".el-autocomplete-suggestion li", has_text=customer["name"]).first.click()
    desk.wait_for_selector("[data-testid=site-select]")
    # Typing over the picked name lets go of that customer; picking it again takes it back.
    desk.locator("[data-testid=customer-search]").fill("另一家公司")
    desk.wait_for_selector("[data-testid=site-select]", state="detached")
    desk.locator("[data-testid=customer-search]").fill(customer["name"][:6])
    desk.locator(".el-autocomplete-suggestion li", has_text=customer["name"]).first.click()
    site = office.get(f"/api/sites/{asset['site_id']}")
    choose(desk, "site-select", site["name"])
    choose(desk, "asset-select", asset["serial"])
    assert desk.locator("[data-testid=warranty]").inner_text().strip()
    desk.click("[data-testid=channel] >> text=Phone")
    desk.click("[data-testid=urgency] >> text=High")
    desk.locator("[data-testid=fault]").fill(fault)
    desk.click("[data-testid=intake-submit]")
    created = desk.locator("[data-testid=intake-created]")
    created.wait_for()
    number = created.inner_text().split("Registered", 1)[1].split()[0]
    job = office.get(f"/api/jobs?q={number}")["items"][0]
    assert (job["fault_description"], job["channel"], job["urgency"]) == (fault, "phone", "high")
    assert job["asset_id"] == asset["id"]

    # Dispatch from the board; the SLA countdown ticks.
    go(desk, "board")
    desk.wait_for_selector("[data-testid=live-state][data-state=live]", timeout=15_000)
    countdown = desk.locator(f"[data-testid=countdown-{number}]")
    first = countdown.inner_text()
    desk.wait_for_function(
        f"document.querySelector('[data-testid=countdown-{number}]').textContent !== {first!r}"
    )
    desk.click(f"[data-testid=unassigned] [data-testid=assign-{number}]")
    choose(desk, "engineer-select", engineer["display_name"])
    desk.click("[data-testid=assign-confirm]")
    status = desk.locator(f"[data-testid=in-progress] [data-testid=status-{number}]")
    status.wait_for()
    assert status.get_attribute("data-status") == "assigned"
    desk.evaluate("window.__sameBoard = true")

    # The engineer syncs, completes the job offline, and comes back online.
    phone_ctx, phone = open_app(browser, server.base)
    log_in(phone, "engineer3")
    phone.click("text=All jobs")
    phone.wait_for_selector(f"[data-testid=job-{number}]", timeout=30_000)
    phone_ctx.set_offline(True)
    open_job(phone, number)
    phone.click("button:has-text('Accept')")
    phone.click("button:has-text('Arrive')")
    phone.wait_for_selector("[data-testid=job-status]:has-text('On site')")
    record(phone, job["id"], "diagnosis", "接触器触点烧蚀,已更换")
    mark_work_done(phone)
    phone.click("[data-testid=go-review]")
    for pad in ("customer", "engineer"):
        draw_signature(phone, pad)
        phone.click(f"[data-testid=confirm-{pad}]")
        phone.wait_for_selector(f"[data-testid=signed-{pad}]")
    assert status.get_attribute("data-status") == "assigned"  # nothing reached the server yet
    named_before = _live_jobs(desk).count(job["id"])
    sync_now(phone_ctx, phone)

    # The board follows the sync live: same page, no reload, new status.
    desk.wait_for_selector(f"[data-testid=status-{number}][data-status=signed]", timeout=20_000)
    assert desk.evaluate("window.__sameBoard") is True
    # … because a `jobs` event of the stream named the job (not only a reconnection's refetch).
    desk.wait_for_function(
        """([id, n]) => (document.querySelector('[data-testid=board-updated]')
          .dataset.liveJobs || '').split(' ').filter((x) => x === id).length > n""",
        arg=[job["id"], named_before],
        timeout=5_000,
    )

    # The supervisor approves it in the review queue.
    boss = desk_ctx.new_page()
    boss.goto(f"{server.base}/office/")
    console_login(boss, "supervisor1")
    go(boss, "review")
    # A click anywhere on the row opens the job (the number is also a link, for the keyboard).
    boss.click(f"[data-testid=review-queue] tr:has([data-testid=review-{number}]) td:nth-child(2)")
    boss.wait_for_selector("[data-testid=record-diagnosis]:has-text('接触器触点烧蚀')")
    # The equipment's earlier visits, counted in all, each opening its job.
    seen = office.detail(job["id"])
    earlier = boss.locator("[data-testid=earlier-visits]")
    assert f"({seen['earlier_visits_total']})" in earlier.locator(".el-card__header").inner_text()
    assert earlier.locator("a").count() == len(seen["earlier_visits"])
    more = seen["earlier_visits_total"] > len(seen["earlier_visits"])
    assert earlier.locator("[data-testid=earlier-more]").count() == int(more)
    boss.click("[data-testid=approve]")
    boss.wait_for_url("**/office/review")
    assert office.detail(job["id"])["job"]["status"] == "reviewed"

    # Settlement: the supervisor reclassifies the call-out with a reason; the desk sets the
    # labour hours, settles, and downloads the statement; then records the call-back.
    go(boss, "settlement")
    boss.click(f"[data-testid=settle-{number}]")
    callout = boss.locator("[data-testid=billing-callout]")
    billing = callout.get_attribute("data-billing")
    flipped = "chargeable" if billing == "warranty" else "warranty"
    boss.click("[data-testid=reclassify-callout]")
    boss.locator("[data-testid=reclassify-reason]").fill("客户同意承担上门费")
    boss.click("[data-testid=reclassify-confirm]")
    boss.wait_for_selector(f"[data-testid=billing-callout][data-billing={flipped}]")
    go(desk, "settlement")
    desk.click(f"[data-testid=settle-{number}]")
    basis = office.get(f"/api/jobs/{job['id']}/settlement")
    rate, default = Decimal(basis["labour_rate"]), Decimal(basis["labour_hours"])
    # Hours typed, then the field emptied: back to the default hours.
    desk.locator("[data-testid=labour-hours]").fill("7")
    desk.click("[data-testid=labour-save]")
    desk.wait_for_selector(f"[data-testid=amount-labour]:text-is('{rate * 7:.2f}')")
    desk.locator("[data-testid=labour-hours]").fill("")
    desk.click("[data-testid=labour-save]")
    cents = (rate * default).quantize(Decimal("0.01"), ROUND_HALF_UP)
    desk.wait_for_selector(f"[data-testid=amount-labour]:text-is('{cents}')")
    desk.locator("[data-testid=labour-hours]").fill("2.5")
    desk.click("[data-testid=labour-save]")
    desk.wait_for_selector(f"[data-testid=amount-labour]:text-is('{rate * Decimal('2.5'):.2f}')")
    desk.click("[data-testid=settle]")
    # Settling freezes the settlement: the console asks first, naming the job.
    confirm = desk.locator(".el-message-box")
    expect(confirm).to_contain_text(number)
    confirm.locator(".el-message-box__btns .el-button--primary").click()
    desk.wait_for_selector("[data-testid=settlement-status]:has-text('Settled')")
    with desk.expect_download() as statement:
        desk.click("[data-testid=statement-pdf]")
    assert Path(statement.value.path()).read_bytes().startswith(b"%PDF")
    settled = office.get(f"/api/jobs/{job['id']}/settlement")
    assert settled["settled_at"]
    lines = {line["key"]: line for line in settled["lines"]}
    assert (lines["callout"]["billing"], lines["callout"]["reason"]) == (
        flipped,
        "客户同意承担上门费",
    )
    assert lines["labour"]["quantity"] in {"2.5", "2.50", "2.500"}
    go(desk, "followup")
    desk.click(f"[data-testid=record-call-{number}]")
    # Nothing is chosen for the desk: a save without a score or an answer says what is missing.
    desk.click("[data-testid=call-save]")
    expect(desk.locator(".el-message--warning").last).to_contain_text("score")
    desk.locator("[data-testid=call-score] .el-rate__item").nth(3).click()
    desk.click("[data-testid=call-save]")
    expect(desk.locator(".el-message--warning").last).to_contain_text("satisfied")
    desk.click('[data-testid=call-satisfied] >> text="Satisfied"')
    desk.locator("[data-testid=call-remarks]").fill("工程师很专业")
    desk.click("[data-testid=call-save]")
    desk.wait_for_selector(f"[data-testid=call-{number}]", state="detached")
    detail = office.detail(job["id"])
    assert detail["job"]["status"] == "followed_up"
    assert [(s["source"], s["score"], s["remarks"]) for s in detail["satisfaction"]] == [
        ("callback", 4, "工程师很专业")
    ]

    # The month's figures count the job for its engineer.
    go(desk, "figures")
    cell = desk.locator(f"[data-testid=figures-{engineer['id']}-completed]")
    cell.wait_for()
    assert int(cell.inner_text()) == completed_before + 1
    # The quarter's figures (the quarterly appraisal), as the console asks for them.
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))  # Asia/Shanghai
    quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
    with desk.expect_response(lambda r: r.url.endswith(f"/api/figures/{quarter}")) as asked:
        desk.click("[data-testid=figures-kind-quarter]")
    assert asked.value.ok
    in_quarter = office.get(f"/api/figures/{quarter}")
    row = next(e for e in in_quarter["engineers"] if e["engineer_id"] == engineer["id"])
    assert row["jobs_completed"] >= completed_before + 1
    expect(cell).to_have_text(str(row["jobs_completed"]))
    expect(desk.locator("[data-testid=figures-quarter]")).to_be_visible()
    assert desk.page_errors == []
    assert phone.page_errors == []
    phone_ctx.close()
    desk_ctx.close()


def test_the_figures_of_a_period_without_jobs_say_so_instead_of_blank_charts(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    office.new_job("engineer2", "风机盘管漏水")  # this month has a job at least
    context, page = open_console(browser, server.base)
    console_login(page, "quality1")
    go(page, "figures")
    charts = page.locator("[data-testid=figures-charts]")
    expect(charts.locator("canvas")).to_have_count(2)
    expect(page.locator("[data-testid=figures-empty]")).to_have_count(0)
    # A year nobody reported or completed a job in: said, and no chart frames of nothing.
    page.click("[data-testid=figures-kind-year]")
    year = page.locator("[data-testid=figures-year] input")
    with page.expect_response(lambda r: r.url.endswith("/api/figures/2001")) as asked:
        year.fill("2001")
        year.press("Enter")
    assert asked.value.ok
    assert asked.value.json()["total"]["jobs_reported"] == 0
    expect(page.locator("[data-testid=figures-empty]")).to_contain_text("No jobs in this period")
    expect(charts).to_have_count(0)
    expect(page.locator("[data-testid=figures-table]")).to_be_visible()
    # Back to a month with jobs: the charts again.
    page.click("[data-testid=figures-kind-month]")
    expect(charts.locator("canvas")).to_have_count(2)
    expect(page.locator("[data-testid=figures-empty]")).to_have_count(0)
    assert page.page_errors == []
    context.close()


def test_a_conflict_from_two_phones_is_resolved_in_the_console_and_reaches_the_phones(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer4", "水泵异响")
    phones = offline_phones(browser, server.base, "engineer4", job["number"])
    (ctx_a, page_a), (ctx_b, page_b) = phones
    record(page_a, job["id"], "diagnosis", "A: 轴承磨损")
    record(page_b, job["id"], "diagnosis", "B: 叶轮松动")
    sync_now(ctx_a, page_a)
    sync_now(ctx_b, page_b)
    assert len(office.get(f"/api/conflicts?job_id={job['id']}")["items"]) == 1

    desk_ctx, desk = open_console(browser, server.base)
    console_login(desk, "dispatcher1")
    go(desk, "conflicts")
    row = desk.locator(
        ".el-table__row", has=desk.locator(f"[data-testid=conflict-job-{job['number']}]")
    )
    row.wait_for()
    assert row.locator("[data-testid=server-value]").inner_text() == "A: 轴承磨损"
    assert row.locator("[data-testid=client-value]").inner_text() == "B: 叶轮松动"
    row.locator("[data-testid=use-value]").click()
    # The value to enter starts from the device's, so a merge is an edit, not both retyped.
    expect(desk.locator(".el-message-box textarea")).to_have_value("B: 叶轮松动")
    resolved = "轴承磨损,叶轮松动"
    desk.locator(".el-message-box textarea").fill(resolved)
    desk.locator(".el-message-box__btns .el-button--primary").click()
    row.wait_for(state="detached")
    desk.click("#tab-resolved")
    desk.locator("[data-testid=resolved-value]", has_text=resolved).first.wait_for()
    assert office.detail(job["id"])["diagnosis"] == resolved

    # Each phone receives the decision at its next sync.
    for context, page in phones:
        sync_now(context, page)
        page.goto(f"{server.base}/app/jobs/{job['id']}/record")
        box = page.locator("[data-testid=record-diagnosis] textarea")
        page.wait_for_function(
            "(v) => document.querySelector('[data-testid=record-diagnosis] textarea')?.value === v",
            arg=resolved,
            timeout=20_000,
        )
        assert box.input_value() == resolved
        context.close()
    assert desk.page_errors == []
    desk_ctx.close()


def test_the_console_refuses_engineers_and_shows_each_office_role_its_own_menu(
    browser: Any, server: Server
) -> None:
    context, page = open_console(browser, server.base)
    page.fill("input[name=username]", "engineer1")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    assert "/app/" in page.locator("[data-testid=login-error]").inner_text()
    assert page.locator("[data-testid=menu]").count() == 0
    menus = {
        "quality1": [
            "review",
            "conflicts",
            "settlement",
            "van",
            "receipts",
            "complaints",
            "figures",
            "customers",
            "catalogue",
        ],
        "dispatcher1": [
            "intake",
            "board",
            "conflicts",
            "settlement",
            "van",
            "receipts",
            "followup",
            "complaints",
            "figures",
            "customers",
            "catalogue",
        ],
    }
    for username, expected in menus.items():
        page = context.new_page()
        page.goto(f"{server.base}/office/board")
        console_login(page, username)
        shown = page.locator("[data-testid^=menu-]").evaluate_all(
            "(items) => items.map((i) => i.dataset.testid.slice(5))"
        )
        assert shown == expected, username
        # Quality may not open the board (the route needs a desk role): it lands elsewhere.
        assert page.url.endswith("/office/board") == ("board" in expected)
    go(page, "conflicts")  # the dispatcher resolves; quality would see no buttons
    page.wait_for_selector("[data-testid=conflicts]")
    assert page.locator("[data-testid=bulk-server]").count() == 1
    context.close()


def test_a_serious_complaint_is_escalated_at_once_and_resolved_with_its_resolution(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    customer = office.get("/api/customers?limit=1")["items"][0]
    text = f"维修后三天再次漏水 {time.monotonic_ns()}"
    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "complaints")
    page.click("[data-testid=new-complaint]")
    page.locator("[data-testid=complaint-customer]").fill(customer["name"][:6])
    page.locator(".el-autocomplete-suggestion li", has_text=customer["name"]).first.click()
    page.click("[data-testid=complaint-severity] >> text=Serious")
    page.locator("[data-testid=complaint-description]").fill(text)
    page.click("[data-testid=complaint-save]")
    row = page.locator("[data-testid=complaints] .el-table__row", has_text=text)
    row.locator("[data-testid=escalated]").wait_for()
    made = next(
        c for c in office.get("/api/complaints?limit=200")["items"] if c["description"] == text
    )
    row.locator("[data-testid=complaint-edit]").click()
    # A colleague saves the complaint while this form is open: saving the form would undo
    # their change unseen, so it is refused and the list shows theirs.
    office.patch(f"/api/complaints/{made['id']}", {"resolution": "已电话安抚客户"})
    page.click("[data-testid=complaint-status] >> text=Resolved")
    page.locator("[data-testid=complaint-resolution]").fill("更换密封件,客户确认")
    page.click("[data-testid=complaint-update]")
    page.locator(".el-message--error", has_text="A colleague saved this record").wait_for()
    assert office.get(f"/api/complaints/{made['id']}")["resolution"] == "已电话安抚客户"
    row.locator("[data-testid=complaint-edit]").click()
    page.click("[data-testid=complaint-status] >> text=Resolved")
    page.locator("[data-testid=complaint-resolution]").fill("更换密封件,客户确认")
    page.click("[data-testid=complaint-update]")
    row.locator("text=Resolved").wait_for()
    stored = next(
        c for c in office.get("/api/complaints?limit=200")["items"] if c["description"] == text
    )
    assert stored["customer_id"] == customer["id"]
    assert stored["severity"] == "serious"
    assert stored["escalated_at"]
    assert (stored["status"], stored["resolution"]) == ("resolved", "更换密封件,客户确认")
    assert stored["resolved_at"]
    assert page.page_errors == []
    context.close()


def test_a_complaint_still_names_its_owner_after_they_leave(browser: Any, server: Server) -> None:
    login = httpx.post(
        f"{server.base}/api/auth/login",
        json={"username": "admin", "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4())},
    )
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    name = f"离职客服{time.monotonic_ns() % 10000}"
    made = httpx.post(
        f"{server.base}/api/users",
        json={
            "username": f"leaver{time.monotonic_ns()}",
            "display_name": name,
            "password": "a-long-enough-password",
            "role": "dispatcher",
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    owner = made.json()["id"]
    office = Office(server.base)
    customer = office.get("/api/customers?limit=1")["items"][0]
    text = f"投诉负责人已离职 {time.monotonic_ns()}"
    office.post(
        "/api/complaints",
        {
            "customer_id": customer["id"],
            "severity": "minor",
            "description": text,
            "owner_id": owner,
        },
        expect=201,
    )
    left = httpx.patch(f"{server.base}/api/users/{owner}", json={"active": False}, headers=admin)
    assert left.status_code == 200, left.text

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "complaints")
    row = page.locator("[data-testid=complaints] .el-table__row", has_text=text)
    row.locator(f"text={name}").wait_for()  # not "—", as if nobody owned it
    row.locator("[data-testid=complaint-edit]").click()
    page.locator(".el-dialog .el-select", has_text=f"{name} (no longer active)").wait_for()
    # Closing it keeps its owner: only a changed owner must be an active one.
    page.click("[data-testid=complaint-status] >> text=Resolved")
    page.locator("[data-testid=complaint-resolution]").fill("已回访,客户满意")
    page.click("[data-testid=complaint-update]")
    row.locator("text=Resolved").wait_for()
    stored = next(
        c for c in office.get("/api/complaints?limit=200")["items"] if c["description"] == text
    )
    assert (stored["status"], stored["owner_id"]) == ("resolved", owner)
    assert page.page_errors == []
    context.close()


async def _photo_taken_off(base: str, job_id: str) -> None:
    """engineer6 takes two photos on the job and takes one off again (reference client)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        phone = SyncClient(http=http, username="engineer6", password=DEMO_PASSWORD)
        await phone.pull()
        wrong = uuid.uuid4()
        for photo, caption in ((uuid.uuid4(), "铭牌"), (wrong, "拍错了")):
            phone.mutate(
                "photo.add",
                id=photo,
                job_id=job_id,
                blob_sha256=f"{photo.int:064x}"[-64:],
                category="before",
                caption=caption,
            )
        phone.mutate("photo.remove", id=wrong)
        await phone.sync()
        assert phone.failed == [], [f.reason for f in phone.failed]


def test_the_review_shows_a_photo_the_engineer_took_off_apart(browser: Any, server: Server) -> None:
    office = Office(server.base)
    job = office.new_job("engineer6", "冷却塔风机异响")
    # Playwright's sync API holds this thread's event loop: the reference client runs beside it.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _photo_taken_off(server.base, job["id"])).result()
    context, page = open_console(browser, server.base)
    console_login(page, "supervisor1")
    page.goto(f"{server.base}/office/review/{job['id']}")
    removed = page.locator("[data-testid=removed-photos]")
    removed.wait_for()
    assert "(1)" in removed.inner_text()
    assert page.locator(".photos.removed figure", has_text="拍错了").count() == 1
    assert page.locator(".photos:not(.removed) figure", has_text="拍错了").count() == 0
    assert page.page_errors == []
    context.close()
