"""Intake: a new customer named exactly as an existing one is the existing one, unless the desk
says otherwise (two customers of one name split a customer's history and warranty)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from playwright.sync_api import expect

from tests.e2e.conftest import Office, Server
from tests.e2e.office import console_login, open_console


def test_a_new_customer_of_an_existing_name_is_offered_the_existing_one(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    existing = office.get("/api/customers?limit=1")["items"][0]
    context, page = open_console(browser, server.base)
    console_login(page, "dispatcher1")
    page.wait_for_url("**/office/intake")
    page.locator("[data-testid=customer-search]").fill(existing["name"])
    page.click("[data-testid=intake-new-customer]")
    expect(page.locator("[data-testid=new-customer-name]")).to_have_value(existing["name"])
    page.locator("[data-testid=new-customer-contact]").fill("孙先生")
    page.locator("[data-testid=new-customer-phone]").fill("13911112222")
    page.click("[data-testid=new-customer-create]")
    box = page.locator(".el-message-box")
    expect(box).to_contain_text(existing["code"])
    box.locator(".el-message-box__btns .el-button--primary").click()  # use the existing one
    page.wait_for_selector("[data-testid=site-select]")
    # The caller typed is kept as the job's contact.
    expect(page.locator("[data-testid=contact-name]")).to_have_value("孙先生")
    expect(page.locator("[data-testid=contact-phone]")).to_have_value("13911112222")
    same = office.get(f"/api/customers?q={quote(existing['name'])}&limit=50")["items"]
    assert [c["id"] for c in same if c["name"] == existing["name"]] == [existing["id"]]
    assert page.page_errors == []
    context.close()
