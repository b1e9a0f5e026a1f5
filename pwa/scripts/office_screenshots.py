"""Save desktop screenshots (zh-CN, 1440×900) of the office console's board, review,
reconciliation, figures, customers, parts and stock, and people pages to
docs/screenshots/office-*.png.

Runs a demo server and Debian's Chromium, like the e2e tests; two reference sync clients
(sync/client.py) of one engineer edit the same records to fill the reconciliation queue:

  .venv/bin/python pwa/scripts/office_screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from sync.client import SyncClient  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, Office, demo_server  # noqa: E402
from tests.e2e.office import DEPARTMENT_ZONE, DESKTOP, console_login, go  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
EDITS = [
    ("diagnosis", "电机轴承磨损", "变频器参数丢失"),
    ("cause", "长期缺少润滑", "雷击后电压波动"),
]


async def make_conflicts(base: str, job_ids: list[str]) -> None:
    """Two phones of engineer5 edit the same fields offline; the second push clashes."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        phones = [SyncClient(http=http, username="engineer5", password=DEMO_PASSWORD) for _ in "ab"]
        for phone in phones:
            await phone.login()
            await phone.pull()
        for job_id in job_ids:
            for field, first, second in EDITS:
                phones[0].mutate("job.record", job_id=job_id, fields={field: first})
                phones[1].mutate("job.record", job_id=job_id, fields={field: second})
        for phone in phones:
            await phone.push()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data, demo_server(Path(data)) as server:
        office = Office(server.base)
        jobs = [office.new_job("engineer5", fault) for fault in ("冷却泵异响", "配电柜跳闸")]
        # Before Playwright's sync API takes this thread's event loop.
        asyncio.run(make_conflicts(server.base, [job["id"] for job in jobs]))
        shoot(server.base)
    print(f"saved the office console's screenshots in {OUT}")


def shoot(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id=DEPARTMENT_ZONE)
        page = context.new_page()
        page.goto(f"{base}/office/")
        console_login(page, "supervisor1")
        go(page, "board")
        page.wait_for_selector("[data-testid=live-state][data-state=live]", timeout=30_000)
        page.wait_for_selector("[data-testid=unassigned] .el-table__row")
        page.screenshot(path=str(OUT / "office-board.png"))
        go(page, "review")
        page.wait_for_selector("[data-testid=review-queue] .el-table__row")
        page.screenshot(path=str(OUT / "office-review.png"))
        page.locator("[data-testid=review-queue] a").first.click()
        page.wait_for_selector("[data-testid=review-job]")
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "office-review-job.png"))
        go(page, "conflicts")
        page.wait_for_selector("[data-testid=conflicts] .el-table__row")
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "office-reconciliation.png"))
        go(page, "figures")
        page.wait_for_selector("[data-testid=figures-table] .el-table__row")
        page.wait_for_timeout(1200)  # the charts' entry animation
        page.screenshot(path=str(OUT / "office-figures.png"))
        go(page, "customers")
        page.locator("[data-testid=customers] [data-testid=customer-open]").first.click()
        page.wait_for_selector("[data-testid=assets] .el-table__row")
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / "office-customer.png"))
        go(page, "catalogue")
        page.get_by_role("tab", name="库存").click()
        page.wait_for_selector("[data-testid=level-quantity]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / "office-stock.png"))
        admin = context.new_page()
        admin.goto(f"{base}/office/")
        console_login(admin, "admin")
        go(admin, "people")
        admin.locator("[data-testid=devices-engineer5]").click()
        admin.wait_for_selector("[data-testid=devices] .el-table__row")
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(OUT / "office-people.png"))
        browser.close()


if __name__ == "__main__":
    main()
