"""Items taken back for repair at the desk (客户产品返修收据): the engineer's receipt logged
into the workshop and back to the customer on the Repairs screen, with its in/out log and the
register (客户产品进出登记) of a month, a quarter and a year, and the same receipts on the job's
page, in both languages."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from sync.client import SyncClient
from tests.e2e.conftest import DEMO_PASSWORD, Office, Server
from tests.e2e.office import console_login, go, open_console

WORDS = {
    "en-US": {
        "taken": "Taken from site",
        "in_workshop": "In the workshop",
        "returned": "Returned",
        "overdue": "Overdue",
        "moved_in": "is in the workshop",
        "moved_out": "is back with the customer",
        "lines": ["Taken from site", "In: to the workshop", "Out: to the customer"],
        "undo": "Move taken back",
        "none_match": "No receipts match these filters.",
        "section": "Repair receipts",
        "reason_needed": "Say why the move is taken back.",
        "too_early": "That time is before {time}, the item’s last move",
    },
    "zh-CN": {
        "taken": "已从现场带回",
        "in_workshop": "在维修车间",
        "returned": "已交还客户",
        "overdue": "已逾期",
        "moved_in": "已收入维修车间",
        "moved_out": "已交还客户",
        "lines": ["从现场带回", "进：收入车间", "出：交还客户"],
        "undo": "撤销上一步",
        "none_match": "没有符合条件的返修收据。",
        "section": "返修收据",
        "reason_needed": "请说明撤销原因。",
        "too_early": "该时间早于物品上一次移动的时间（{time}）",
    },
}


async def _receipt_taken(base: str, job_id: str, item: str) -> None:
    """engineer6 takes ``item`` back for repair, promised back by yesterday (reference client)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        phone = SyncClient(http=http, username="engineer6", password=DEMO_PASSWORD)
        await phone.pull()
        phone.mutate(
            "receipt.add",
            id=uuid.uuid4(),
            job_id=job_id,
            item_description=item,
            serial="CB-7731",
            fault="上电无显示",
            accessories="电源线1根",
            promised_at=datetime.now(UTC) - timedelta(days=1),
        )
        await phone.sync()
        assert phone.failed == [], [f.reason for f in phone.failed]


def _desk_time(iso: str, locale: str) -> str:
    """An instant as the console shows it: the department's wall clock (Asia/Shanghai)."""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
    return at.strftime("%d/%m/%Y, %H:%M" if locale == "en-US" else "%Y/%m/%d %H:%M")


def _unfold(row: Any, log: Any) -> None:
    """Open the row's fold (its log) unless it is open already."""
    if not log.is_visible():
        row.locator(".el-table__expand-icon").click()


def _display_name(office: Office, username: str) -> str:
    users = office.get("/api/users?limit=200")["items"]
    return str(next(u["display_name"] for u in users if u["username"] == username))


