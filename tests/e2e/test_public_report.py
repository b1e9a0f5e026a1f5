"""The public fault-report page (报修) in a browser: a customer is told what is missing in both
languages, never "Validation failed", and a report sent becomes a job for the desk."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import Office, Server


def test_a_customer_is_told_what_is_missing_then_the_report_reaches_the_desk(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.base}/report")
    opened = time.monotonic()
    result = page.locator("#result")

    page.click("button[type=submit]")
    assert result.inner_text() == "请填写联系人。Give your name."
    page.fill("#contact_name", "  ")
    page.click("button[type=submit]")
    assert result.inner_text() == "请填写联系人。Give your name."
    page.fill("#contact_name", "刘先生")
    page.fill("#contact_phone", "12")
    page.click("button[type=submit]")
    assert result.inner_text() == "请留下可回拨的电话号码。Give a phone number we can call back."
    page.fill("#contact_phone", "139 1234 5678")
    page.fill("#description", "  漏水 ")
    page.click("button[type=submit]")
    assert "请说明故障情况" in result.inner_text()

    tag = uuid.uuid4().hex[:8]
    page.fill("#description", f"冷库机组不制冷 {tag}")
    # The server refuses a form sent within 3 s of opening it (robots are quick).
    page.wait_for_timeout(max(0.0, 3.5 - (time.monotonic() - opened)) * 1000)
    page.click("button[type=submit]")
    page.locator("#result.ok").wait_for()
    assert "报修已受理登记，编号" in result.inner_text()
    number = result.inner_text().split("编号 ")[1].split("。")[0]
    assert page.input_value("#description") == "", "the form is cleared for another report"

    jobs = Office(server.base).get(f"/api/jobs?q={number}")["items"]
    assert [(j["number"], j["status"]) for j in jobs] == [(number, "reported")]
    detail = Office(server.base).get(f"/api/jobs/{jobs[0]['id']}")
    assert tag in detail["job"]["fault_description"]
    context.close()
