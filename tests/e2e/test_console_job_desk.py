"""The desk's part of a job on its page: what the caller said, accepting with a plan (受理),
correcting the office's fields with the right site and equipment (and the contact that goes
with a customer), a save refused because the engineer's phone changed the job meanwhile, and
taking a job cancelled in error up again."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import expect

from sync.client import SyncClient
from tests.e2e.conftest import DEMO_PASSWORD, Office, Server
from tests.e2e.office import console_login, open_console


async def _arrives(base: str, job_id: str) -> None:
    """engineer6's phone goes to the job and arrives on site (reference client)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        phone = SyncClient(http=http, username="engineer6", password=DEMO_PASSWORD)
        await phone.pull()
        for status in ("en_route", "on_site"):
            phone.mutate("job.status", job_id=job_id, to=status)
        await phone.sync()
        assert phone.failed == [], [f.reason for f in phone.failed]


def _patched(page: Any, job_id: str) -> Any:
    return page.expect_request(
        lambda r: r.method == "PATCH" and r.url.endswith(f"/api/jobs/{job_id}")
    )


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
    customers = [c for c in office.get("/api/customers?limit=10")["items"] if c["contacts"]]
    wrong, right = customers[0], customers[1]
    asset = office.get(f"/api/assets?customer_id={right['id']}&limit=1")["items"][0]
    # The caller is a contact on the wrong customer's file: the contact goes with the customer.
    theirs, ours = wrong["contacts"][0], right["contacts"][0]
    made = office.post(
        "/api/jobs",
        {
            "customer_id": wrong["id"],
            "channel": "phone",
            "fault_description": "水泵异响",
            "contact_name": theirs["name"],
            "contact_phone": theirs["phone"],
        },
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
    # The right customer's first contact takes the place of the wrong customer's, in the form.
    expect(page.locator("[data-testid=job-edit-contact-name]")).to_have_value(ours["name"])
    expect(page.locator("[data-testid=job-edit-contact-phone]")).to_have_value(ours["phone"])
    expect(page.locator("[data-testid=job-edit-contact-offered]")).to_be_visible()
    # The equipment is chosen from the right customer's file.
    page.locator("[data-testid=job-edit-asset]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=asset["serial"]).first.click()
    with _patched(page, made["id"]) as sent:
        page.click("[data-testid=job-edit-save]")
        box = page.locator(".el-message-box")
        expect(box).to_contain_text(made["number"])
        # The confirmation names the contact the job now gets.
        expect(box).to_contain_text(f"Its contact becomes {ours['name']} · {ours['phone']}")
        box.locator(".el-message-box__btns .el-button--primary").click()
    body = sent.value.post_data_json
    assert body["customer_id"] == right["id"]
    assert (body["contact_name"], body["contact_phone"]) == (ours["name"], ours["phone"])
    expect(page.locator(".el-message--success")).to_be_visible()
    detail = office.detail(made["id"])
    assert detail["job"]["customer_id"] == right["id"]
    assert (detail["job"]["asset_id"], detail["job"]["site_id"]) == (asset["id"], asset["site_id"])
    assert (detail["contact_name"], detail["contact_phone"]) == (ours["name"], ours["phone"])

    # A caller who gave their own name and number keeps them when the job moves.
    own = office.post(
        "/api/jobs",
        {
            "customer_id": wrong["id"],
            "channel": "phone",
            "fault_description": "冷却水泵漏水",
            "contact_name": "路过的保安",
            "contact_phone": "13512340000",
        },
        expect=201,
    )["job"]
    page.goto(f"{server.base}/office/review/{own['id']}")
    page.click("[data-testid=job-edit]")
    page.locator("[data-testid=job-edit-customer]").fill(right["name"][:6])
    page.locator(".el-autocomplete-suggestion li", has_text=right["code"]).first.click()
    expect(page.locator("[data-testid=job-edit-site]")).to_be_visible()
    expect(page.locator("[data-testid=job-edit-contact-name]")).to_have_value("路过的保安")
    expect(page.locator("[data-testid=job-edit-contact-offered]")).to_have_count(0)
    with _patched(page, own["id"]) as sent:
        page.click("[data-testid=job-edit-save]")
        box = page.locator(".el-message-box")
        expect(box).to_contain_text(own["number"])
        expect(box).not_to_contain_text("Its contact becomes")
        box.locator(".el-message-box__btns .el-button--primary").click()
    assert "contact_name" not in sent.value.post_data_json
    expect(page.locator(".el-message--success")).to_be_visible()
    detail = office.detail(own["id"])
    assert detail["job"]["customer_id"] == right["id"]
    assert (detail["contact_name"], detail["contact_phone"]) == ("路过的保安", "13512340000")
    assert page.page_errors == []
    context.close()


def test_a_save_refused_because_the_engineer_arrived_meanwhile_keeps_the_desk_typing(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer6", "冷却塔风机异响")
    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    page.goto(f"{server.base}/office/review/{job['id']}")
    page.click("[data-testid=job-edit]")
    expect(page.locator("[data-testid=job-edit-customer]")).to_be_visible()
    page.locator("[data-testid=job-edit-notes]").fill("客户要求上午到场")
    page.locator("[data-testid=job-edit-urgency]").get_by_text("High").click()
    # Meanwhile the engineer's phone arrives on site: no colleague saved anything.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _arrives(server.base, job["id"])).result()
    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/jobs/{job['id']}")
    ) as refused:
        page.click("[data-testid=job-edit-save]")
    assert refused.value.status == 409
    message = page.locator(".el-message--error")
    expect(message).to_contain_text("The job changed since you opened it")
    expect(message).to_contain_text("the engineer’s phone")
    expect(message).not_to_contain_text("A colleague saved")
    # The form stays open with the desk's typing, over the job as it now is: on site, so it
    # stays with its customer.
    expect(page.locator("[data-testid=review-status]")).to_have_text("On site")
    expect(page.locator("[data-testid=job-edit-notes]")).to_have_value("客户要求上午到场")
    expect(page.locator("[data-testid=job-edit-customer-fixed]")).to_be_visible()
    # Saved again, on the job's new version: the desk's changes only; the arrival stays.
    with _patched(page, job["id"]) as sent:
        page.click("[data-testid=job-edit-save]")
    assert set(sent.value.post_data_json) == {"version", "office_notes", "urgency"}
    expect(page.locator(".el-message--success")).to_be_visible()
    expect(page.locator("[data-testid=job-notes]")).to_have_text("客户要求上午到场")
    detail = office.detail(job["id"])
    assert (detail["job"]["status"], detail["job"]["urgency"]) == ("on_site", "high")
    assert detail["office_notes"] == "客户要求上午到场"
    assert page.page_errors == []
    context.close()