def _register_rows(content: bytes, number: str) -> list[str]:
    """The in/out column of the register's lines of receipt ``number``."""
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    receipt, direction = header.index("Receipt 收据号"), header.index("In/out 进出")
    return [
        str(row[direction])
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[receipt] == number
    ]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_desk_logs_an_item_taken_back_into_the_workshop_and_back_to_the_customer(
    browser: Any, server: Server, locale: str
) -> None:
    words = WORDS[locale]
    office = Office(server.base)
    tag = uuid.uuid4().hex[:8]
    item = f"控制主板 {tag}"
    job = office.new_job("engineer6", "机组不开机")
    # Playwright's sync API holds this thread's event loop: the reference client runs beside it.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _receipt_taken(server.base, job["id"], item)).result()
    [made] = office.get(f"/api/receipts?job_id={job['id']}")["items"]
    number = made["number"]
    moves = f"/api/receipts/{made['id']}/moves"
    desk_name = _display_name(office, "dispatcher1")

    context, page = open_console(browser, server.base, locale=locale)
    console_login(page, "dispatcher1")
    go(page, "receipts")
    page.locator("[data-testid=receipts-search]").fill(tag)
    table = page.locator("[data-testid=receipts]")
    row = table.locator(".el-table__row", has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(item)
    expect(row.locator(f"[data-testid=receipt-job-{number}]")).to_have_text(job["number"])
    expect(page.locator(f"[data-testid=receipt-status-{number}]")).to_have_text(words["taken"])
    # Promised back by yesterday and not back: it stands out.
    expect(page.locator(f"[data-testid=receipt-overdue-{number}]")).to_have_text(words["overdue"])
    # Nothing to take back yet: the server says so (undo_to), and no undo is offered.
    assert made["undo_to"] is None
    expect(page.locator(f"[data-testid=receipt-undo-{number}]")).to_have_count(0)

    # Into the workshop, with a note.
    page.click(f"[data-testid=receipt-in-{number}]")
    page.locator("[data-testid=receipt-move-note]").fill("入库检测")
    with page.expect_response(lambda r: r.url.endswith(moves)) as sent:
        page.click("[data-testid=receipt-move-save]")
    assert sent.value.status == 200, sent.value.text()
    # The time left as shown is the server's "now"; the version is the one the list showed.
    assert sent.value.request.post_data_json == {
        "to": "in_workshop",
        "note": "入库检测",
        "at": None,
        "version": made["version"],
    }
    expect(page.locator(".el-message--success", has_text=words["moved_in"])).to_be_visible()
    expect(page.locator(f"[data-testid=receipt-status-{number}]")).to_have_text(
        words["in_workshop"]
    )
    expect(page.locator(f"[data-testid=receipt-in-{number}]")).to_have_count(0)

    # The log, in the row's fold: taken by the engineer, in by the desk with its note.
    log = page.locator(f"[data-testid=receipt-log-{number}]")
    _unfold(row, log)
    expect(log.locator("[data-testid=receipt-line]")).to_have_text(words["lines"][:2])
    expect(log.locator(".el-table__row").nth(1)).to_contain_text(desk_name)
    expect(log.locator(".el-table__row").nth(1)).to_contain_text("入库检测")

    # The move may be taken back now, to where the server says.
    inside = office.get(f"/api/receipts/{made['id']}")
    assert inside["undo_to"] == "taken"
    expect(page.locator(f"[data-testid=receipt-undo-{number}]")).to_be_visible()

    # Back to the customer: a time before the item's last move (the server's earliest time a
    # move may name, its coming in) is refused on the spot, naming that time.
    page.click(f"[data-testid=receipt-out-{number}]")
    picker = page.locator("[data-testid=receipt-move-at] input")
    picker.fill("2001-01-01 09:00:00")
    picker.press("Enter")
    page.click("[data-testid=receipt-move-save]")
    too_early = words["too_early"].format(time=_desk_time(inside["earliest_move_at"], locale))
    expect(page.locator(".el-message--error").last).to_contain_text(too_early)
    assert office.get(f"/api/receipts/{made['id']}")["status"] == "in_workshop"
    page.locator(".el-dialog:visible .el-dialog__footer button").first.click()  # cancel
    page.click(f"[data-testid=receipt-out-{number}]")
    with page.expect_response(lambda r: r.url.endswith(moves)) as sent:
        page.click("[data-testid=receipt-move-save]")
    assert sent.value.status == 200, sent.value.text()
    expect(page.locator(".el-message--success", has_text=words["moved_out"])).to_be_visible()
    # Returned, it leaves the list of items not yet returned...
    expect(row).to_have_count(0)
    expect(table).to_contain_text(words["none_match"])
    # ...and shows among the returned ones, no longer overdue, its log complete.
    page.click("[data-testid=receipts-status]")
    page.click("[data-testid=receipts-status-returned]")
    expect(row).to_have_count(1)
    expect(page.locator(f"[data-testid=receipt-status-{number}]")).to_have_text(words["returned"])
    expect(page.locator(f"[data-testid=receipt-overdue-{number}]")).to_have_count(0)
    expect(page.locator(f"[data-testid=receipt-promise-{number}]")).to_have_count(0)
    _unfold(row, log)
    expect(log.locator("[data-testid=receipt-line]")).to_have_text(words["lines"])
    stored = office.get(f"/api/receipts/{made['id']}")
    assert [e["direction"] for e in stored["events"]] == ["taken", "in", "out"]
    assert (stored["status"], stored["overdue"]) == ("returned", False)

    # The in/out register of this month (the default), this quarter and this year holds the
    # item's "in" and "out" lines.
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))  # Asia/Shanghai
    quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
    for kind, period in (("month", month), ("quarter", quarter), ("year", month[:4])):
        if kind != "month":
            page.click(f"[data-testid=receipts-register-kind-{kind}]")
        with page.expect_download() as got:
            page.click("[data-testid=receipts-register]")
        assert got.value.suggested_filename == f"fieldsync-receipts-register-{period}.xlsx"
        path = got.value.path()
        assert path is not None
        lines = _register_rows(path.read_bytes(), number)
        assert [d.split()[0] for d in lines] == ["In", "Out"], kind
    expect(page.locator("[data-testid=receipts-register-quarter]")).to_have_count(0)

    # The job's page lists the receipt, with the same actions: the return was a mistake.
    row.locator(f"[data-testid=receipt-job-{number}]").click()
    page.wait_for_url(f"**/office/review/{job['id']}")
    section = page.locator("[data-testid=job-receipts]")
    expect(section).to_contain_text(words["section"])
    expect(section.locator(".el-table__row", has_text=number)).to_have_count(1)
    expect(section.locator(f"[data-testid=receipt-status-{number}]")).to_have_text(
        words["returned"]
    )
    section.locator(f"[data-testid=receipt-undo-{number}]").click()
    page.click("[data-testid=receipt-move-save]")
    expect(page.locator(".el-message--error", has_text=words["reason_needed"])).to_be_visible()
    page.locator("[data-testid=receipt-move-note]").fill("客户未取走")
    before = office.get(f"/api/receipts/{made['id']}")
    assert before["undo_to"] == "in_workshop"
    with page.expect_response(lambda r: r.url.endswith(f"/api/receipts/{made['id']}/undo")) as sent:
        page.click("[data-testid=receipt-move-save]")
    assert sent.value.status == 200, sent.value.text()
    # With the version seen: a colleague's move meanwhile would be refused, not taken back.
    assert sent.value.request.post_data_json == {"note": "客户未取走", "version": before["version"]}
    expect(section.locator(f"[data-testid=receipt-status-{number}]")).to_have_text(
        words["in_workshop"]
    )
    # Not back after all: overdue again, and its promise may be moved to a later date.
    expect(section.locator(f"[data-testid=receipt-overdue-{number}]")).to_be_visible()
    section.locator(f"[data-testid=receipt-promise-{number}]").click()
    promise = page.locator("[data-testid=receipt-promise-at] input")
    promise.fill("2030-01-15 17:00:00")
    promise.press("Enter")
    page.click("[data-testid=receipt-promise-save]")
    promised = "15/01/2030, 17:00" if locale == "en-US" else "2030/01/15 17:00"
    expect(section.locator(f"[data-testid=receipt-promised-{number}]")).to_have_text(promised)
    expect(section.locator(f"[data-testid=receipt-overdue-{number}]")).to_have_count(0)
    _unfold(section.locator(".el-table__row", has_text=number), log)
    expect(log.locator("[data-testid=receipt-line]")).to_have_text([*words["lines"], words["undo"]])
    stored = office.get(f"/api/receipts/{made['id']}")
    assert [e["direction"] for e in stored["events"]] == ["taken", "in", "out", "undo"]
    assert stored["status"] == "in_workshop"
    # Its coming in still stands, and may be taken back in turn.
    assert stored["undo_to"] == "taken"
    expect(section.locator(f"[data-testid=receipt-undo-{number}]")).to_be_visible()
    assert stored["promised_at"].startswith("2030-01-15T09:00:00")  # 17:00 in Shanghai
    assert page.page_errors == []
    context.close()


