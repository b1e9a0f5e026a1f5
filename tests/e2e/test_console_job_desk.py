"""The desk's part of a job on its page: what the caller said, accepting with a plan (受理),
correcting the office's fields with the right site and equipment, and taking a job cancelled in
error up again."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Office, Server
from tests.e2e.office import console_login, open_console


def test_the_desk_accepts_corrects_and_takes_up_a_job_from_its_page(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    # A web report: the customer's company, address and equipment as typed are in the notes.
    asset = office.get("/api/assets?limit=1")["items"][0]
    tag = uuid.uuid4().hex[:6]
    typed = f"公司：某某物业 地址：碧波路690号 设备：{asset['serial']} ({tag})"
    made = office.post(
        "/api/jobs",
        {
            "customer_id": asset["customer_id"],
            "channel": "web",
            "fault_description": "机组报警 E4",
            "contact_name": "钱先生",
            "contact_phone": "13900002222",
            "office_notes": typed,
        },
        expect=201,
    )["job"]

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    page.goto(f"{server.base}/office/review/{made['id']}")
    expect(page.locator("[data-testid=job-notes]")).to_have_text(typed)
    expect(page.locator("[data-testid=job-contact]")).to_have_text("钱先生 · 13900002222")

    # 受理: a plan is needed, then the job is accepted with it.
    page.click("[data-testid=job-accept]")
    page.click("[data-testid=job-accept-save]")
    expect(page.locator(".el-message--error")).to_contain_text("handling plan")
    page.locator("[data-testid=job-accept-plan]").fill("明早安排工程师上门检查压缩机")
    page.click("[data-testid=job-accept-save]")
    expect(page.locator("[data-testid=review-status]")).to_have_text("Accepted")
    expect(page.locator("[data-testid=job-plan]")).to_have_text("明早安排工程师上门检查压缩机")

    # The desk links the equipment the customer named (its site follows) and raises urgency.
    page.click("[data-testid=job-edit]")
    page.locator("[data-testid=job-edit-asset]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=asset["serial"]).first.click()
    page.locator("[data-testid=job-edit-urgency]").get_by_text("High").click()
    page.locator("[data-testid=job-edit-contact-phone]").fill("13900003333")
    with page.expect_request(
        lambda r: r.method == "PATCH" and r.url.endswith(f"/api/jobs/{made['id']}")
    ) as sent:
        page.click("[data-testid=job-edit-save]")
    # Only what changed goes, with the version read: a colleague's edit of another field stays.
    assert set(sent.value.post_data_json) == {
        "version",
        "asset_id",
        "site_id",
        "urgency",
        "contact_phone",
    }
    expect(page.locator("[data-testid=job-urgency]")).to_have_text("High")
    detail = office.detail(made["id"])
    assert (detail["job"]["asset_id"], detail["job"]["site_id"]) == (
        asset["id"],
        asset["site_id"],
    )
    assert (detail["job"]["urgency"], detail["contact_phone"]) == ("high", "13900003333")
    assert detail["office_notes"] == typed

    # Cancelled in error, then taken up again from the page, after a question.
    office.post(f"/api/jobs/{made['id']}/cancel", {"reason": "误取消"})
    page.reload()
    expect(page.locator("[data-testid=job-cancel-reason]")).to_have_text("误取消")
    page.click("[data-testid=job-uncancel]")
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator("[data-testid=review-status]")).to_have_text("Accepted")
    assert office.detail(made["id"])["job"]["status"] == "accepted"
    assert page.page_errors == []
    context.close()


def test_the_desk_files_a_job_taken_under_the_wrong_customer_under_the_right_one(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    customers = office.get("/api/customers?limit=2")["items"]
    wrong, right = customers[0], customers[1]
    asset = office.get(f"/api/assets?customer_id={right['id']}&limit=1")["items"][0]
    made = office.post(
        "/api/jobs",
        {"customer_id": wrong["id"], "channel": "phone", "fault_description": "水泵异响"},
        expect=201,
    )["job"]

    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    page.goto(f"{server.base}/office/review/{made['id']}")
    page.click("[data-testid=job-edit]")
    search = page.locator("[data-testid=job-edit-customer]")
    expect(search).to_have_value(f"{wrong['name']} ({wrong['code']})")
    # A name typed and not picked files the job under nobody new: said, and nothing sent.
    patches: list[str] = []
    page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)
    search.fill("不存在的公司")
    page.click("[data-testid=job-edit-save]")
    expect(page.locator(".el-message--error")).to_contain_text("Pick the customer")
    assert patches == []
    search.fill(right["name"][:6])
    page.locator(".el-autocomplete-suggestion li", has_text=right["code"]).first.click()
    # The equipment is chosen from the right customer's file.
    page.locator("[data-testid=job-edit-asset]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=asset["serial"]).first.click()
    with page.expect_request(
        lambda r: r.method == "PATCH" and r.url.endswith(f"/api/jobs/{made['id']}")
    ) as sent:
        page.click("[data-testid=job-edit-save]")
        box = page.locator(".el-message-box")
        expect(box).to_contain_text(made["number"])
        box.locator(".el-message-box__btns .el-button--primary").click()
    assert sent.value.post_data_json["customer_id"] == right["id"]
    expect(page.locator(".el-message--success")).to_be_visible()
    detail = office.detail(made["id"])
    assert detail["job"]["customer_id"] == right["id"]
    assert (detail["job"]["asset_id"], detail["job"]["site_id"]) == (asset["id"], asset["site_id"])
    assert page.page_errors == []
    context.close()
