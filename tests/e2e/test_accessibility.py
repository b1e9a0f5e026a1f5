"""axe-core (injected by Playwright) finds no serious or critical violation on the main screens."""

from __future__ import annotations

from typing import Any

from tests.e2e.app import log_in, open_app, open_job, take_photo
from tests.e2e.conftest import PWA, Office, Server

AXE = PWA / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] })
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))
}"""


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return list(page.evaluate(RUN_AXE))


def test_job_list_detail_parts_photos_and_signature_screens_pass_axe(
    browser: Any, server: Server
) -> None:
    assert AXE.is_file(), "npm ci installs axe-core in pwa/node_modules"
    office = Office(server.base)
    job = office.new_job("engineer4", "配电柜跳闸")
    context, page = open_app(browser, server.base)
    log_in(page, "engineer4")
    page.click("text=All jobs")
    page.wait_for_selector(f"[data-testid=job-{job['number']}]", timeout=30_000)
    found = {"job list": _violations(page)}
    open_job(page, job["number"])
    found["job detail"] = _violations(page)
    for screen in ("parts", "photos", "review"):
        page.goto(f"{server.base}/app/jobs/{job['id']}/{screen}")
        page.wait_for_selector(".van-nav-bar__title")
        if screen == "parts":
            page.fill("[data-testid=part-search] input", "P-1")
        if screen == "photos":
            # A photo brings its edit and remove buttons, the edit sheet and the confirmation.
            take_photo(page, (200, 30, 30))
            page.click("[data-testid=photo-edit]")
            page.wait_for_selector("[data-testid=photo-edit-sheet] [data-testid=photo-edit-save]")
            found["photo edit sheet"] = _violations(page)
            page.click("[data-testid=photo-edit-sheet] button:has-text('Cancel')")
            page.wait_for_selector("[data-testid=photo-edit-sheet]", state="hidden")
            page.click("[data-testid=photo-remove]")
            page.wait_for_selector(
                ".van-dialog:has-text('Remove the “During” photo from this job?')"
            )
            # Checked once it has faded in: half-way its text is paler than it will be.
            page.wait_for_function("!document.querySelector('.van-dialog-bounce-enter-active')")
            found["photo remove confirmation"] = _violations(page)
            page.click(".van-dialog__cancel")
            page.wait_for_selector(".van-dialog", state="hidden")
        found[screen] = _violations(page)
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "\n".join(f"{k}: {line}" for k, v in bad.items() for line in v)
    context.close()