def test_quality_reads_repairs_without_actions_and_a_job_without_receipts_shows_none(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer5", "水泵异响")
    context, page = open_console(browser, server.base)
    console_login(page, "quality1")
    go(page, "receipts")
    # The demo's receipts: those not yet returned are listed, with nothing to press.
    rows = page.locator("[data-testid=receipts] .el-table__row")
    expect(rows.first).to_be_visible()
    assert page.locator("[data-testid^=receipt-status-]").count() == rows.count()
    for action in ("in", "out", "promise", "undo", "withdraw"):
        assert page.locator(f"[data-testid^=receipt-{action}-]").count() == 0, action
    expect(page.locator("[data-testid=receipts-register]")).to_be_visible()

    page.goto(f"{server.base}/office/review/{job['id']}")
    expect(page.locator("[data-testid=job-desk]")).to_be_visible()
    expect(page.locator("[data-testid=job-receipts]")).to_have_count(0)
    assert page.page_errors == []
    context.close()


def test_a_receipt_written_by_mistake_is_withdrawn_and_restored(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    tag = uuid.uuid4().hex[:8]
    job = office.new_job("engineer6", "重复录入")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _receipt_taken(server.base, job["id"], f"主板 {tag}")).result()
    [made] = office.get(f"/api/receipts?job_id={job['id']}")["items"]
    number = made["number"]
    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    go(page, "receipts")
    page.locator("[data-testid=receipts-search]").fill(tag)
    row = page.locator("[data-testid=receipts] .el-table__row", has_text=number)
    expect(row).to_have_count(1)
    page.click(f"[data-testid=receipt-withdraw-{number}]")
    expect(page.locator("[data-testid=receipt-move-at]")).to_have_count(0)
    page.click("[data-testid=receipt-move-save]")
    expect(
        page.locator(".el-message--error", has_text="Say why the receipt is withdrawn")
    ).to_be_visible()
    page.locator("[data-testid=receipt-move-note]").fill("duplicate of another receipt")
    withdraw = f"/api/receipts/{made['id']}/withdraw"
    with page.expect_response(lambda r: r.url.endswith(withdraw)) as sent:
        page.click("[data-testid=receipt-move-save]")
    assert sent.value.status == 200, sent.value.text()
    expect(page.locator(".el-message--success", has_text=f"{number} is withdrawn")).to_be_visible()
    # Done with: off the list of items not yet returned, listed among the withdrawn.
    expect(row).to_have_count(0)
    page.click("[data-testid=receipts-status]")
    page.click("[data-testid=receipts-status-void]")
    expect(page.locator(f"[data-testid=receipt-status-{number}]")).to_have_text("Withdrawn")
    for action in ("in", "out", "promise", "withdraw"):
        expect(page.locator(f"[data-testid=receipt-{action}-{number}]")).to_have_count(0)
    # A withdrawal by mistake is undone like a move.
    page.click(f"[data-testid=receipt-undo-{number}]")
    page.locator("[data-testid=receipt-move-note]").fill("not a duplicate after all")
    page.click("[data-testid=receipt-move-save]")
    expect(row).to_have_count(0)
    stored = office.get(f"/api/receipts/{made['id']}")
    assert [e["direction"] for e in stored["events"]] == ["taken", "void", "undo"]
    assert stored["status"] == "taken"
    assert page.page_errors == []
    context.close()
