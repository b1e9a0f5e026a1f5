"""Save phone-sized screenshots (zh-CN) of the engineer app's main screens to docs/screenshots/.

Runs a demo server and Debian's Chromium, like the e2e tests:

  .venv/bin/python pwa/scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.app import add_part, draw_signature, take_photo  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Office, demo_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as data,
        demo_server(Path(data)) as server,
        sync_playwright() as p,
    ):
        office = Office(server.base)
        job = office.new_job("engineer1", "空调外机不制冷,报警代码E4")
        codes = [part["code"] for part in office.parts(2)]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
        page = context.new_page()
        base = f"{server.base}/app"
        page.goto(f"{base}/")
        page.screenshot(path=str(OUT / "login.png"))
        page.fill("input[name=username]", "engineer1")
        page.fill("input[name=password]", "demo1234")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=job-list]", timeout=60_000)
        page.screenshot(path=str(OUT / "today.png"))
        context.set_offline(True)
        page.goto(f"{base}/jobs/{job['id']}")
        page.click("button:has-text('接单')")
        page.click("button:has-text('到达')")
        page.screenshot(path=str(OUT / "job-detail.png"), full_page=True)
        page.goto(f"{base}/jobs/{job['id']}/record")
        page.locator("[data-testid=record-diagnosis] textarea").fill("压缩机烧毁")
        page.locator("[data-testid=record-cause] textarea").fill("缺相运行")
        page.wait_for_timeout(900)
        page.screenshot(path=str(OUT / "record.png"))
        page.goto(f"{base}/jobs/{job['id']}/parts")
        for code in codes:
            add_part(page, code)
        page.screenshot(path=str(OUT / "parts.png"))
        page.goto(f"{base}/jobs/{job['id']}/photos")
        take_photo(page, (40, 120, 200))
        page.screenshot(path=str(OUT / "photos.png"))
        page.goto(f"{base}/jobs/{job['id']}/review")
        draw_signature(page, "customer")
        page.screenshot(path=str(OUT / "review.png"), full_page=True)
        page.goto(f"{base}/sync")
        page.wait_for_selector("[data-testid=sync-status]")
        page.screenshot(path=str(OUT / "sync.png"))
        browser.close()
    print(f"saved {len(list(OUT.glob('*.png')))} screenshots in {OUT}")


if __name__ == "__main__":
    main()
