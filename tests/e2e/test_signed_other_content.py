"""The customer signs offline while the office edits the job: the phone never shows the old
signature as if it covered what the job now says, and the console offers the correction."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.e2e.app import (
    arrive,
    draw_signature,
    mark_work_done,
    offline_with_job,
    record,
    sync_now,
    text_of,
)
from tests.e2e.conftest import Office, Server
from tests.e2e.office import console_login, open_console


def test_a_signature_over_content_the_office_changed_is_flagged_and_corrected(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer5", "冷凝器结霜")

    context, page = offline_with_job(browser, server.base, "engineer5", job["number"])
    arrive(page)
    record(page, job["id"], "work_done", "清理冷凝器翅片并补充冷媒")
    mark_work_done(page)
    page.click("[data-testid=go-review]")
    signed_hash = text_of(page, "content-hash")
    draw_signature(page, "customer")
    page.click("[data-testid=confirm-customer]")
    page.wait_for_selector("[data-testid=signed-customer]")
    # Signed over what the phone holds: nothing to flag yet.
    assert page.locator("[data-testid=signed-other-customer]").count() == 0

    # Meanwhile the desk adds to the fault description (an office-owned field).
    office.patch(
        f"/api/jobs/{job['id']}", {"fault_description": "冷凝器结霜（客户补充：夜间最明显）"}
    )

    sync_now(context, page)
    signed = office.detail(job["id"])
    assert signed["job"]["status"] == "signed"
    (customer,) = [s for s in signed["signatures"] if s["signer_role"] == "customer"]
    assert customer["content_sha256"] == signed_hash
    assert signed["content_sha256"] not in ("", signed_hash)

    # The phone shows the signature with what it covered: not the job as it now reads.
    page.goto(f"{server.base}/app/jobs/{job['id']}")
    page.click("[data-testid=go-review]")
    expect(page.locator("[data-testid=content-hash]")).to_have_text(signed["content_sha256"])
    notice = page.locator("[data-testid=signed-other-customer]")
    expect(notice).to_be_visible()
    assert "correction" in notice.inner_text()

    # The console says why no report was issued and issues the correction with its reason.
    desk_ctx, desk = open_console(browser, server.base)
    console_login(desk, "dispatcher1")
    desk.goto(f"{server.base}/office/review/{job['id']}")
    alert = desk.locator("[data-testid=signed-content-differs]")
    expect(alert).to_be_visible()
    assert "other content" in alert.inner_text()
    assert desk.locator("[data-testid=issue-report]").count() == 0
    issue = desk.locator("[data-testid=issue-correction]")
    expect(issue).to_be_disabled()
    desk.locator("[data-testid=correction-reason]").fill("客户签字后办公室补充了故障描述")
    issue.click()
    expect(desk.locator("[data-testid=report-pdf]")).to_have_count(1, timeout=60_000)
    # The signature still covers the earlier content; the page now says the correction
    # covers the job as it is, and asks for nothing more.
    expect(alert).to_have_count(0)
    expect(desk.locator("[data-testid=signed-content-corrected]")).to_be_visible()
    expect(desk.locator("[data-testid=issue-correction]")).to_have_count(0)
    deadline = time.monotonic() + 30
    while True:
        reports = office.get(f"/api/jobs/{job['id']}/reports")
        issued = [r for r in reports if r["status"] == "issued"]
        if issued or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    (report,) = issued
    assert report["correction_reason"] == "客户签字后办公室补充了故障描述"
    assert report["content_sha256"] == signed["content_sha256"]
    assert report["signed_content_sha256"] == signed_hash
    assert desk.page_errors == []
    assert page.page_errors == []
    desk_ctx.close()
    context.close()
